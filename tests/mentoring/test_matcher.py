"""The fast keyword matcher finds exactly what a plain, slow reading of the lexicon rules finds."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ioncli.mentoring.lexicon import INTENT_KEYWORDS, PERSONA_KEYWORDS, TONE_KEYWORDS
from ioncli.mentoring.matcher import NEGATIONS, Lexicon

TABLE = {f"tone:{k}": v for k, v in TONE_KEYWORDS.items()} | {
    f"intent:{k}": v for k, v in INTENT_KEYWORDS.items()
}
LEXICON = Lexicon(TABLE)
ENTRIES = sorted({e.rstrip("*") for entries in TABLE.values() for e in entries})


def slow_match(table: dict[str, tuple[str, ...]], text: str) -> dict[str, set[str]]:
    """The spelling rules of lexicon.py, applied one entry at a time."""
    lower = text.lower().replace("\u2019", "'")
    words = re.findall(r"[a-z0-9']+", lower)
    # Words that do not follow a negation, each with what comes after it.
    free = [(w, words[i:]) for i, w in enumerate(words) if i == 0 or words[i - 1] not in NEGATIONS]
    found: dict[str, set[str]] = {}
    for category, entries in table.items():
        for entry in entries:
            e = entry.lower()
            if e.endswith("*"):
                hit = any(w.startswith(e[:-1]) for w, _ in free)
            elif " " in e and re.fullmatch(r"[a-z0-9' ]+", e):
                hit = any(tail[: len(e.split())] == e.split() for _, tail in free)
            elif re.fullmatch(r"[a-z0-9']+", e):
                hit = any(w == e for w, _ in free)
            else:
                hit = e in lower
            if hit:
                found.setdefault(category, set()).add(entry)
    return found


fragments = (
    st.sampled_from(ENTRIES)
    | st.text(max_size=8)
    | st.sampled_from([" ", ". ", "?", "’", "not", "no", "don't"])
)


@settings(max_examples=400, deadline=None)
@given(st.lists(fragments, max_size=12).map(" ".join))
def test_fast_and_slow_readings_agree(text: str) -> None:
    fast = {k: set(v) for k, v in LEXICON.match(text.lower()).items()}
    assert fast == slow_match(TABLE, text)


def test_persona_strengths_agree_too() -> None:
    strengths = Lexicon(PERSONA_KEYWORDS)
    text = "Our team's API design needs data, 협업 and 감정 support; let's refactor the code"
    fast = {k: set(v) for k, v in strengths.match(text.lower()).items()}
    assert fast == slow_match(dict(PERSONA_KEYWORDS), text)
    assert fast["Nana"] == {"team*", "협업"}


def test_each_entry_is_reported_once() -> None:
    hits = LEXICON.match("stuck stuck stuck, so stuck")
    assert hits["tone:frustrated"] == ["stuck"]


def test_a_negated_word_does_not_count() -> None:
    hits = LEXICON.match("this is not urgent and there is no bug, i'm not worried")
    assert "tone:urgent" not in hits
    assert "intent:problem_solving" not in hits
    assert "tone:anxious" not in hits
    # A phrase that starts with the negation is itself the keyword.
    assert LEXICON.match("it's not working")["tone:frustrated"] == ["not working"]
