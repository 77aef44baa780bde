"""The baselines file `baselines/<service>.json`: written atomically, checked for drift.

`ioncli.thresholds` (and so `ion dashboard`) reads `series.<id>.rule.{direction, warning,
critical, duration_seconds, kind}`; everything else here is for people and for `--check`.
A series that alerts both ways is stored with its high side as `direction: "high"` (what
the dashboard colours by) and its low side under `rule.low: {warning, critical}`; a series
that only alerts low stores the low levels as `warning`/`critical` with `direction: "low"`.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta
from pathlib import Path
from typing import Any

from ioncli.alerting.model import CheckResult, Drift, SeriesOut, TuneReport
from ioncli.errors import ConfigError
from ioncli.render import to_json, to_plain, write_atomic
from ioncli.times import parse_iso

FILE_SCHEMA_VERSION = 1
LEVELS = ("warning", "critical", "low_warning", "low_critical")


def path_for(directory: Path, service: str) -> Path:
    return Path(directory) / f"{service}.json"


def _rule(series: SeriesOut) -> dict[str, Any]:
    r = series.rule
    primary = "low" if r.direction == "low" else "high"
    rule: dict[str, Any] = {
        "kind": r.kind,
        "direction": primary,
        "warning": r.low_warning if primary == "low" else r.warning,
        "critical": r.low_critical if primary == "low" else r.critical,
        "duration_seconds": r.duration_seconds,
        "both_ways": r.direction == "both",
        "parameter": r.parameter,
        "value": r.value,
        "adaptive": r.adaptive,
        "explanation": r.explanation,
    }
    if r.direction == "both":
        rule["low"] = {"warning": r.low_warning, "critical": r.low_critical}
    return rule


def document(report: TuneReport) -> dict[str, Any]:
    """The baselines file's content for a report."""
    return {
        "schema_version": FILE_SCHEMA_VERSION,
        "service": report.service,
        "source": report.source,
        "ion_version": report.ion_version,
        "generated_at": to_plain(report.generated_at),
        "max_alerts_per_week": report.max_alerts_per_week,
        "window": {
            "start": to_plain(report.start),
            "end": to_plain(report.end),
            "baseline_end": to_plain(report.baseline_end),
            "step_seconds": report.step_seconds,
        },
        "series": {
            s.id: {
                "rule": _rule(s),
                "statistics": to_plain(s.baseline),
                "backtest": {
                    "alerts_per_week": s.backtest.alerts_per_week,
                    "time_in_alert": s.backtest.time_in_alert,
                    "weeks": s.backtest.weeks,
                    "within_budget": s.within_budget,
                },
            }
            for s in report.series
        },
    }


def write(report: TuneReport, directory: Path) -> Path:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = path_for(directory, report.service)
    write_atomic(target, to_json(document(report)))
    return target


def read(path: Path) -> dict[str, Any]:
    """A committed baselines file; a missing or hand-broken one is a ConfigError (exit 3)."""
    if not path.is_file():
        raise ConfigError(
            f"no baselines file {path} to check against",
            hint="run `ion tune-alerts` without --check and commit the file it writes",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read baselines file: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("series"), dict):
        raise ConfigError(f"{path}: not a baselines file (no 'series' table)")
    if data.get("schema_version") != FILE_SCHEMA_VERSION:
        found = data.get("schema_version")
        raise ConfigError(f"{path}: schema_version {found!r} is not {FILE_SCHEMA_VERSION}")
    for sid, entry in data["series"].items():
        rule = entry.get("rule") if isinstance(entry, dict) else None
        if not isinstance(rule, dict):
            raise ConfigError(f"{path}: series {sid!r} has no 'rule' table")
        for name in ("warning", "critical"):
            value = rule.get(name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise ConfigError(f"{path}: series {sid!r}: 'rule.{name}' must be a number")
    return data


def _levels(rule: dict[str, Any]) -> dict[str, Any]:
    found = rule.get("low")
    low: dict[str, Any] = found if isinstance(found, dict) else {}
    return {
        "warning": rule.get("warning"),
        "critical": rule.get("critical"),
        "low.warning": low.get("warning"),
        "low.critical": low.get("critical"),
    }


def relative_change(old: float, new: float) -> float:
    """Signed change relative to the committed value: 0.9993 -> 0.8501 is -0.149."""
    if old == new:
        return 0.0
    scale = max(abs(old), abs(new) * 1e-9, 1e-12)
    return (new - old) / scale


# Changes below this are float round-off between runs, not movement worth a row.
UNCHANGED = 1e-9


def stored_window(data: dict[str, Any]) -> tuple[str, str, int] | None:
    """The (start, end exclusive, step) a baselines file was learned on, as ISO strings.

    `--check` recomputes over exactly this window so that the same data gives the same
    thresholds; a file without a usable window gives None (the command's default range).
    """

    window = data.get("window")
    if not isinstance(window, dict):
        return None
    start, end, step = window.get("start"), window.get("end"), window.get("step_seconds")
    if not (isinstance(start, str) and isinstance(end, str) and isinstance(step, int)):
        return None
    try:
        last = parse_iso(end)
        parse_iso(start)
    except ValueError:
        return None
    # The file keeps the last point's time; the range asked for is half-open.
    after = (last + timedelta(seconds=step)).isoformat().replace("+00:00", "Z")
    return start, after, step


def check(
    report: TuneReport, path: Path, tolerance: float, committed_doc: dict[str, Any] | None = None
) -> CheckResult:
    """Compare recomputed thresholds with the committed file, series by series.

    Only values that moved are listed; each is marked drift (beyond `tolerance`) or not
    (noise within tolerance). A level that appears or vanishes, a series that appears or
    goes, or a direction that flips is always drift.
    """
    committed = (committed_doc if committed_doc is not None else read(path))["series"]
    fresh = document(report)["series"]
    drifts: list[Drift] = []
    for sid in sorted(set(committed) | set(fresh)):
        if sid not in fresh:
            drifts.append(Drift(sid, "series", "present", "gone", None, True))
            continue
        if sid not in committed:
            drifts.append(Drift(sid, "series", "absent", "new", None, True))
            continue
        old_rule, new_rule = committed[sid]["rule"], fresh[sid]["rule"]
        if old_rule.get("kind") != new_rule.get("kind"):
            drifts.append(
                Drift(sid, "kind", old_rule.get("kind"), new_rule.get("kind"), None, False)
            )
        if old_rule.get("direction") != new_rule.get("direction"):
            drifts.append(
                Drift(
                    sid, "direction", old_rule.get("direction"), new_rule["direction"], None, True
                )
            )
        old_levels, new_levels = _levels(old_rule), _levels(new_rule)
        for name, old in old_levels.items():
            new = new_levels[name]
            if old is None and new is None:
                continue
            if old is None or new is None or not math.isfinite(float(old)):
                drifts.append(Drift(sid, name, old, new, None, True))
                continue
            change = relative_change(float(old), float(new))
            if abs(change) > UNCHANGED:
                drifts.append(
                    Drift(sid, name, float(old), float(new), change, abs(change) > tolerance)
                )
    return CheckResult(str(path), tolerance, drifts, sum(d.beyond_tolerance for d in drifts))
