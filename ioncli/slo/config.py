"""`[slo.NAME]` tables in ion.toml: objectives as configuration, validated up front.

    [slo.availability]                  # the default when no [slo] table is given
    sli = "availability"                # good = requests that did not answer 5xx
    objective = 99.95                   # percent of good requests
    window = "28d"                      # rolling whole days (1-30), or "calendar-month"

    [slo.latency]
    sli = "latency"                     # good = requests faster than threshold_ms
    objective = 99.0
    threshold_ms = 200                  # must be a bucket bound of the latency distribution

    [[slo.latency.alerts]]              # replaces the Workbook's three rules for this SLO
    name = "page-fast"
    severity = "page"
    long = "1h"
    short = "5m"
    burn_rate = 14.4

Every problem is a ConfigError (exit 3) naming the file and the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ioncli.config_schema import check_slo_table
from ioncli.errors import ConfigError, UsageError

SLIS = ("availability", "latency")
DEFAULT_OBJECTIVE = 99.95  # the original report's availability SLA
DEFAULT_WINDOW_DAYS = 28
CALENDAR_MONTH = "calendar-month"
# Cloud Monitoring accepts rolling periods of whole days up to 30 (ServiceLevelObjective).
MAX_ROLLING_DAYS = 30


@dataclass(frozen=True)
class AlertRule:
    """A multiwindow burn-rate rule: fires when both windows burn faster than `burn_rate`."""

    name: str
    severity: str  # "page" or "ticket"
    long_seconds: int
    short_seconds: int
    burn_rate: float

    @property
    def budget_share(self) -> float:
        """Share of a 30-day budget the rule's threshold burns in its long window (Workbook)."""
        return self.burn_rate * self.long_seconds / (30 * 86400)


# The SRE Workbook's "Alerting on SLOs" recommendation: page on 2% of a 30-day budget spent
# in 1 h or 5% in 6 h; ticket on 10% in 3 d.
DEFAULT_RULES = (
    AlertRule("page-1h", "page", 3600, 300, 14.4),
    AlertRule("page-6h", "page", 6 * 3600, 1800, 6.0),
    AlertRule("ticket-3d", "ticket", 3 * 86400, 6 * 3600, 1.0),
)


@dataclass(frozen=True)
class SloSpec:
    name: str
    sli: str
    objective: float  # a fraction, 0 < objective < 1
    window_days: int | None = DEFAULT_WINDOW_DAYS  # None: the calendar month
    threshold_ms: float | None = None
    regions: tuple[str, ...] = ()  # empty: every region the source has
    description: str = ""
    # None: derived from traffic (see replay.min_bad_events); 0 turns the minimum off.
    min_bad_events: int | None = None
    alerts: tuple[AlertRule, ...] = DEFAULT_RULES

    @property
    def budget_ratio(self) -> float:
        return 1.0 - self.objective

    @property
    def window_label(self) -> str:
        return CALENDAR_MONTH if self.window_days is None else f"{self.window_days}d rolling"

    @property
    def objective_percent(self) -> float:
        return round(self.objective * 100.0, 6)


DEFAULT_SLO = SloSpec("availability", "availability", DEFAULT_OBJECTIVE / 100.0)


def load_slos(raw: Mapping[str, Any], where: str) -> tuple[SloSpec, ...]:
    """Every configured SLO, validated; the report's 99.95% availability when none is."""
    if not raw:
        return (DEFAULT_SLO,)
    return tuple(_one(name, table, where) for name, table in raw.items())


def select(slos: tuple[SloSpec, ...], names: list[str] | None) -> tuple[SloSpec, ...]:
    if not names:
        return slos
    known = {s.name: s for s in slos}
    for name in names:
        if name not in known:
            raise UsageError(f"--slo {name!r}: no such objective (configured: {', '.join(known)})")
    return tuple(known[n] for n in dict.fromkeys(names))


def _fail(where: str, key: str, problem: str) -> ConfigError:
    return ConfigError(f"{where}: key '{key}' {problem}")


