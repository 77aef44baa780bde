"""The dashboard report: plain dataclasses that every renderer (and the JSON) reads.

Values keep the catalog's units (ratios 0..1, latency in ms); renderers format them.
A widget's `kind` tells renderers (and JSON readers) which dataclass it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

SCHEMA_VERSION = 1


class Level(StrEnum):
    """A value's status. `unknown`: no threshold judges it; `missing`: no data for it."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"
    MISSING = "missing"

    @property
    def rank(self) -> int:
        return {"critical": 2, "warning": 1}.get(self.value, 0)


def worst(levels: list[Level]) -> Level:
    """The most severe level; `ok` when anything was judged, else unknown/missing."""
    if not levels:
        return Level.MISSING
    judged = [lv for lv in levels if lv in (Level.OK, Level.WARNING, Level.CRITICAL)]
    if judged:
        return max(judged, key=lambda lv: lv.rank)
    return Level.UNKNOWN if Level.UNKNOWN in levels else Level.MISSING


@dataclass(frozen=True)
class ThresholdInfo:
    direction: str  # "high": bad above the levels; "low": bad below
    warning: float | None
    critical: float | None
    duration_seconds: int
    origin: str


@dataclass(frozen=True)
class Reading:
    """One value on a dashboard: the current level of a series or of an aggregate of series."""

    label: str
    metric: str
    unit: str
    value: float | None
    status: Level
    series: tuple[str, ...] = ()  # the series ids it was computed from
    threshold: ThresholdInfo | None = None
    spark: tuple[float | None, ...] = ()  # a short downsampled trend, oldest first
    note: str = ""


@dataclass(frozen=True)
class Stat:
    title: str
    reading: Reading
    kind: str = "stat"


@dataclass(frozen=True)
class Column:
    metric: str
    title: str
    unit: str


@dataclass(frozen=True)
class Row:
    label: str
    labels: dict[str, str]
    cells: tuple[Reading, ...]


@dataclass(frozen=True)
class Table:
    title: str
    group_by: tuple[str, ...]
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    note: str = ""
    kind: str = "table"

    def cell_notes(self) -> list[str]:
        """Notes on single cells worth a line under the table (stale data, worst series)."""
        titles = [c.title for c in self.columns]
        return [
            f"{row.label} · {title}: {cell.note}"
            for row in self.rows
            for title, cell in zip(titles, row.cells, strict=True)
            if cell.note and cell.status is not Level.MISSING
        ]


@dataclass(frozen=True)
class Line:
    name: str
    series: tuple[str, ...]
    values: tuple[float | None, ...]  # aligned with Chart.times
    status: Level = Level.UNKNOWN


@dataclass(frozen=True)
class Chart:
    """A time series chart, downsampled to at most a few hundred points per line."""

    title: str
    unit: str
    times: tuple[datetime, ...]
    lines: tuple[Line, ...]
    bucket_seconds: int
    bucket_reduce: str  # how each point summarises its bucket: max, min or mean
    threshold: ThresholdInfo | None = None
    note: str = ""
    kind: str = "chart"


@dataclass(frozen=True)
class Alert:
    series: str
    metric: str
    labels: dict[str, str]
    unit: str
    value: float
    status: Level
    threshold: ThresholdInfo
    since: datetime | None  # start of the latest run of points beyond the level
    held_seconds: int  # how long that run lasted
    firing: bool  # the run reaches the latest point and lasted the rule's duration


@dataclass(frozen=True)
class AlertList:
    title: str
    alerts: tuple[Alert, ...]
    kind: str = "alerts"


@dataclass(frozen=True)
class Anomaly:
    series: str
    metric: str
    labels: dict[str, str]
    unit: str
    start: datetime
    end: datetime  # last anomalous point
    seconds: int  # how long the run lasted (points x step)
    peak: float
    baseline: float
    score: float  # peak's distance from the baseline in robust standard deviations
    direction: str  # "above" or "below"
    incident: str = ""  # a labelled incident of the frame that overlaps, if any


@dataclass(frozen=True)
class AnomalyList:
    title: str
    method: str
    anomalies: tuple[Anomaly, ...]
    total: int  # before the list was capped
    kind: str = "anomalies"


Widget = Stat | Table | Chart | AlertList | AnomalyList


@dataclass(frozen=True)
class Dashboard:
    name: str
    title: str
    description: str
    status: Level
    widgets: tuple[Widget, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Thresholds:
    kind: str  # "baselines" or "defaults"
    origin: str


@dataclass(frozen=True)
class DashboardReport:
    service: str
    source: str
    simulated: bool
    generated_at: datetime
    start: datetime
    end: datetime
    step_seconds: int
    thresholds: Thresholds
    status: Level
    counts: dict[str, int]
    summary: str
    dashboards: tuple[Dashboard, ...]
    warnings: tuple[str, ...] = ()
    regions: tuple[str, ...] = field(default=())
    schema_version: int = SCHEMA_VERSION

    def readings(self) -> list[Reading]:
        return [r for d in self.dashboards for r in dashboard_readings(d)]

    def breaches(self, floor: Level) -> list[str]:
        """What is at or above `floor` (warning or critical): series ids, or a fleet value
        with the region that makes it so; sorted, each once."""
        found = {a.series for a in self.alerts() if a.status.rank >= floor.rank}
        for r in self.readings():
            if r.status.rank < floor.rank or not r.series:
                continue
            if len(r.series) == 1:
                found.add(r.series[0])
            else:
                found.add(f"{r.metric} fleet ({r.note})" if r.note else f"{r.metric} fleet")
        return sorted(found)

    def alerts(self) -> list[Alert]:
        return [
            a
            for d in self.dashboards
            for w in d.widgets
            if isinstance(w, AlertList)
            for a in w.alerts
        ]


def dashboard_readings(dashboard: Dashboard) -> list[Reading]:
    """Every value a dashboard shows (stats and table cells); alerts are counted separately."""
    out: list[Reading] = []
    for widget in dashboard.widgets:
        if isinstance(widget, Stat):
            out.append(widget.reading)
        elif isinstance(widget, Table):
            out.extend(cell for row in widget.rows for cell in row.cells)
    return out
