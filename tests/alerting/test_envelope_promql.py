"""The envelope's PromQL fires exactly when its backtest does, checked by the real promtool.

A series with a daily wave, spikes of one to three points, a hump inside the range, a noisy
stretch, a missing peak, gaps and new maxima that only the spike margin's step floor keeps
quiet is turned into an envelope (every side `refine` keeps), and
`envelope_query` is run as an alerting rule by `promtool test rules` over the same values
(gaps as stale markers), with an expectation at every evaluation step: firing exactly where
`fire_spans(condition, need)` says, nothing elsewhere. This covers the windows, the guards,
the offsets, the same-hour union and the `for` duration together.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ioncli.alerting import adaptive
from ioncli.alerting.adaptive import Envelope
from ioncli.alerting.backtest import fire_spans
from ioncli.alerting.envelope_promql import envelope_query
from ioncli.alerting.rulebase import Context
from ioncli.alerting.stats import baseline
from tests.helpers import require_program

SERIES = 'ion_test_series{case="a"}'
EPOCH = pd.Timestamp("1970-01-01T00:00:00Z")


def values(days: float, learn_days: float, step: int) -> np.ndarray:
    per_day = 86_400 // step
    n = int(days * per_day)
    t = np.arange(n)
    rng = np.random.default_rng(11)
    v = 100 + 10 * np.sin(2 * np.pi * t / per_day) + rng.normal(0, 1, n)
    late = int(learn_days * per_day)
    per_hour = max(1, 3600 // step)
    for at, width in ((late + 5, 1), (late + 15, 2), (late + 30, 3)):
        v[at : at + width] += 40
    hump = slice(late + per_day // 2, late + per_day // 2 + 3 * per_hour)
    v[hump] = 109 + rng.uniform(0, 1, v[hump].size)  # near the top, inside the range
    noisy = slice(late + per_day, late + per_day + 8 * per_hour)
    v[noisy] = 100 + rng.uniform(-9, 9, v[noisy].size)  # the spread grows, level stays
    peak = slice(late + per_day + per_day // 4 - 2 * per_hour, late + per_day + per_day // 4)
    v[peak] = 100 + rng.normal(0, 1, v[peak].size)  # a missing daily peak
    v[late + 7] = np.nan
    v[int(n * 0.3) : int(n * 0.3) + 3] = np.nan
    return v


def envelope(  # noqa: PLR0917 (one test's helper)
    v: np.ndarray, step: int, split: int, direction: str, need: int, budget: float
) -> Envelope:
    index = pd.date_range(EPOCH, periods=v.size, freq=f"{step}s", name="time")
    learn = v[:split].copy()
    base = baseline(learn, index[:split], step)
    ctx = Context(v, index, step, 0, split, learn, base, direction, budget)  # type: ignore[arg-type]
    env = Envelope(ctx)
    env.refine(env.grid[0], need)
    return env


def case(
    v: np.ndarray, step: int, expr: str, need: int, *, fires: set[int], rules: Path
) -> dict[str, object]:
    rules.write_text(
        json.dumps(
            {
                "groups": [
                    {
                        "name": "ion",
                        "interval": f"{step}s",
                        "rules": [
                            {"alert": "IonEnvelope", "expr": expr, "for": f"{(need - 1) * step}s"}
                        ],
                    }
                ]
            }
        )
    )
    text = " ".join("stale" if not np.isfinite(x) else repr(float(x)) for x in v)
    return {
        "rule_files": [str(rules)],
        "evaluation_interval": f"{step}s",
        "tests": [
            {
                "interval": f"{step}s",
                "input_series": [{"series": SERIES, "values": text}],
                "alert_rule_test": [
                    {
                        "eval_time": f"{i * step}s",
                        "alertname": "IonEnvelope",
                        "exp_alerts": [{"exp_labels": {"case": "a"}}] if i in fires else [],
                    }
                    for i in range(v.size)
                ],
            }
        ],
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("days", "learn", "step", "need", "direction", "budget"),
    [
        # The default budget both ways: a 2-week window. Steps of 20 minutes and more and a
        # 1-week window keep promtool quick where every side is on (it evaluates nested
        # subqueries point by point: 15 minutes and 2 weeks take about 4 minutes).
        pytest.param(9, 4, 3600, 1, "both", 1.0, id="hourly-both"),
        pytest.param(3, 1.5, 1200, 2, "both", 2.0, id="20min-for1200-both"),
        pytest.param(3, 1.5, 1800, 1, "high", 2.0, id="30min-high"),
    ],
)
def test_prometheus_fires_exactly_when_the_envelope_backtest_does(  # noqa: PLR0917 (parametrised)
    tmp_path: Path, days: float, learn: float, step: int, need: int, direction: str, budget: float
) -> None:
    v = values(days, learn, step)
    env, done = prove(tmp_path, v, step, int(learn * 86_400 // step), direction, need, budget)
    sides = [m is not None for m in (env.level, env.volume, env.spread, env.day)]
    if step < 1800:
        assert all(sides), "every side on: the level, volume, spread and same-hour windows"
    if step == 3600:
        assert floor_decides(env, need), "the spike margin's step floor decides some steps"
    assert done.returncode == 0, f"sides {sides}\n" + (done.stdout + done.stderr)[-3000:]


@pytest.mark.slow
def test_prometheus_fires_exactly_when_the_sampled_envelope_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below a 5-minute step the envelope's statistics other than the extremes read
    10-minute samples (subqueries with a 10-minute step, aligned to the clock): a 1-minute
    series of 30 hours, every side on (each one alone decides some steps), gaps between and
    at sample times, and a one-step `for`. The trailing window is shortened to 4 hours and
    the spread's median to 1 (the module's own knobs, so the windows, warm-ups and the PromQL
    all follow): promtool evaluates the nested subqueries point by point at every minute
    (about 40 s of CPU here; a week-long window would take many minutes). What this proves
    is the sampling (which samples each window holds, their offsets, their alignment, a gap
    at a sample time); the window lengths themselves are proved at the real sizes above."""
    monkeypatch.setattr(adaptive, "window_weeks", lambda budget, direction: 4 / 168)
    monkeypatch.setattr(adaptive, "SPREAD_HOURS", 1)
    step, need = 60, 2
    v = values(1.25, 0.5, step)
    v[[740, 1500, 1700]] = np.nan  # gaps at sample times (the others fall between them)
    env, done = prove(tmp_path, v, step, 720, "both", need, 2.0)
    assert env.windows().every == 10, "the sampled path: 10-minute samples of 1-minute data"
    assert None not in (env.level, env.volume, env.spread, env.day)
    for side in ("level", "volume", "spread", "day"):
        assert side_decides(env, need, side), f"the {side} side alone decides some steps"
    assert floor_decides(env, need), "the step floor (over 10-minute samples) decides some steps"
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]


