"""Free text -> tone, pace and intent, with the evidence. Always lands on valid enum values.

Rules (English and Korean), deterministic and cheap:
- Sentences split on . ! ? (and their full-width forms) and line breaks; length in whitespace
  words; punctuation density = share of characters among . , ! ? ; : ; question and
  exclamation ratios = marks per sentence (capped at 1).
- Tone: each keyword hit scores 1; "!!" adds 1 to urgent, "??" or "?!" adds 1 to confused, a
  question adds 0.5 to curious. Highest score wins; ties go by TONE_ORDER; no signal is calm.
- Pace, first rule that holds: burst ("!!" in short sentences); contemplative (an ellipsis);
  burst (under 5 words a sentence with dense punctuation or exclamations); contemplative (14+
  words a sentence); flowing (3+ sentences of 6+ words); else medium. Korean packs more into
  each space-separated word, so its sentence lengths count 1.5x.
- Intent: keyword hits, ties by INTENT_ORDER; none: seek_advice when the tone is emotional
  (frustrated, anxious, confused), else learning.
"""

from __future__ import annotations

import re

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

# One lexicon for both, so a message is tokenised once; categories read "tone:x" / "intent:y".
_LEXICON = Lexicon(
    {f"tone:{k}": v for k, v in TONE_KEYWORDS.items()}
    | {f"intent:{k}": v for k, v in INTENT_KEYWORDS.items()}
)
_TONE_CATEGORIES = tuple((t, f"tone:{t.value}") for t in TONE_ORDER)
_INTENT_CATEGORIES = tuple((i, f"intent:{i.value}") for i in INTENT_ORDER)
_SENTENCE_SPLIT = re.compile(r"[.!?。！？\n]+")
_QUESTIONS = re.compile(r"[?？]+")
_EXCLAMATIONS = re.compile(r"[!！]+")
_NOT_PUNCTUATION = str.maketrans("", "", ".,!?;:？！。")
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
    if "..." in text or "…" in text:
        return Pace.CONTEMPLATIVE, "trailing off with an ellipsis"
    if avg < 5 and (density > 0.06 or exclaim >= 0.5):
        return Pace.BURST, f"short sentences ({avg:.1f} words) with dense punctuation"
    if avg >= 14:
        return Pace.CONTEMPLATIVE, f"long sentences ({avg:.1f} words on average)"
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
    punctuation = len(stripped) - len(stripped.translate(_NOT_PUNCTUATION))
    density = min(1.0, punctuation / length)
    questions = len(_QUESTIONS.findall(stripped))
    exclamations = len(_EXCLAMATIONS.findall(stripped))
    question_ratio = min(1.0, questions / sentences)
    exclamation_ratio = min(1.0, exclamations / sentences)

    matched = _LEXICON.match(lower)
    scores = {tone: float(len(matched.get(category, ()))) for tone, category in _TONE_CATEGORIES}
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
    if signals:
        matched["signals"] = signals
    tone = max(TONE_ORDER, key=scores.__getitem__)  # max keeps the first: TONE_ORDER breaks ties
    top = scores[tone]
    if top <= 0:
        tone, tone_confidence = Tone.CALM, 0.5
    else:
        runner_up = max(scores[t] for t in TONE_ORDER if t is not tone)
        tone_confidence = round(min(0.95, 0.55 + 0.1 * top + 0.1 * (top - runner_up)), 2)

    pace, pace_reason = _pace(effective_avg, sentences, density, exclamation_ratio, stripped)

    best_intent, best_hits = Intent.LEARNING, 0
    for intent, category in _INTENT_CATEGORIES:
        hits = len(matched.get(category, ()))
        if hits > best_hits:
            best_intent, best_hits = intent, hits
    if best_hits == 0:
        best_intent = Intent.SEEK_ADVICE if tone in _EMOTIONAL else Intent.LEARNING

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
        matched_keywords={k: tuple(v) for k, v in matched.items()},
        pace_reason=pace_reason,
    )
