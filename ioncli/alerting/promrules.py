"""`--format prometheus-rules`: the chosen rules as a Prometheus alerting-rules file.

One group per service, evaluated every step (the backtest's evaluation interval); one alert
per series whose rule has an exact translation, with the same PromQL and `for` as the
Cloud Monitoring condition `--apply` writes. Labels say the severity and which rule it is;
annotations say where the number came from. A series whose rule cannot run is listed as a
comment. `promtool check rules` accepts the file (tests run it); YAML is written by hand,
every string double-quoted in JSON syntax (a subset of YAML's double-quoted scalars).
"""

from __future__ import annotations

import json

from ioncli.alerting.model import SeriesOut, TuneReport
from ioncli.alerting.policies import alert_name, rule_group
from ioncli.alerting.render import fmt


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def rule_annotations(series: SeriesOut, report: TuneReport) -> dict[str, str]:
    r = series.rule
    learned = report.baseline_end or report.end
    return {
        "summary": f"{series.id} is outside its tuned range ({r.kind})",
        "description": (
            f"Set by ion tune-alerts {report.ion_version} for {report.service}: rule {r.kind} "
            f"({r.parameter} {r.value:g}): {r.explanation}. Learned from {report.source} up to "
            f"{learned:%Y-%m-%d %H:%M} UTC, tuned to at most {report.max_alerts_per_week:g} "
            f"alerts a week (history {series.history_alerts_per_week:.2f}/week, backtest "
            f"{series.backtest.alerts_per_week:.2f}/week, median "
            f"{fmt(series.baseline.get('median'))})."
        ),
    }


def rule_labels(series: SeriesOut, report: TuneReport) -> dict[str, str]:
    return {
        "severity": "critical",
        "ion_rule": series.rule.kind,
        "ion_series": series.id,
        "ion_service": report.service,
    }


def render_rules(report: TuneReport) -> str:
    out = [
        f"# Prometheus alerting rules from ion tune-alerts {report.ion_version} for "
        f"{report.service} ({report.source}).",
        "# Each alert is the backtested rule: same PromQL, `for` and evaluation interval as the",
        "# Cloud Monitoring condition `ion tune-alerts --apply` writes.",
        "groups:",
        f"  - name: {_q(rule_group(report.service))}",
        f"    interval: {max(1, report.step_seconds)}s",
    ]
    rules: list[str] = []
    for s in report.series:
        cond = s.rule.condition
        if cond is None or cond.type == "none":
            why = cond.note if cond is not None else "no condition"
            out.append(f"    # {s.id}: not written ({why})".replace("\n", " "))
            continue
        rules += [
            f"      - alert: {alert_name(s.id)}",
            f"        expr: {_q(cond.query)}",
            f"        for: {cond.for_seconds}s",
            "        labels:",
            *(f"          {k}: {_q(v)}" for k, v in rule_labels(s, report).items()),
            "        annotations:",
            *(f"          {k}: {_q(v)}" for k, v in rule_annotations(s, report).items()),
        ]
    out += ["    rules:", *rules] if rules else ["    rules: []"]
    return "\n".join(out) + "\n"


__all__ = ["render_rules", "rule_annotations", "rule_labels"]
