"""The fast keyword matcher finds exactly what a plain, slow reading of the lexicon rules finds."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ioncli.mentoring.lexicon import INTENT_KEYWORDS, PERSONA_KEYWORDS, TONE_KEYWORDS
from ioncli.mentoring.matcher import Lexicon

TABLE = {f"tone:{k}": v for k, v in TONE_KEYWORDS.items()} | {
    f"intent:{k}": v for k, v in INTENT_KEYWORDS.items()
}
LEXICON = Lexicon(TABLE)
ENTRIES = sorted({e.rstrip("*") for entries in TABLE.values() for e in entries})


def slow_match(table: dict[str, tuple[str, ...]], text: str) -> dict[str, set[str]]:
    """The spelling rules of lexicon.py, applied one entry at a time."""
    lower = text.lower().replace("\u2019", "'")
    words = re.findall(r"[a-z0-9']+", lower)
    joined = f" {' '.join(words)} "
    found: dict[str, set[str]] = {}
    for category, entries in table.items():
        for entry in entries:
            e = entry.lower()
            if e.endswith("*"):
                hit = any(w.startswith(e[:-1]) for w in words)
            elif " " in e and re.fullmatch(r"[a-z0-9' ]+", e):
                hit = f" {e} " in joined
            elif re.fullmatch(r"[a-z0-9']+", e):
                hit = e in words
            else:
                hit = e in lower
            if hit:
                found.setdefault(category, set()).add(entry)
    return found


fragments = st.sampled_from(ENTRIES) | st.text(max_size=8) | st.sampled_from([" ", ". ", "?", "’"])


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
