"""Fast keyword matching for short messages: one tokenising regex, then dictionary lookups.

A dozen alternation regexes per message would cost tens of microseconds; instead the text is
split into lower-case words once, and whole words, word prefixes (`stem*`) and phrases
(2-4 words) are looked up in dictionaries. Hangul and symbol entries are plain substring tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_WORD = re.compile(r"[a-z0-9']+(?:-[a-z0-9']+)*")
_ASCII_WORD = re.compile(r"^[a-z0-9'-]+$")


class Lexicon:
    """Category -> keyword entries (see lexicon.py for the spelling rules), compiled for lookup."""

    def __init__(self, table: Mapping[str, tuple[str, ...]]) -> None:
        self.categories = tuple(table)
        self._words: dict[str, list[tuple[str, str]]] = {}
        self._stems: dict[str, list[tuple[str, str]]] = {}
        self._phrases: dict[str, list[tuple[str, str]]] = {}
        self._ascii_substrings: list[tuple[str, str, str]] = []
        self._other_substrings: list[tuple[str, str, str]] = []
        stem_lengths: set[int] = set()
        phrase_lengths: set[int] = set()
        for category, entries in table.items():
            for entry in entries:
                text = entry.lower()
                if text.endswith("*"):
                    stem = text[:-1]
                    self._stems.setdefault(stem, []).append((category, entry))
                    stem_lengths.add(len(stem))
                elif " " in text and all(_ASCII_WORD.match(w) for w in text.split()):
                    self._phrases.setdefault(text, []).append((category, entry))
                    phrase_lengths.add(len(text.split()))
                elif _ASCII_WORD.match(text):
                    self._words.setdefault(text, []).append((category, entry))
                elif text.isascii():
                    self._ascii_substrings.append((text, category, entry))
                else:
                    self._other_substrings.append((text, category, entry))
        self._stem_lengths = tuple(sorted(stem_lengths))
        self._phrase_lengths = tuple(sorted(phrase_lengths))

    def match(self, lower: str) -> dict[str, list[str]]:
        """Category -> the entries found in `lower` (already lower-cased), each entry once."""
        found: dict[str, list[str]] = {}

        def add(hits: list[tuple[str, str]]) -> None:
            for category, entry in hits:
                bucket = found.setdefault(category, [])
                if entry not in bucket:
                    bucket.append(entry)

        words = _WORD.findall(lower)
        exact, stems = self._words, self._stems
        for word in words:
            hit = exact.get(word)
            if hit:
                add(hit)
            for length in self._stem_lengths:
                if length > len(word):
                    break
                hit = stems.get(word[:length])
                if hit:
                    add(hit)
        if self._phrase_lengths and len(words) > 1:
            for n in self._phrase_lengths:
                for i in range(len(words) - n + 1):
                    hit = self._phrases.get(" ".join(words[i : i + n]))
                    if hit:
                        add(hit)
        substrings = self._ascii_substrings
        if not lower.isascii():
            substrings = substrings + self._other_substrings
        for text, category, entry in substrings:
            if text in lower:
                add([(category, entry)])
        return found
