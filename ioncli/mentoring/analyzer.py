"""Free text -> tone, pace and intent, with the evidence. Always lands on valid enum values.

Rules (English and Korean), deterministic and cheap:
- Sentences split on . ! ? (and their full-width forms) and line breaks; length in whitespace
  words; punctuation density = share of characters among . , ! ? ; : ; question and
  exclamation ratios = marks per sentence (capped at 1).
- Tone: each keyword hit scores 1; "!!" adds 1 to urgent, "??" or "?!" adds 1 to confused, a
  question adds 0.5 to curious. Highest score wins; ties go by TONE_ORDER; no signal is calm.
  tone_confidence = min(0.95, 0.55 + 0.1·score + 0.1·lead over the runner-up); 0.5 for calm
  by default.
- Pace, first rule that holds: burst ("!!" in short sentences); contemplative (an ellipsis);
  burst (under 5 words a sentence with dense punctuation or exclamations); contemplative (14+
  words a sentence); flowing (3+ sentences of 6+ words); else medium. Korean packs more into
  each space-separated word (a word and its particles), so its sentence lengths count 1.5x.
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
_URGENT = TONE_ORDER.index(Tone.URGENT)
_CONFUSED = TONE_ORDER.index(Tone.CONFUSED)
_CURIOUS = TONE_ORDER.index(Tone.CURIOUS)
# A sentence ends at a run of terminators (and the spaces after them); one scan finds them all.
_TERMINATOR_RUNS = re.compile(r"[.!?。！？\n][.!?。！？\s]*")
_TERMINATORS = ".!?。！？\n"
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


def _sentences(stripped: str) -> tuple[int, int, int]:
    """Sentence, question and exclamation counts, from one scan for terminator runs."""
    runs = _TERMINATOR_RUNS.findall(stripped)
    sentences = len(runs)
    if stripped and stripped[-1] not in _TERMINATORS:
        sentences += 1  # the last sentence has no full stop
    if stripped and stripped[0] in _TERMINATORS:
        sentences -= 1  # a leading run closes no sentence
    questions = exclamations = 0
    for run in runs:
        if "?" in run or "？" in run:
            questions += 1
        if "!" in run or "！" in run:
            exclamations += 1
    return max(1, sentences), questions, exclamations


def _tone(matched: dict[str, list[str]], stripped: str, questions: int) -> tuple[Tone, float]:
    scores = [float(len(matched[c])) if c in matched else 0.0 for _, c in _TONE_CATEGORIES]
    signals: list[str] = []
    if "!!" in stripped or "！！" in stripped:
        scores[_URGENT] += 1
        signals.append("!!")
    if "??" in stripped or "?!" in stripped or "!?" in stripped:
        scores[_CONFUSED] += 1
        signals.append("??")
    if questions:
        scores[_CURIOUS] += 0.5
        signals.append("?")
    if signals:
        matched["signals"] = signals
    best = 0
    for i in range(1, len(scores)):
        if scores[i] > scores[best]:  # strictly greater: TONE_ORDER breaks ties
            best = i
    top = scores[best]
    if top <= 0:
        return Tone.CALM, 0.5
    scores[best] = -1.0
    margin = top - max(scores)
    return TONE_ORDER[best], round(min(0.95, 0.55 + 0.1 * top + 0.1 * margin), 2)


def _intent(matched: dict[str, list[str]], tone: Tone) -> Intent:
    intent, best_hits = Intent.LEARNING, 0
    for candidate, category in _INTENT_CATEGORIES:
        if category in matched and len(matched[category]) > best_hits:
            intent, best_hits = candidate, len(matched[category])
    if best_hits == 0:
        return Intent.SEEK_ADVICE if tone in _EMOTIONAL else Intent.LEARNING
    return intent


def analyze(text: str) -> TextAnalysis:
    stripped = text.strip()
    length = max(1, len(stripped))
    sentences, questions, exclamations = _sentences(stripped)
    language = _language(stripped)
    avg = len(stripped.split()) / sentences
    count = stripped.count
    punctuation = count(".") + count(",") + count("!") + count("?") + count(";") + count(":")
    if not stripped.isascii():
        punctuation += count("。") + count("！") + count("？")
    density = min(1.0, punctuation / length)
    question_ratio = min(1.0, questions / sentences)
    exclamation_ratio = min(1.0, exclamations / sentences)

    matched = _LEXICON.match(stripped.lower())
    tone, tone_confidence = _tone(matched, stripped, questions)
    pace, pace_reason = _pace(
        avg * KOREAN_LENGTH_FACTOR if language == "ko" else avg,
        sentences,
        density,
        exclamation_ratio,
        stripped,
    )
    return TextAnalysis(
        tone=tone,
        pace=pace,
        intent=_intent(matched, tone),
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