def near_records(  # noqa: PLR0917 (one test's helper)
    v: np.ndarray, step: int, split: int, direction: str, need: int, budget: float
) -> np.ndarray:
    """v with a few runs of `need` new maxima that clear the range's share of the margin
    but not the typical step, where the step is the larger: runs only the step floor keeps
    quiet (each value a little above the last, so the whole run would fire without it)."""
    env = envelope(v, step, split, direction, need, budget)
    b, k = env._bands(), env.grid[0]
    share = 0.5 * k * (b["max"] - b["min"])
    with np.errstate(invalid="ignore"):
        room = b["step"] - share
        where = np.flatnonzero((room > 0) & np.isfinite(v) & (np.arange(v.size) > split))
    out = v.copy()
    for start in where[:: max(1, where.size // 4)][:4]:
        for i in range(start, min(start + need, v.size)):
            env = envelope(out, step, split, direction, need, budget)
            b = env._bands()
            share_i = 0.5 * k * (b["max"][i] - b["min"][i])
            if not b["step"][i] > share_i:
                break
            out[i] = b["max"][i] + share_i + (b["step"][i] - share_i) / 2
    return out


def side_decides(env: Envelope, need: int, side: str) -> bool:
    """Some alert step fires only because of this side (so the proof covers its PromQL)."""
    k = env.grid[0]
    every = set(fire_spans(env.condition(k), need)[0].tolist())
    kept = getattr(env, side)
    setattr(env, side, None)
    try:
        others = set(fire_spans(env.condition(k), need)[0].tolist())
    finally:
        setattr(env, side, kept)
    return bool(every - others)


def floor_decides(env: Envelope, need: int) -> bool:
    """Some run of `need` values clears the share of the range but not the step: without
    the floor an alert would fire there."""
    b, k = env._bands(), env.grid[0]
    x = env.ctx.values
    with np.errstate(invalid="ignore"):
        share = x > b["max"] + 0.5 * k * (b["max"] - b["min"])
    without = set(fire_spans(share, need)[0].tolist())
    return bool(without - set(fire_spans(env.condition(k), need)[0].tolist()))


def prove(  # noqa: PLR0917 (one test's helper)
    tmp_path: Path, v: np.ndarray, step: int, split: int, direction: str, need: int, budget: float
) -> tuple[Envelope, subprocess.CompletedProcess[str]]:
    """Tune an envelope on v[:split] and run its PromQL through `promtool test rules` with
    an expectation at every step: firing exactly inside the backtest's episodes."""
    promtool = require_program("promtool")
    v = near_records(v, step, split, direction, need, budget)
    env = envelope(v, step, split, direction, need, budget)
    k = env.grid[0]
    starts, ends = fire_spans(env.condition(k), need)
    fires = {i for s, e in zip(starts.tolist(), ends.tolist(), strict=True) for i in range(s, e)}
    assert fires, "the case must fire for the proof to mean something"
    assert len(fires) < v.size, "and must be quiet somewhere"
    test_file = tmp_path / "test.yml"
    expr = envelope_query(env, k, SERIES)
    test_file.write_text(
        json.dumps(case(v, step, expr, need, fires=fires, rules=tmp_path / "rules.yml"))
    )
    done = subprocess.run(
        [promtool, "test", "rules", str(test_file)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return env, done
