"""Series tuned in forked workers: the same results, in order, as on one thread."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from ioncli.alerting import workers
from ioncli.alerting.analysis import build_report
from ioncli.alerting.tune import TuneOptions
from ioncli.errors import DataError
from ioncli.render.jsonout import to_plain

from .frames import PER_DAY, START, frame, latency

needs_fork = pytest.mark.skipif(
    "fork" not in __import__("multiprocessing").get_all_start_methods()
    or workers.usable_cpus() < 2,
    reason="forked workers need fork and two cores",
)


def _square_and_pid(x: int) -> tuple[int, int]:
    if x < 0:
        raise DataError(f"bad item {x}")
    return x * x, os.getpid()


@needs_fork
def test_big_inputs_run_in_forked_workers_in_order() -> None:
    out = list(workers.map_series(_square_and_pid, list(range(20)), points=10**9))
    assert [v for v, _ in out] == [x * x for x in range(20)]
    assert os.getpid() not in {pid for _, pid in out}


@needs_fork
def test_an_error_in_a_worker_reaches_the_caller() -> None:
    with pytest.raises(DataError, match="bad item -1"):
        list(workers.map_series(_square_and_pid, [1, -1, 2], points=10**9))


def test_small_inputs_stay_in_this_process() -> None:
    out = list(workers.map_series(_square_and_pid, [1, 2, 3], points=10))
    assert [v for v, _ in out] == [1, 4, 9]
    assert {pid for _, pid in out} == {os.getpid()}


@needs_fork
def test_a_report_tuned_in_workers_equals_one_tuned_on_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    columns = {f"latency_p95{{region=r{i}}}": latency(6, seed=i) for i in range(4)}
    columns["latency_p95{region=r1}"][5 * PER_DAY : 5 * PER_DAY + 4] = 400.0
    options = TuneOptions(
        baseline_end=(START + timedelta(days=3)).to_pydatetime(),
        directions={"latency_p95": "high"},
    )

    def plain() -> dict[str, object]:
        report = to_plain(build_report(frame(columns, 6), options, service="svc"))
        assert isinstance(report, dict)
        report.pop("generated_at")
        return report

    threads = plain()
    monkeypatch.setattr(workers, "MIN_POINTS_TO_FORK", 0)
    assert plain() == threads
