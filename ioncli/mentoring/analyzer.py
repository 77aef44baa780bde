"""Free text -> tone, pace and intent, with the evidence. Always lands on valid enum values.

Rules (English and Korean), deterministic and cheap:
- Sentences split on . ! ? (and their full-width forms) and line breaks; length in whitespace
  words; punctuation density = share of characters among . , ! ? ; : ; question and
  exclamation ratios = marks per sentence (capped at 1).
- Tone: each keyword hit scores 1; "!!" adds 1 to urgent, "??" or "?!" adds 1 to confused, a
  question adds 0.5 to curious. Highest score wins; ties go by TONE_ORDER; no signal is calm.
- Pace: burst (short punctuated sentences or "!!"), contemplative (long sentences, or a
  trailing "..."), flowing (three or more sentences of middling length), else medium. Korean
  words carry more meaning per space-separated word, so its lengths count 1.5x.
- Intent: keyword hits, ties by INTENT_ORDER; none: seek_advice when the tone is emotional
  (frustrated, anxious, confused), else learning.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from ioncli.mentoring.lexicon import INTENT_KEYWORDS, TONE_KEYWORDS
from ioncli.mentoring.matcher import Lexicon
from ioncli.mentoring.models import Intent, Pace, TextAnalysis, Tone

# Most specific first: when two tones score the same, the earlier one wins.
TONE_ORDER: tuple[Tone, ...] = (
    Tone.URGENT,
    Tone.FRUSTRATED,
    Tone.ANXIOUS,
    Tone.CONFUSED,
    Tone.PLAYFUL,
    Tone.COLLABORATIVE,
    Tone.ANALYTICAL,
    Tone.CURIOUS,
    Tone.CALM,
)
INTENT_ORDER: tuple[Intent, ...] = (
    Intent.PROBLEM_SOLVING,
    Intent.PLANNING,
    Intent.VALIDATION,
    Intent.SEEK_ADVICE,
    Intent.REFLECTION,
    Intent.LEARNING,
)
_EMOTIONAL = frozenset({Tone.FRUSTRATED, Tone.ANXIOUS, Tone.CONFUSED})

_TONES = Lexicon(TONE_KEYWORDS)
_INTENTS = Lexicon(INTENT_KEYWORDS)
_SENTENCE_SPLIT = re.compile(r"[.!?。！？\n]+")
_QUESTIONS = re.compile(r"[?？]+")
_EXCLAMATIONS = re.compile(r"[!！]+")
_PUNCTUATION = ".,!?;:"
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")

KOREAN_LENGTH_FACTOR = 1.5


def _language(text: str) -> str:
    if text.isascii():
        return "en"
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    if hangul and latin:
        return "ko" if hangul >= 2 * latin else "mixed" if latin < 2 * hangul else "en"
    return "ko" if hangul else "en"


def _pace(
    avg: float, sentences: int, density: float, exclaim: float, text: str
) -> tuple[Pace, str]:
    if "!!" in text and avg < 8:
        return Pace.BURST, "repeated exclamation marks in short sentences"
    if avg < 5 and (density > 0.06 or exclaim >= 0.5):
        return Pace.BURST, f"short sentences ({avg:.1f} words) with dense punctuation"
    if avg >= 14:
        return Pace.CONTEMPLATIVE, f"long sentences ({avg:.1f} words on average)"
    if sentences >= 2 and (text.rstrip().endswith(("...", "…")) or "..." in text):
        return Pace.CONTEMPLATIVE, "trailing ellipses"
    if sentences >= 3 and avg >= 6:
        return Pace.FLOWING, f"{sentences} sentences of {avg:.1f} words on average"
    return Pace.MEDIUM, f"{sentences} sentence(s) of {avg:.1f} words on average"


def analyze(text: str) -> TextAnalysis:
    stripped = text.strip()
    lower = stripped.lower()
    length = max(1, len(stripped))
    sentences = max(1, sum(1 for s in _SENTENCE_SPLIT.split(stripped) if s.strip()))
    words = len(stripped.split())
    language = _language(stripped)
    avg = words / sentences
    effective_avg = avg * KOREAN_LENGTH_FACTOR if language == "ko" else avg
    punctuation = sum(stripped.count(c) for c in _PUNCTUATION)
    punctuation += stripped.count("？") + stripped.count("！") + stripped.count("。")
    density = min(1.0, punctuation / length)
    questions = len(_QUESTIONS.findall(stripped))
    exclamations = len(_EXCLAMATIONS.findall(stripped))
    question_ratio = min(1.0, questions / sentences)
    exclamation_ratio = min(1.0, exclamations / sentences)

    tone_hits = _TONES.match(lower)
    scores = {tone: float(len(tone_hits.get(tone.value, ()))) for tone in TONE_ORDER}
    signals: list[str] = []
    if "!!" in stripped or "！！" in stripped:
        scores[Tone.URGENT] += 1
        signals.append("!!")
    if "??" in stripped or "?!" in stripped or "!?" in stripped:
        scores[Tone.CONFUSED] += 1
        signals.append("??")
    if questions:
        scores[Tone.CURIOUS] += 0.5
        signals.append("?")
    ranked = sorted(TONE_ORDER, key=lambda t: -scores[t])  # stable: TONE_ORDER breaks ties
    top, runner_up = ranked[0], ranked[1]
    if scores[top] <= 0:
        tone, tone_confidence = Tone.CALM, 0.5
    else:
        tone = top
        margin = scores[top] - scores[runner_up]
        tone_confidence = round(min(0.95, 0.55 + 0.1 * scores[top] + 0.1 * margin), 2)

    pace, pace_reason = _pace(effective_avg, sentences, density, exclamation_ratio, stripped)

    intent_hits = _INTENTS.match(lower)
    intent_scores = {i: len(intent_hits.get(i.value, ())) for i in INTENT_ORDER}
    best_intent = max(INTENT_ORDER, key=lambda i: intent_scores[i])  # max keeps the first
    if intent_scores[best_intent] == 0:
        best_intent = Intent.SEEK_ADVICE if tone in _EMOTIONAL else Intent.LEARNING

    matched: dict[str, tuple[str, ...]] = {}
    for name, hits in tone_hits.items():
        matched[f"tone:{name}"] = tuple(hits)
    if signals:
        matched["signals"] = tuple(signals)
    for name, hits in intent_hits.items():
        matched[f"intent:{name}"] = tuple(hits)

    return TextAnalysis(
        tone=tone,
        pace=pace,
        intent=best_intent,
        tone_confidence=tone_confidence,
        language=language,
        sentence_count=sentences,
        avg_sentence_length=round(avg, 2),
        punctuation_density=round(density, 4),
        question_ratio=round(question_ratio, 4),
        exclamation_ratio=round(exclamation_ratio, 4),
        matched_keywords=MappingProxyType(matched),
        pace_reason=pace_reason,
    )
