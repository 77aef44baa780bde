"""Run one function over many series on every core.

Tuning a series is many small numpy and pandas calls, and the interpreter lock is held
between them, so threads barely overlap (75 series x 30 days at 1 minute: 2.07 s with
two threads against 2.23 s on one). Forked worker processes share the frame with the
parent for free (copy-on-write) and return only each series' small result, so on two
cores the tuning takes about half the time. Forking costs a few tens of milliseconds, so
small inputs (one NAB file, a test's literal frame) stay on threads; where `fork` does not
exist (Windows, macOS's default is spawn, which would re-import everything) or a gRPC
client is loaded, threads too.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

# Below this many values in all the series together, forking costs more than it saves.
MIN_POINTS_TO_FORK = 500_000

# The function the forked workers run: set before the pool forks, so it reaches them by
# inheritance (a closure over the frame cannot be pickled, and need not be).
_job: dict[str, Callable[[object], object]] = {}


def usable_cpus() -> int:
    """Cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _set_job(job: Callable[[object], object], parent: int) -> None:
    _job["run"] = job
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    # A worker waits for work on a pipe: if the parent is killed (SIGTERM from a CI
    # timeout, say) nothing else would ever tell it to stop.
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _run(item: object) -> object:
    return _job["run"](item)


def map_series(fn: Callable[[T], R], items: Sequence[T], points: int) -> Iterator[R]:
    """`fn` over `items`, results in order; in forked processes when the input is big
    enough and the platform forks, else on a small thread pool."""
    cpus = usable_cpus()
    # gRPC's own fork handlers may wait on its threads or shut its channels down in the
    # child; once a Google client is loaded (a Cloud Monitoring source), stay on threads.
    fork = "fork" in multiprocessing.get_all_start_methods() and "grpc" not in sys.modules
    pool: Executor
    if fork and cpus > 1 and len(items) > 1 and points >= MIN_POINTS_TO_FORK:
        pool = ProcessPoolExecutor(
            max_workers=min(cpus, len(items)),
            mp_context=multiprocessing.get_context("fork"),
            initializer=_set_job,
            initargs=(cast("Callable[[object], object]", fn), os.getpid()),
        )
        with pool, warnings.catch_warnings():
            # Python 3.12+ warns on any fork while other threads run (a progress bar's
            # refresh thread here); the children only run `fn` on numpy arrays and never
            # touch what those threads hold.
            warnings.filterwarnings("ignore", r".*multi-threaded.*fork", DeprecationWarning)
            yield from pool.map(_run, items)  # type: ignore[misc]
        return
    # numpy and pandas release the lock inside their bigger loops: threads still help a
    # little, and cost nothing to start.
    with ThreadPoolExecutor(max_workers=min(4, cpus)) as threads:
        yield from threads.map(fn, items)
