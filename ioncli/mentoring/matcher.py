"""Fast keyword matching for short messages: one tokenising regex, then dictionary lookups.

A dozen alternation regexes per message would cost tens of microseconds; instead the text is
split into lower-case words once. Each distinct word's hits (whole words and `stem*` prefixes)
are computed once and memoised (bounded); phrases are indexed by their first word; Hangul
and symbol entries (and anything with a hyphen) are plain substring tests on the text.
A word or phrase right after a negation ("not urgent", "no bug") does not count.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_WORD = re.compile(r"[a-z0-9']+")
_ASCII_WORD = re.compile(r"^[a-z0-9']+$")

Hit = tuple[str, str]  # (category, entry as written in the lexicon)
NEGATIONS = frozenset(
    {"not", "no", "never", "without", "nothing", "don't", "dont", "isn't", "aren't", "wasn't"}
)
MEMO_LIMIT = 50_000


class Lexicon:
    """Category -> keyword entries (see lexicon.py for the spelling rules), compiled for lookup."""

    def __init__(self, table: Mapping[str, tuple[str, ...]]) -> None:
        self._words: dict[str, list[Hit]] = {}
        self._stems: dict[str, list[Hit]] = {}
        self._phrases: dict[str, list[tuple[list[str], Hit]]] = {}
        self._ascii_substrings: list[tuple[str, Hit]] = []
        # Non-ASCII entries (Hangul, emoji) by their first character: one dict lookup per
        # character of the text instead of a substring search per entry.
        self._by_first_char: dict[str, list[tuple[str, Hit]]] = {}
        self._memo: dict[str, tuple[Hit, ...]] = {}
        stem_lengths: set[int] = set()
        for category, entries in table.items():
            for entry in entries:
                text = entry.lower()
                hit = (category, entry)
                if text.endswith("*"):
                    self._stems.setdefault(text[:-1], []).append(hit)
                    stem_lengths.add(len(text) - 1)
                elif " " in text and all(_ASCII_WORD.match(w) for w in text.split()):
                    first, *rest = text.split()
                    self._phrases.setdefault(first, []).append((rest, hit))
                elif _ASCII_WORD.match(text):
                    self._words.setdefault(text, []).append(hit)
                elif text.isascii():
                    self._ascii_substrings.append((text, hit))
                else:
                    self._by_first_char.setdefault(text[0], []).append((text, hit))
        self._stem_lengths = tuple(sorted(stem_lengths))

    def _word_hits(self, word: str) -> tuple[Hit, ...]:
        hits = list(self._words.get(word, ()))
        for length in self._stem_lengths:
            if length > len(word):
                break
            hits.extend(self._stems.get(word[:length], ()))
        return tuple(hits)

    def match(self, lower: str) -> dict[str, list[str]]:
        """Category -> the entries found in `lower` (already lower-cased), each entry once."""
        found: dict[str, list[str]] = {}
        ascii_only = lower.isascii()
        if not ascii_only:
            lower = lower.replace("\u2019", "'")  # typographic apostrophes: don’t -> don't
        words = _WORD.findall(lower)
        memo, phrases = self._memo, self._phrases
        for i, word in enumerate(words):
            if i and words[i - 1] in NEGATIONS:
                continue
            hits = memo.get(word)
            if hits is None:
                hits = self._word_hits(word)
                if len(memo) < MEMO_LIMIT:
                    memo[word] = hits
            starts = phrases.get(word)
            if starts:
                after = i + 1
                for rest, hit in starts:
                    if words[after : after + len(rest)] == rest:
                        hits = (*hits, hit)
            for category, entry in hits:
                bucket = found.setdefault(category, [])
                if entry not in bucket:
                    bucket.append(entry)
        for text, (category, entry) in self._ascii_substrings:
            if text in lower:
                bucket = found.setdefault(category, [])
                if entry not in bucket:
                    bucket.append(entry)
        if not ascii_only:
            by_first = self._by_first_char
            for i, char in enumerate(lower):
                candidates = by_first.get(char)
                if candidates:
                    for text, (category, entry) in candidates:
                        if lower.startswith(text, i):
                            bucket = found.setdefault(category, [])
                            if entry not in bucket:
                                bucket.append(entry)
        return found