def _one(name: str, table: Any, where: str) -> SloSpec:
    key = f"slo.{name}"
    check_slo_table(name, table, where)  # name, keys and types: declared in the schema
    sli = str(table.get("sli", "availability"))
    if sli not in SLIS:
        raise _fail(where, f"{key}.sli", f"must be one of {', '.join(SLIS)}, found {sli!r}")
    default = DEFAULT_OBJECTIVE if sli == "availability" else 99.0
    objective = float(table.get("objective", default))
    if not 0.0 < objective < 100.0:
        raise _fail(
            where,
            f"{key}.objective",
            f"must be a percentage above 0 and below 100 (no error budget at 100%), "
            f"found {objective:g}",
        )
    threshold = table.get("threshold_ms")
    if sli == "latency":
        if threshold is None:
            raise _fail(where, f"{key}.threshold_ms", "is needed for a latency SLI")
        if float(threshold) <= 0:
            raise _fail(where, f"{key}.threshold_ms", f"must be positive, found {threshold}")
    elif threshold is not None:
        raise _fail(where, f"{key}.threshold_ms", "only applies to a latency SLI")
    regions = table.get("regions", [])
    if not all(isinstance(r, str) and r for r in regions):
        raise _fail(where, f"{key}.regions", "expects a list of region names")
    return SloSpec(
        name=name,
        sli=sli,
        objective=objective / 100.0,
        window_days=_window(table.get("window", f"{DEFAULT_WINDOW_DAYS}d"), f"{key}.window", where),
        threshold_ms=float(threshold) if threshold is not None else None,
        regions=tuple(regions),
        description=str(table.get("description", "")),
        min_bad_events=_min_bad(table.get("min_bad_events", "auto"), key, where),
        alerts=_rules(table.get("alerts"), key, where),
    )


def _window(text: str, key: str, where: str) -> int | None:
    if text.strip().lower() == CALENDAR_MONTH:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*d\s*", text)
    if not match or not 1 <= int(match.group(1)) <= MAX_ROLLING_DAYS:
        raise _fail(
            where,
            key,
            f"must be whole days from 1d to {MAX_ROLLING_DAYS}d (Cloud Monitoring's limit) "
            f"or {CALENDAR_MONTH!r}, found {text!r}",
        )
    return int(match.group(1))


def _min_bad(value: Any, key: str, where: str) -> int | None:
    if value == "auto":
        return None
    if isinstance(value, int) and value >= 0:
        return value
    raise _fail(where, f"{key}.min_bad_events", f"must be 'auto' or a count >= 0, found {value!r}")


def _seconds(text: str, key: str, where: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*(m|h|d)\s*", text)
    if not match or int(match.group(1)) <= 0:
        raise _fail(where, key, f"expects a duration like 5m, 1h or 3d, found {text!r}")
    return int(match.group(1)) * {"m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _rules(raw: Any, key: str, where: str) -> tuple[AlertRule, ...]:
    if raw is None:
        return DEFAULT_RULES
    rules = []
    for i, table in enumerate(raw):
        here = f"{key}.alerts[{i}]"  # a table of known typed keys (check_slo_table)
        for needed in ("long", "short", "burn_rate"):
            if needed not in table:
                raise _fail(where, f"{here}.{needed}", "is missing")
        long_s = _seconds(table["long"], f"{here}.long", where)
        short_s = _seconds(table["short"], f"{here}.short", where)
        if short_s >= long_s:
            raise _fail(where, f"{here}.short", "must be shorter than 'long'")
        rate = float(table["burn_rate"])
        if rate <= 0:
            raise _fail(where, f"{here}.burn_rate", f"must be positive, found {rate:g}")
        severity = str(table.get("severity", "page"))
        if severity not in ("page", "ticket"):
            raise _fail(where, f"{here}.severity", f"must be page or ticket, found {severity!r}")
        name = str(table.get("name", f"{severity}-{table['long']}"))
        rules.append(AlertRule(name, severity, long_s, short_s, rate))
    if not rules:
        raise _fail(where, f"{key}.alerts", "is empty (leave it out for the default rules)")
    return tuple(rules)
