"""Time windows from flags: `--since 7d`, `--until 2026-11-28T12:00Z`, `--step 5m`.

Pure functions of their text and an explicit `now`, so tests need no clock. Every bad value
is a UsageError naming the flag and showing what a good one looks like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ioncli.errors import UsageError
from ioncli.times import parse_iso

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

# Cloud Monitoring makes system metrics readable 3-4 minutes after sampling: a window that
# ends at "now" would show a falsely empty last bucket.
GCP_DATA_LAG = timedelta(minutes=4)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    step_seconds: int


def parse_duration(text: str, flag: str) -> timedelta:
    """`90m`, `24h`, `7d`, `2w`, `300s` or a bare number of seconds."""
    match = _DURATION_RE.match(text)
    if not match:
        raise UsageError(f"{flag} {text!r}: expected a duration like 90m, 24h, 7d or 2w")
    amount = float(match.group(1))
    unit = (match.group(2) or "s").lower()
    seconds = amount * _UNIT_SECONDS[unit]
    if seconds <= 0:
        raise UsageError(f"{flag} {text!r}: the duration must be positive")
    return timedelta(seconds=seconds)


def parse_time(text: str, flag: str) -> datetime:
    """An ISO 8601 time; a time without a zone is UTC."""
    try:
        return parse_iso(text)
    except ValueError:
        raise UsageError(
            f"{flag} {text!r}: expected an ISO 8601 time like 2026-11-28T12:00:00Z"
        ) from None


def parse_step(text: str | None, *, minimum: int = 1) -> int:
    """`--step` in seconds: `60`, `300s`, `1m`, `5m`, `1h`."""
    if text is None or str(text).strip() == "":
        return 60
    seconds = parse_duration(str(text), "--step").total_seconds()
    if seconds != int(seconds):
        raise UsageError(f"--step {text!r}: must be a whole number of seconds")
    if seconds < minimum:
        raise UsageError(
            f"--step {text!r}: this source needs a step of at least {minimum} s "
            "(Cloud Monitoring aligns to 60 s or more)"
        )
    return int(seconds)


def resolve_window(
    since: str | None,
    until: str | None,
    step: str | None,
    *,
    now: datetime,
    lag: timedelta = timedelta(0),
    default_since: str = "24h",
    min_step: int = 1,
) -> Window:
    """Turn the three flags into a UTC [start, end) window.

    `--since` is a duration back from the end, or an absolute time; `--until` defaults to
    `now - lag` (the source's data lag). The end is rounded down to the step so that every
    bucket in the window is complete.
    """
    step_seconds = parse_step(step, minimum=min_step)
    end = parse_time(until, "--until") if until else (now - lag)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    end = _floor(end, step_seconds)
    since_text = since if since else default_since
    if _DURATION_RE.match(since_text):
        start = end - parse_duration(since_text, "--since")
    else:
        start = parse_time(since_text, "--since")
    start = _floor(start, step_seconds)
    if start >= end:
        raise UsageError(
            f"--since {since_text!r} is not before --until {end.isoformat()}: the range is empty"
        )
    return Window(start, end, step_seconds)


def _floor(moment: datetime, step_seconds: int) -> datetime:
    stamp = int(moment.timestamp())
    return datetime.fromtimestamp(stamp - stamp % step_seconds, UTC)
