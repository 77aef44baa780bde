"""Fast keyword matching for short messages: one tokenising regex, then dictionary lookups.

A dozen alternation regexes per message would cost tens of microseconds; instead the text is
split into lower-case words once. Each distinct word's hits (whole words and `stem*` prefixes)
are computed once and memoised (bounded); phrases are substring tests on the words re-joined
with single spaces; Hangul and symbol entries are plain substring tests on the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_WORD = re.compile(r"[a-z0-9']+(?:-[a-z0-9']+)*")
_ASCII_WORD = re.compile(r"^[a-z0-9'-]+$")

Hit = tuple[str, str]  # (category, entry as written in the lexicon)
MEMO_LIMIT = 50_000


class Lexicon:
    """Category -> keyword entries (see lexicon.py for the spelling rules), compiled for lookup."""

    def __init__(self, table: Mapping[str, tuple[str, ...]]) -> None:
        self.categories = tuple(table)
        self._words: dict[str, list[Hit]] = {}
        self._stems: dict[str, list[Hit]] = {}
        self._phrases: list[tuple[str, Hit]] = []
        self._ascii_substrings: list[tuple[str, Hit]] = []
        self._other_substrings: list[tuple[str, Hit]] = []
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
                    self._phrases.append((f" {text} ", hit))
                elif _ASCII_WORD.match(text):
                    self._words.setdefault(text, []).append(hit)
                elif text.isascii():
                    self._ascii_substrings.append((text, hit))
                else:
                    self._other_substrings.append((text, hit))
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
        words = _WORD.findall(lower)
        memo = self._memo
        for word in words:
            hits = memo.get(word)
            if hits is None:
                hits = self._word_hits(word)
                if len(memo) < MEMO_LIMIT:
                    memo[word] = hits
            for category, entry in hits:
                bucket = found.setdefault(category, [])
                if entry not in bucket:
                    bucket.append(entry)
        # Phrases search the re-joined words; symbols and Hangul search the raw text.
        if len(words) > 1:
            joined = f" {' '.join(words)} "
            for text, (category, entry) in self._phrases:
                if text in joined:
                    bucket = found.setdefault(category, [])
                    if entry not in bucket:
                        bucket.append(entry)
        substrings = self._ascii_substrings
        if not lower.isascii():
            substrings = substrings + self._other_substrings
        for text, (category, entry) in substrings:
            if text in lower:
                bucket = found.setdefault(category, [])
                if entry not in bucket:
                    bucket.append(entry)
        return found
