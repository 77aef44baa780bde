"""User entries of the metrics catalog (`[metrics.NAME]` in ion.toml), validated.

Every key is checked against what an entry can hold, and a filter is checked before any call,
so a typo in ion.toml fails at once with its key and file (exit 3), not as a server error
halfway through a pull.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from ioncli.config_schema import METRIC_KEYS, QUERY_KEYS, check_metric_entry
from ioncli.errors import ConfigError
from ioncli.sources.spec import GcpQuery, MetricSpec

ALIGNERS = [
    "ALIGN_NONE",
    "ALIGN_DELTA",
    "ALIGN_RATE",
    "ALIGN_INTERPOLATE",
    "ALIGN_NEXT_OLDER",
    "ALIGN_MIN",
    "ALIGN_MAX",
    "ALIGN_MEAN",
    "ALIGN_COUNT",
    "ALIGN_SUM",
    "ALIGN_STDDEV",
    "ALIGN_PERCENTILE_99",
    "ALIGN_PERCENTILE_95",
    "ALIGN_PERCENTILE_50",
    "ALIGN_PERCENTILE_05",
]
REDUCERS = [
    "REDUCE_NONE",
    "REDUCE_MEAN",
    "REDUCE_MIN",
    "REDUCE_MAX",
    "REDUCE_SUM",
    "REDUCE_STDDEV",
    "REDUCE_COUNT",
    "REDUCE_PERCENTILE_99",
    "REDUCE_PERCENTILE_95",
    "REDUCE_PERCENTILE_50",
    "REDUCE_PERCENTILE_05",
]


def user_entry(name: str, raw: Any, base: MetricSpec | None, where: str) -> MetricSpec:
    key = f"metrics.{name}"
    check_metric_entry(name, raw, where)  # name, keys and types: declared in the schema
    spec_fields: dict[str, Any] = {
        k: (tuple(v) if isinstance(v, list) else v) for k, v in raw.items() if k in METRIC_KEYS
    }
    if "scale" in spec_fields:
        spec_fields["scale"] = float(spec_fields["scale"])
    query = _query(raw, base.query if base else None, key, where)
    denominator = base.denominator if base else None
    if "denominator" in raw:
        denominator = _query(raw["denominator"], None, f"{key}.denominator", where)
    if base is None:
        if "unit" not in raw:
            raise ConfigError(f"{where}: new metric '{key}' needs a 'unit'")
        base = MetricSpec(name, raw["unit"], "custom")
    return dataclasses.replace(base, query=query, denominator=denominator, **spec_fields)


def _query(raw: dict[str, Any], base: GcpQuery | None, key: str, where: str) -> GcpQuery | None:
    given = {k: v for k, v in raw.items() if k in QUERY_KEYS}
    if not given:
        return base
    if base is None and "metric_type" not in given:
        raise ConfigError(f"{where}: '{key}' needs a 'metric_type' for Cloud Monitoring")
    if "group_by" in given:
        given["group_by"] = tuple(str(g) for g in given["group_by"])
    if "percentile" in given:
        given["percentile"] = float(given["percentile"])
    if "below" in given:
        given["below"] = float(given["below"])
    query = dataclasses.replace(base, **given) if base else GcpQuery(**given)
    if query.aligner not in ALIGNERS:
        raise ConfigError(f"{where}: key '{key}.aligner': unknown aligner {query.aligner!r}")
    if query.reducer not in REDUCERS:
        raise ConfigError(f"{where}: key '{key}.reducer': unknown reducer {query.reducer!r}")
    problem = filter_problem(query.filter)
    if problem:
        raise ConfigError(f"{where}: key '{key}.filter' is malformed: {problem}")
    return query


_TERM_RE = re.compile(
    r"""^\s*(NOT\s+)?[a-z_]+(\.[A-Za-z0-9_]+)+\s*(=|!=|:|<|>|<=|>=)\s*"""
    r"""("[^"]*"|[0-9.]+)\s*$"""
)


def filter_problem(text: str) -> str | None:
    """Why an extra filter cannot work (None when it looks well formed).

    Checked before any call so a typo in ion.toml fails at once with its key, not as a
    server error halfway through a pull. Terms are `field = "value"` (or a function such as
    starts_with("...")) joined with AND/OR; the metric type is set by `metric_type`.
    """
    if not text.strip():
        return None
    if text.count('"') % 2:
        return "unbalanced quotes"
    depth = 0
    for ch in re.sub(r'"[^"]*"', '""', text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return "unbalanced parentheses"
    if depth:
        return "unbalanced parentheses"
    if re.search(r"\bmetric\.type\b", text):
        return "set the metric type with 'metric_type', not in the filter"
    flat = re.sub(r'"[^"]*"', '"x"', text.replace("{service}", "svc"))
    flat = re.sub(r'[a-z_.]+\(\s*"x"(\s*,\s*"x")*\s*\)', '"x"', flat)
    for term in re.split(r"\s+(?:AND|OR)\s+", flat.strip().strip("()")):
        if not _TERM_RE.match(term.strip().strip("()")):
            return f'cannot read the term {term.strip()!r} (expected field = "value")'
    return None
