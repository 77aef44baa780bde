"""Reading ISO 8601 times: the one parser behind every flag, file and query parameter."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_iso(text: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime; a time without a zone is UTC.

    A trailing `Z` (or `z`, as RFC 3339 allows) means UTC, also after a bare date, which
    `datetime.fromisoformat` alone rejects. Raises ValueError; each caller turns it into
    the error its user needs (a flag, a file row, an HTTP parameter).
    """
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    moment = datetime.fromisoformat(raw)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def short_duration(seconds: int) -> str:
    """Whole seconds as the flags take them: 1d, 6h, 5m, 90s."""
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"
