"""`--format prometheus-rules`: recording and alerting rules for each objective, as Sloth
generates them, over the metrics `ion serve` exposes at /metrics (scraped by Prometheus or
Managed Service for Prometheus).

Per objective, one rule group (recording rules first, so the alerts read this evaluation's
values): the error ratio over every window the alert rules use
(`slo:sli_error:ratio_rate<w>`), the bad requests over each long window
(`slo:sli_error:count<w>`), the average request rate over the SLO window
(`slo:sli_requests:rate<d>`, the mean of the recorded 5-minute rates),
then one alert per burn-rate rule: both windows' error ratios above factor × (1 − objective)
and, traffic-aware, at least factor × (1 − objective) × long window × that request rate bad
requests (or the configured fixed count). The same conditions `ion slo` replays.

The rules cover the whole service (the sum of every scraped instance), not each region: the
service's own metrics carry no region label. A latency objective needs its threshold to be a
bucket bound of `ion_http_request_duration_seconds`; otherwise the file says it was left out.
"""

from __future__ import annotations

import math

from ioncli import __version__
from ioncli.serve.metrics import LATENCY_BUCKETS
from ioncli.slo.config import SloSpec

REQUESTS = "ion_http_requests_total"
DURATION = "ion_http_request_duration_seconds"


def _window(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _le(threshold_ms: float) -> str | None:
    """The `le` label of ion serve's bucket at the threshold, if there is one."""

    seconds = threshold_ms / 1000.0
    for bound in LATENCY_BUCKETS:
        if math.isclose(bound, seconds, rel_tol=1e-9):
            return repr(float(bound))  # how /metrics spells it
    return None


def _selectors(spec: SloSpec) -> tuple[str, str] | str:
    """(PromQL for bad requests over [W], for all requests over [W]); or why not."""
    if spec.sli == "availability":
        return f'{REQUESTS}{{status=~"5.."}}[W]', f"{REQUESTS}[W]"
    assert spec.threshold_ms is not None
    le = _le(spec.threshold_ms)
    if le is None:
        bounds = ", ".join(f"{b * 1000:g}" for b in LATENCY_BUCKETS)
        return (
            f"threshold {spec.threshold_ms:g} ms is not a bucket bound of {DURATION} ({bounds} ms)"
        )
    return f'{DURATION}_bucket{{le="{le}"}}[W]', f"{DURATION}_count[W]"


def group(spec: SloSpec, service: str) -> list[str]:
    """The YAML lines of one objective's rule group (or comments saying why there is none)."""
    picked = _selectors(spec)
    if isinstance(picked, str):
        return [f"  # {spec.name}: not written: {picked}"]
    bad, total = picked
    labels = f'service="{service}", slo="{spec.name}"'
    ratio = spec.budget_ratio
    lines = [
        f"  - name: ion-slo-{spec.name}",
        "    interval: 1m",
        "    rules:",
    ]

    def record(name: str, expr: str) -> None:
        lines.extend(
            [
                f"      - record: {name}",
                f"        expr: {expr}",
                "        labels:",
                f"          service: {_quote(service)}",
                f"          slo: {_quote(spec.name)}",
            ]
        )

    def increase(selector: str, w: str) -> str:
        return f"sum(increase({selector.replace('[W]', f'[{w}]')}))"

    windows = sorted({s for r in spec.alerts for s in (r.long_seconds, r.short_seconds)})
    for seconds in windows:
        w = _window(seconds)
        if spec.sli == "availability":
            expr = f"{increase(bad, w)} / {increase(total, w)}"
        else:  # bad = all - fast
            expr = f"({increase(total, w)} - {increase(bad, w)}) / {increase(total, w)}"
        record(f"slo:sli_error:ratio_rate{w}", expr)
    for seconds in sorted({r.long_seconds for r in spec.alerts}):
        w = _window(seconds)
        count = increase(bad, w)
        if spec.sli == "latency":
            count = f"({increase(total, w)} - {increase(bad, w)})"
        record(f"slo:sli_error:count{w}", count)
    days = spec.window_days or 30
    rate_name = f"slo:sli_requests:rate{days}d"
    # The average over the samples there are (as the replay takes it), not rate() over the
    # whole window, which counts history Prometheus does not have yet as no traffic.
    record("slo:sli_requests:rate5m", f"sum(rate({total.replace('[W]', '[5m]')}))")
    record(rate_name, f"avg_over_time(slo:sli_requests:rate5m{{{labels}}}[{days}d])")
    for rule in spec.alerts:
        long_w, short_w = _window(rule.long_seconds), _window(rule.short_seconds)
        limit = f"{rule.burn_rate:g} * {ratio:.10g}"
        expr = (
            f"(slo:sli_error:ratio_rate{long_w}{{{labels}}} > ({limit})"
            f" and slo:sli_error:ratio_rate{short_w}{{{labels}}} > ({limit}))"
        )
        if spec.min_bad_events is None:
            expr += (
                f" and slo:sli_error:count{long_w}{{{labels}}}"
                f" >= ({limit} * {rule.long_seconds} * {rate_name}{{{labels}}})"
            )
        elif spec.min_bad_events > 0:
            expr += f" and slo:sli_error:count{long_w}{{{labels}}} >= {spec.min_bad_events}"
        share = rule.burn_rate * rule.long_seconds / (days * 86400)
        lines.extend(
            [
                f"      - alert: {_alert_name(spec.name, rule.name)}",
                f"        expr: {expr}",
                "        labels:",
                f"          severity: {rule.severity}",
                f"          service: {_quote(service)}",
                f"          slo: {_quote(spec.name)}",
                "        annotations:",
                "          summary: "
                + _quote(
                    f"{service} {spec.name}: error budget burning {rule.burn_rate:g}x over "
                    f"{long_w} and {short_w}"
                ),
                "          description: "
                + _quote(
                    f"At this rate {share:.1%} of the {days}-day error budget of "
                    f"{spec.objective_percent:g}% burns in {long_w} (rule {rule.name})."
                ),
            ]
        )
    return lines


def _alert_name(slo: str, rule: str) -> str:
    words = [w for part in (slo, rule) for w in part.replace("_", "-").split("-") if w]
    return "IonSlo" + "".join(w[:1].upper() + w[1:] for w in words)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def prometheus_rules(service: str, slos: tuple[SloSpec, ...]) -> str:
    lines = [
        f"# Prometheus rules for the service level objectives of {service},",
        f"# written by ion {__version__} (`ion slo --format prometheus-rules`). They read the",
        f"# metrics ion serve exposes at /metrics ({REQUESTS}, {DURATION}).",
        "groups:",
    ]
    body = [line for spec in slos for line in group(spec, service)]
    if not any(line.startswith("  - name:") for line in body):
        lines[-1] = "groups: []"
    return "\n".join([*lines, *body]) + "\n"
