"""Series tuned in forked workers: the same results, in order, as on one thread."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

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


ROOT = Path(__file__).resolve().parents[2]


def _fresh_python(code: str) -> None:
    """Run `code` in a new interpreter: the test process may have loaded gRPC (other
    tests), and then `map_series` rightly refuses to fork."""
    run = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().endswith("ok"), run.stdout[-500:]


@needs_fork
@pytest.mark.slow
def test_big_inputs_run_in_forked_workers_in_order() -> None:
    _fresh_python(
        "import os\n"
        "from ioncli.alerting.workers import map_series\n"
        "from tests.alerting.test_workers import _square_and_pid\n"
        "out = list(map_series(_square_and_pid, list(range(20)), points=10**9))\n"
        "assert [v for v, _ in out] == [x * x for x in range(20)], out\n"
        "assert os.getpid() not in {pid for _, pid in out}, out\n"
        "print('ok')\n"
    )


@needs_fork
@pytest.mark.slow
def test_an_error_in_a_worker_reaches_the_caller() -> None:
    _fresh_python(
        "from ioncli.alerting.workers import map_series\n"
        "from ioncli.errors import DataError\n"
        "from tests.alerting.test_workers import _square_and_pid\n"
        "try:\n"
        "    list(map_series(_square_and_pid, [1, -1, 2], points=10**9))\n"
        "except DataError as exc:\n"
        "    assert str(exc) == 'bad item -1', exc\n"
        "    print('ok')\n"
    )


def test_small_inputs_stay_in_this_process() -> None:
    out = list(workers.map_series(_square_and_pid, [1, 2, 3], points=10))
    assert [v for v, _ in out] == [1, 4, 9]
    assert {pid for _, pid in out} == {os.getpid()}


def tuned_twice() -> tuple[dict[str, object], dict[str, object]]:
    """The same literal frame tuned on threads, then in forked workers (JSON-ready)."""
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
    workers.MIN_POINTS_TO_FORK = 0
    return threads, plain()


@needs_fork
@pytest.mark.slow
def test_a_report_tuned_in_workers_equals_one_tuned_on_threads() -> None:
    _fresh_python(
        "from tests.alerting.test_workers import tuned_twice\n"
        "threads, forked = tuned_twice()\n"
        "import sys\n"
        "assert threads == forked and 'grpc' not in sys.modules\n"
        "print('ok')\n"
    )


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@needs_fork
@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_stop_when_the_parent_is_killed() -> None:
    # A CI timeout's SIGTERM kills ion itself; its workers must not run on, orphaned.
    code = (
        "import time; from ioncli.alerting.workers import map_series; "
        "list(map_series(time.sleep, [60.0] * 4, points=10**9))"
    )
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 30
        while len(kids := _children(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(kids) >= 2
    finally:
        parent.send_signal(signal.SIGTERM)
        parent.wait(10)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{k}").exists() for k in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{k}").exists() for k in kids)


def test_no_fork_once_grpc_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "grpc", sys.modules[__name__])
    out = list(workers.map_series(_square_and_pid, [1, 2, 3], points=10**9))
    assert {pid for _, pid in out} == {os.getpid()}
