"""The one-pass JSON writer gives the bytes of `json.dumps(to_plain(x), indent=2)`, whatever
the report holds (it replaced that pair for speed; every JSON output depends on it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum, IntEnum, StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ioncli.render import to_json, to_plain


class Colour(Enum):
    RED = "red"
    NUM = 3


class Level(IntEnum):
    LOW = 1


class Kind(StrEnum):
    SPIKE = "spike"


@dataclass(frozen=True)
class Inner:
    value: float
    when: datetime | None = None
    tags: tuple[str, ...] = ()


@dataclass
class Outer:
    name: str
    inner: list[Inner]
    extra: dict[Any, Any] = field(default_factory=dict)
    schema_version: int = 1


def _reference(obj: Any) -> str:
    return json.dumps(to_plain(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def test_every_kind_of_value_is_written_as_json_dumps_writes_it() -> None:
    odd: dict[Any, Any] = {
        "floats": [0.1, 1.0, -0.0, 1e-300, 1.7976931348623157e308, float("nan"), float("inf")],
        "ints": [0, -5, 10**30, True, False, None],
        "numpy": [np.float64(2.5), np.float64("nan"), np.int64(7), np.bool_(True), np.float32(0.1)],
        "enums": [Colour.RED, Colour.NUM, Level.LOW, Kind.SPIKE],
        "times": [
            datetime(2026, 3, 1, 12, 30, tzinfo=UTC),
            datetime(2026, 3, 1, 12, 30, 5, 123456),
            datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(hours=2))),
            date(2026, 3, 1),
            pd.Timestamp("2026-03-01T00:00:00Z"),
            pd.Timestamp("2026-03-01T00:00:00.000000001Z"),
        ],
        "text": ["", 'quote " backslash \\ tab \t newline \n', "ümlaut ✓ 名前", "\u2028\x00"],
        "empty": [[], {}, (), set()],
        "nested": [[[1]], {"a": {"b": []}}],
        "set": {3},
        "path": Path("baselines/ion.json"),
        1: "int key",
        Kind.SPIKE: "enum key",
        None: "none key",
    }
    obj = Outer("ion", [Inner(1.5, datetime(2026, 1, 1, tzinfo=UTC), ("a", "b")), Inner(1e9)], odd)
    for value in (obj, odd, [obj, odd], {"x": obj}, [], {}, "s", 1, 1.5, None, Inner(0.0)):
        assert to_json(value) == _reference(value)


def test_a_real_tune_report_is_byte_identical_to_the_reference_writer() -> None:
    from ioncli.alerting.analysis import build_report
    from ioncli.alerting.render import render_json
    from ioncli.alerting.tune import TuneOptions
    from ioncli.sources.catalog import DEFAULT_METRICS
    from ioncli.sources.sim import simulate

    end = datetime(2026, 3, 2, tzinfo=UTC)
    frame = simulate(end - timedelta(days=3), end, step_seconds=300)
    directions = {s.name: s.bad_direction for s in DEFAULT_METRICS}
    report = build_report(frame, TuneOptions(directions=directions), service="t", now=end)
    plain = to_plain(report)
    expected = json.dumps(
        {"schema_version": plain.pop("schema_version"), **plain},
        indent=2,
        ensure_ascii=False,
        allow_nan=False,
    )
    assert render_json(report) == expected + "\n"
