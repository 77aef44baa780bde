"""Tune every series of a frame to a paging budget and backtest what was chosen.

Per series: learn from the data before `baseline_end` (all of it when there is none), after
the last lasting level shift and without known incident windows; offer each candidate kind
at every sensitivity of its grid, most sensitive first; keep the most sensitive setting whose
replay over the learning window stays within `max_alerts_per_week`; then pick, among the kinds
that fit, the first in the preference order (`candidates.KINDS`). The chosen rule, and every
candidate, is replayed over the test span (after `baseline_end`; without it, the same data
it learned from, flagged `in_sample`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
import pandas as pd

from ioncli.alerting import backtest as bt
from ioncli.alerting.candidates import CANDIDATES, KINDS, Candidate, Context, Direction
from ioncli.alerting.incidents import applies_to, catches
from ioncli.alerting.model import (
    Backtest,
    CandidateOut,
    Catch,
    ConditionOut,
    Episode,
    KindSummary,
    RuleOut,
    SeriesOut,
    Skipped,
)
from ioncli.alerting.promnames import fallback
from ioncli.alerting.promql import NOT_EXPRESSIBLE, TRANSLATORS, for_seconds, translate
from ioncli.alerting.sane import data_notes, sanitise
from ioncli.alerting.stats import Baseline, baseline, detect_level_shifts, hourly
from ioncli.alerting.window import (
    MIN_LEARN_SECONDS,
    NEW_NORMAL_SECONDS,
    check_incidents_cover,
    check_window,
    regular,
)
from ioncli.alerting.workers import map_series
from ioncli.errors import DataError
from ioncli.frame import Incident, MetricFrame, SeriesKey
from ioncli.thresholds import default_thresholds


@dataclass(frozen=True)
class TuneOptions:
    max_alerts_per_week: float = 1.0
    baseline_end: datetime | None = None
    rule: str = "auto"  # or one kind from candidates.KINDS
    duration_seconds: int | None = None  # the alert's `for`; None: 5 min of data
    incidents: Sequence[Incident] = ()
    directions: Mapping[str, str] = field(default_factory=dict)  # metric -> bad direction
    # series id -> the series as PromQL (None: it has none); missing: a metric of its name
    series_queries: Mapping[str, str | None] = field(default_factory=dict)


def auto_kinds() -> tuple[str, ...]:
    """The kinds `auto` may choose: only those with an exact translation (promql.TRANSLATORS),
    so every rule it proposes runs in production as it was backtested."""
    return tuple(k for k in KINDS if k in TRANSLATORS)


@dataclass
class Tuned:
    """What tune_frame hands to the report builder."""

    series: list[SeriesOut]
    kinds: list[KindSummary]
    incidents: list[Catch]
    skipped: list[Skipped]
    warnings: list[str]


def tune_frame(
    frame: MetricFrame, options: TuneOptions, progress: Callable[[], None] | None = None
) -> Tuned:
    """Tune every series; `progress` is called once per series done (for a progress bar)."""
    if options.rule != "auto" and options.rule not in KINDS:
        raise DataError(f"unknown rule kind {options.rule!r} (one of auto, {', '.join(KINDS)})")
    frame, note = regular(frame)
    frame = _in_nanoseconds(frame)
    split = check_window(frame, options.baseline_end)
    index = frame.data.index
    assert isinstance(index, pd.DatetimeIndex)
    incidents = list(options.incidents) or list(frame.incidents)
    check_incidents_cover(index, split, options.incidents)
    results: list[SeriesOut] = []
    skipped: list[Skipped] = []
    warnings: list[str] = list(frame.warnings) + ([note] if note else [])

    def one(column: str) -> SeriesOut | Skipped:
        try:
            return _tune_series(column, frame, split, options, incidents)
        except _Skip as exc:
            return Skipped(column, str(exc))

    # Series are independent: every core tunes some (results come back in column order).
    for found in map_series(one, list(frame.data.columns), int(frame.data.size)):
        if progress is not None:
            progress()
        if isinstance(found, Skipped):
            skipped.append(found)
        else:
            results.append(found)
    if not results:
        reasons = "; ".join(f"{s.id}: {s.reason}" for s in skipped[:3])
        raise DataError(f"not enough data to tune any series ({reasons})")
    return Tuned(
        results, _summarise(results), _overall_catches(results, incidents), skipped, warnings
    )


class _Skip(Exception):
    pass


def _in_nanoseconds(frame: MetricFrame) -> MetricFrame:
    """The frame with its index in nanoseconds (the same times): the window code compares
    times as `as_unit("ns")` integers, which is free on a nanosecond index and a full copy
    on the microsecond one a Parquet file gives, hundreds of times per run."""
    index = frame.data.index
    if not isinstance(index, pd.DatetimeIndex) or index.unit == "ns":
        return frame
    return replace(frame, data=frame.data.set_axis(index.as_unit("ns"), axis=0))


def _direction(column: str, options: TuneOptions) -> Direction:
    metric = SeriesKey.parse(column).metric
    found = options.directions.get(metric, "both")
    return found if found in ("high", "low", "both") else "both"  # type: ignore[return-value]


def _learning(
    values: np.ndarray,
    index: pd.DatetimeIndex,
    split: int,
    step: int,
    incidents: Sequence[Incident],
) -> tuple[int, np.ndarray, Baseline]:
    learn = values[:split].copy()
    learn[_covered(index, split, incidents)] = np.nan
    min_points = MIN_LEARN_SECONDS // step
    finite = int(np.isfinite(learn).sum())
    if finite < min_points:
        raise _Skip(
            f"not enough data to learn from: {finite * step / 3600:.1f} h of values, "
            f"{MIN_LEARN_SECONDS // 3600} h needed"
        )
    start = 0
    hours = hourly(learn, index[:split])  # both need it; the baseline's too when start is 0
    shifts = detect_level_shifts(learn, index[:split], hours=hours)
    if shifts:
        at = int(index.searchsorted(shifts[-1].at))
        held = (split - at) * step
        if int(np.isfinite(learn[at:]).sum()) >= min_points and held >= NEW_NORMAL_SECONDS:
            start = at
    base = baseline(learn[start:], index[start:split], step, hours=None if start else hours)
    base = Baseline(**{**base.__dict__, "level_shifts": shifts})
    return start, learn[start:], base


@dataclass(frozen=True)
class _Plan:
    """What every candidate of one series is judged by."""

    ctx: Context
    need: int
    allowed: float
    test_lo: int
    test_hi: int
    incidents: list[Incident]
    in_sample: bool
    # Known incidents that start before --baseline-end (never later ones: they would leak
    # the test into the choice), and the points of the learning window they cover.
    learn_incidents: list[Incident]
    known: bt.BoolArray


@dataclass(frozen=True)
class _Tried:
    cand: Candidate
    k: float
    out: CandidateOut
    starts: bt.IntArray
    ends: bt.IntArray
    test_lo: int  # where this kind's test span starts (after an adaptive kind's warm-up)
    learn_caught: int  # known incidents of the learning window it caught
    learn_pages: int  # its alerts during those incidents (one each is ideal; more is flapping)


def _evaluate(cand: Candidate, plan: _Plan) -> _Tried:
    """Tune one candidate to the budget on history, then replay it over the test span."""
    ctx = plan.ctx
    start, split, step = ctx.learn_start, ctx.learn_end, ctx.step_seconds
    hist_lo = start
    picked = None
    for k in cand.grid:
        starts, ends = bt.fire_spans(cand.condition(k), plan.need)
        steady = cand.history_condition(k)
        if steady is not None:
            count = int(bt.fire_spans(steady, plan.need)[0].size)
        else:
            count = _unexplained(starts, ends, hist_lo, split, plan.known)
        picked = (k, starts, ends, count)
        if count <= plan.allowed:
            break
    assert picked is not None
    k, starts, ends, count = picked
    if cand.refine(k, plan.need):
        starts, ends = bt.fire_spans(cand.condition(k), plan.need)
    hist_weeks = (split - hist_lo) * step / bt.WEEK_SECONDS
    fits = count <= plan.allowed
    test_lo = plan.test_lo
    if cand.adaptive and plan.in_sample:
        # Learned and tested on the same data: an adaptive kind cannot judge its warm-up.
        test_lo = min(max(test_lo, start + ctx.warm()), plan.test_hi - 1)
    test = bt.summarise(starts, ends, test_lo, plan.test_hi, step)
    lv = cand.levels(k)
    caught = catches(plan.incidents, ctx.index, starts, ends, test_lo)
    before = starts < split
    learned = catches(plan.learn_incidents, ctx.index, starts[before], ends[before], start)
    out = CandidateOut(
        kind=cand.kind,
        available=True,
        note=cand.explain(k) if fits else f"over budget even at {cand.parameter} {k:g}",
        parameter=cand.parameter,
        value=k,
        warning=_num(lv.warning),
        critical=_num(lv.critical),
        low_warning=_num(lv.low_warning),
        low_critical=_num(lv.low_critical),
        history_episodes=count,
        history_alerts_per_week=count / hist_weeks if hist_weeks > 0 else 0.0,
        within_budget=fits,
        episodes=test.episodes,
        alerts_per_week=test.alerts_per_week,
        time_in_alert=test.time_in_alert,
        incidents_caught=sum(c.caught for c in caught),
        learning_incidents_caught=sum(c.caught for c in learned),
    )
    during = bt.count_within(starts, start, split) - _unexplained(
        starts, ends, start, split, plan.known
    )
    return _Tried(cand, k, out, starts, ends, test_lo, out.learning_incidents_caught, during)


def _unexplained(
    starts: bt.IntArray, ends: bt.IntArray, lo: int, hi: int, known: bt.BoolArray
) -> int:
    """Episodes firing within [lo, hi) that touch no known incident: a page during a known
    incident is the rule doing its job, not a page against the budget."""
    keep = (starts >= lo) & (starts < hi)
    if not known.any():
        return int(keep.sum())
    seen = np.r_[0, np.cumsum(known)]
    stop = np.minimum(np.maximum(ends, starts + 1), known.size)
    touched = seen[stop] - seen[np.minimum(starts, known.size)] > 0
    return int((keep & ~touched).sum())


def _tune_series(
    column: str,
    frame: MetricFrame,
    split: int,
    options: TuneOptions,
    incidents: Sequence[Incident],
) -> SeriesOut:
    values = frame.data[column].to_numpy(dtype=np.float64)
    index = frame.data.index
    assert isinstance(index, pd.DatetimeIndex)
    step = frame.step_seconds
    mine = [i for i in incidents if applies_to(i, column)]
    start, learn, base = _learning(values, index, split, step, mine)
    ctx = Context(
        values,
        index,
        step,
        start,
        split,
        learn,
        base,
        _direction(column, options),
        options.max_alerts_per_week,
    )
    need = (
        bt.need_points(bt.DEFAULT_DATA_SECONDS, step)
        if options.duration_seconds is None
        else bt.for_points(options.duration_seconds, step)
    )
    hist_weeks = (split - start) * step / bt.WEEK_SECONDS
    cut = index[split] if split < len(index) else index[-1] + pd.Timedelta(seconds=step)
    learned = [i for i in mine if pd.Timestamp(i.start) < cut]
    in_sample = split >= len(values)
    plan = _Plan(
        ctx,
        need,
        # "At most N a week": history shorter than a week may hold N alerts, not a fraction.
        options.max_alerts_per_week * max(hist_weeks, 1.0),
        start if in_sample else split,
        len(values),
        mine,
        in_sample,
        learned,
        _covered(index, split, learned),
    )
    tried: list[_Tried] = []
    outs: list[CandidateOut] = []
    auto = auto_kinds()
    for kind in KINDS if options.rule == "auto" else (options.rule,):
        if options.rule == "auto" and kind not in auto:
            reason = NOT_EXPRESSIBLE.get(kind, "no exact translation")
            outs.append(CandidateOut(kind, False, f"not offered by auto: {reason}"))
            continue
        cand = CANDIDATES[kind](ctx)
        why = cand.available()
        if why:
            outs.append(CandidateOut(kind, False, why))
            continue
        tried.append(_evaluate(cand, plan))
        outs.append(tried[-1].out)
    if not tried:
        raise _Skip("no candidate rule can run on this series")
    pick, reason = _choose(tried, plan, options)
    return _series_out(column, frame, ctx, plan, pick, outs, in_sample, reason, options)


def _choose(tried: list[_Tried], plan: _Plan, options: TuneOptions) -> tuple[_Tried, str]:
    """The chosen candidate and why, in one sentence.

    Among the kinds within the budget on history, the ones that caught the most known
    incidents of the learning window; among those, the first in the preference order.
    """
    budget = f"{options.max_alerts_per_week:g} a week"
    if len(tried) == 1 and options.rule != "auto":
        t = tried[0]
        fit = "within" if t.out.within_budget else "over"
        return t, f"forced with --rule {t.cand.kind} ({fit} the budget of {budget} on history)"
    fits = [t for t in tried if t.out.within_budget]
    if not fits:
        pick = min(tried, key=lambda t: t.out.history_episodes)
        return pick, (
            f"no kind stays within the budget of {budget} on history; {pick.cand.kind} is "
            f"the quietest ({pick.out.history_episodes} alerts on history)"
        )
    known = len(plan.learn_incidents)
    best = max(t.learn_caught for t in fits)
    pool = [t for t in fits if t.learn_caught == best]
    # Among those, the one that paged least during them: an incident should page once,
    # not flap at the edge of a band (stable: the preference order breaks ties).
    pick = min(pool, key=lambda t: t.learn_pages)
    days = (plan.ctx.learn_end - plan.ctx.learn_start) * plan.ctx.step_seconds / 86400
    rate = f"{pick.out.history_episodes} alert(s) in {days:.3g} days of history"
    if known == 0:
        return pick, (
            f"first kind in the preference order ({', '.join(KINDS)}) within the budget of "
            f"{budget} ({rate}); no known incident in the learning window to compare kinds on"
        )
    fewer = [t for t in fits if t.learn_caught < best]
    behind = ", ".join(f"{t.cand.kind} {t.learn_caught}" for t in fewer)
    return pick, (
        f"caught {best} of the {known} known incident(s) in the learning window"
        + (f", more than {behind}" if behind else ", as many as every other kind")
        + f"; {pick.learn_pages} alert(s) during them, the fewest among those (then the "
        f"preference order); within the budget of {budget} ({rate})"
    )


def _covered(index: pd.DatetimeIndex, split: int, incidents: Sequence[Incident]) -> bt.BoolArray:
    """The points of the learning window inside a known incident."""
    mask = np.zeros(split, dtype=np.bool_)
    # The index is sorted, so the points within [start, end] are one slice (two binary
    # searches instead of two comparisons of every point per incident).
    ns = index[:split].as_unit("ns").asi8
    for inc in incidents:
        lo = np.searchsorted(ns, pd.Timestamp(inc.start).as_unit("ns").value, side="left")
        hi = np.searchsorted(ns, pd.Timestamp(inc.end).as_unit("ns").value, side="right")
        mask[lo:hi] = True
    return mask


def _series_out(  # noqa: PLR0917 (private helper; one call site)
    column: str,
    frame: MetricFrame,
    ctx: Context,
    plan: _Plan,
    pick: _Tried,
    outs: list[CandidateOut],
    in_sample: bool,
    reason: str,
    options: TuneOptions,
) -> SeriesOut:
    index, step = ctx.index, ctx.step_seconds
    key = SeriesKey.parse(column)
    lv, notes = sanitise(
        pick.cand.levels(pick.k),
        frame.unit(column),
        key.metric,
        default_thresholds().by_metric,
        ctx.learn_values,
    )
    notes = (
        data_notes(ctx.learn_values, index[ctx.learn_start : ctx.learn_end], pick.cand.adaptive)
        + notes
    )
    condition = _condition(column, pick, plan, options)
    rule = RuleOut(
        pick.cand.kind,
        ctx.direction,
        _num(lv.warning),
        _num(lv.critical),
        _num(lv.low_warning),
        _num(lv.low_critical),
        (plan.need - 1) * step,
        pick.cand.parameter,
        pick.k,
        pick.cand.adaptive,
        pick.cand.explain(pick.k),
        reason,
        notes,
        condition,
    )
    starts, ends = pick.starts, pick.ends
    test_lo = pick.test_lo
    test = bt.summarise(starts, ends, test_lo, plan.test_hi, step)
    keep = (starts >= test_lo) & (starts < plan.test_hi)
    after_end = (index[-1] + pd.Timedelta(seconds=step)).to_pydatetime()
    # Timestamps converted in one call each (one pandas scalar per alert costs more).
    first, last = starts[keep], ends[keep]
    open_ = last >= len(index)
    fired = index[first].to_pydatetime()
    closed = index[np.minimum(last, len(index) - 1)].to_pydatetime()
    episodes = [
        Episode(a, after_end if still else b, bool(still))
        for a, b, still in zip(fired, closed, open_, strict=True)
    ]
    return SeriesOut(
        id=column,
        metric=key.metric,
        unit=frame.unit(column),
        direction=ctx.direction,
        baseline=_baseline_dict(ctx.baseline),
        rule=rule,
        within_budget=pick.out.within_budget,
        history_alerts_per_week=pick.out.history_alerts_per_week,
        backtest=Backtest(
            index[test_lo].to_pydatetime(),
            index[plan.test_hi - 1].to_pydatetime(),
            test.weeks,
            in_sample,
            episodes,
            test.alerts_per_week,
            test.time_in_alert,
            catches(plan.incidents, index, starts, ends, test_lo),
        ),
        candidates=outs,
    )


def _condition(column: str, pick: _Tried, plan: _Plan, options: TuneOptions) -> ConditionOut:
    """Which condition will run for the chosen rule, and its PromQL."""
    step = plan.ctx.step_seconds
    duration = for_seconds(plan.need, step)
    series: str | None = fallback(SeriesKey.parse(column))
    if column in options.series_queries:
        series = options.series_queries[column]
    if series is None:
        series_text, missing = fallback(SeriesKey.parse(column)), True
    else:
        series_text, missing = series, False
    found = translate(pick.cand, pick.k, series_text)
    if found is None:
        why = NOT_EXPRESSIBLE.get(pick.cand.kind, "no exact translation")
        return ConditionOut("none", "", series_text, duration, step, f"not applied: {why}")
    if missing and found.condition == "promql":
        note = "not applied: the metric's query has no PromQL form (see the README)"
        return ConditionOut("none", found.query, series_text, duration, step, note)
    kind = "threshold" if found.condition == "threshold" and duration % 60 == 0 else "promql"
    note = found.note if kind == found.condition else f"{found.note}; duration not whole minutes"
    return ConditionOut(kind, found.query, series_text, duration, step, note)


def _num(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return float(value)


def _baseline_dict(base: Baseline) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, value in base.__dict__.items():
        if name == "level_shifts":
            out[name] = [
                {"at": s.at.to_pydatetime(), "before": s.before, "after": s.after} for s in value
            ]
        elif isinstance(value, pd.Timestamp):
            out[name] = value.to_pydatetime()
        elif isinstance(value, float):
            out[name] = _num(value)
        else:
            out[name] = value
    return out


def _summarise(results: list[SeriesOut]) -> list[KindSummary]:
    rows = []
    for kind in KINDS:
        mine = [c for r in results for c in r.candidates if c.kind == kind and c.available]
        if not mine:
            continue
        rows.append(
            KindSummary(
                kind,
                len(mine),
                sum(c.within_budget for c in mine),
                sum(c.episodes for c in mine),
                float(np.mean([c.alerts_per_week for c in mine])),
                sum(c.incidents_caught for c in mine),
                sum(r.rule.kind == kind for r in results),
            )
        )
    return rows


def _overall_catches(results: list[SeriesOut], incidents: Sequence[Incident]) -> list[Catch]:
    """Each incident once: caught when any chosen rule caught it, at the earliest page."""
    out = []
    for inc in incidents:
        hits = [
            c
            for r in results
            for c in r.backtest.incidents
            if c.incident == (inc.name or "incident") and c.start == inc.start
        ]
        if not hits:
            continue
        caught = [c.delay_minutes for c in hits if c.caught and c.delay_minutes is not None]
        out.append(
            Catch(
                hits[0].incident, inc.start, inc.end, bool(caught), min(caught) if caught else None
            )
        )
    return out
