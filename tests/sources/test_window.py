"""`--since/--until/--step` parsing: pure functions of their text and a given clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ioncli.errors import UsageError
from ioncli.sources.window import parse_duration, parse_step, parse_time, resolve_window

NOW = datetime(2026, 11, 28, 18, 3, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90m", 5400), ("24h", 86400), ("7d", 604800), ("2w", 1209600), ("300", 300), ("1.5h", 5400)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text, "--since") == timedelta(seconds=seconds)


def test_times_are_utc_and_naive_means_utc() -> None:
    assert parse_time("2026-11-28T12:00:00Z", "--until") == datetime(2026, 11, 28, 12, tzinfo=UTC)
    assert parse_time("2026-11-28 12:00", "--until") == datetime(2026, 11, 28, 12, tzinfo=UTC)
    assert parse_time("2026-11-28T13:00+01:00", "--until") == datetime(2026, 11, 28, 12, tzinfo=UTC)


def test_steps() -> None:
    assert parse_step(None) == 60
    assert parse_step("5m") == 300 and parse_step("10s") == 10 and parse_step("1h") == 3600
    with pytest.raises(UsageError, match="at least 60"):
        parse_step("30s", minimum=60)
    with pytest.raises(UsageError, match="whole number"):
        parse_step("1.5s")


def test_window_ends_at_the_lag_and_is_rounded_to_the_step() -> None:
    window = resolve_window("1h", None, "5m", now=NOW, lag=timedelta(minutes=4))
    assert window.end == datetime(2026, 11, 28, 17, 55, tzinfo=UTC)
    assert window.start == datetime(2026, 11, 28, 16, 55, tzinfo=UTC)
    since_time = resolve_window("2026-11-28T10:00Z", "2026-11-28T11:00Z", None, now=NOW)
    assert (since_time.start.hour, since_time.end.hour, since_time.step_seconds) == (10, 11, 60)


@pytest.mark.parametrize("text", ["-5m", "0h", "soon", "5 parsecs"])
def test_bad_since(text: str) -> None:
    with pytest.raises(UsageError, match="--since"):
        resolve_window(text, None, None, now=NOW)
