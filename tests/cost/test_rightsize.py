"""Right-sizing recommendations on literal series, each priced by hand (Tier 1, 730 h month
= 2,628,000 s; request-based busy $0.000024 /vCPU-s + $0.0000025 /GiB-s)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ioncli.cost.pricing import Billing, Size, load_table
from ioncli.cost.recommend import HeldRevision
from ioncli.cost.rightsize import Sizing, recommend
from ioncli.cost.service_config import RegionService
from ioncli.cost.usage import RegionSeries, UsageSummary

TABLE = load_table()
N = 168


def _series(
    busy: float = 1.0,
    rps: float = 10.0,
    *,
    cpu: float | None = None,
    memory: float | None = None,
    latency: float | None = None,
    concurrency: float | None = None,
) -> RegionSeries:
    times = pd.date_range("2026-11-02", periods=N, freq="3600s", tz="UTC")

    def full(v: float | None) -> np.ndarray | None:
        return None if v is None else np.full(N, v)

    summary = UsageSummary(busy, busy, None, rps, rps * 2_628_000, cpu, memory, 1000.0, 1.0)
    return RegionSeries(
        "us-central1", times, 3600, np.full(N, busy), None, np.full(N, rps), 1000.0, summary,
        latency_ms=full(latency), cpu_util=full(cpu), memory_util=full(memory),
        concurrency=full(concurrency),
    )  # fmt: skip


def _config(cpu: float = 1, memory: float = 0.5, *, min_instances: int = 0,
            concurrency: int = 80) -> RegionService:  # fmt: skip
    return RegionService(
        "us-central1", "svc", "", Size(cpu, memory), Billing.REQUEST, min_instances, 100,
        concurrency,
    )  # fmt: skip


def _kind(found: tuple[Sizing, ...], kind: str) -> Sizing:
    [one] = [r for r in found if r.kind == kind]
    return one


def test_cpu_and_memory_sized_down_from_percentiles() -> None:
    # 2 vCPU / 2 GiB at 20% CPU and 20% memory: 0.4 vCPU x 1.3 = 0.52 -> 1 vCPU; 0.4 GiB
    # x 1.15 = 0.46 -> 512 MiB. One busy instance: (2 x 0.000024 + 2 x 0.0000025) x
    # 2,628,000 = $139.284 today, (0.000024 + 0.5 x 0.0000025) x 2,628,000 = $66.357 after:
    # -$72.927 (the model keeps one busy instance: CPU work 0.4 vCPU fits in 1).
    found = recommend(_series(cpu=0.2, memory=0.2), _config(2, 2), TABLE)
    sized = _kind(found, "cpu and memory")
    assert (sized.current, sized.proposed) == ("2 vCPU / 2 GiB", "1 vCPU / 0.5 GiB")
    assert sized.monthly_change == pytest.approx(-72.927)
    assert "CPU p95 20% (p99 20%) of 2 vCPU = 0.40 vCPU" in sized.evidence
    assert "memory p99 20% of 2 GiB = 0.40 GiB" in sized.evidence
    assert "out-of-memory margin 20%" in sized.risk  # 1 - 0.4 / 0.5
    assert sized.command == (
        "gcloud run services update svc --region us-central1 --cpu=1 --memory=512Mi"
    )


def test_memory_over_4_gib_needs_2_vcpu() -> None:
    # 90% of 4 GiB = 3.6 GiB x 1.15 = 4.14 GiB -> the 8 GiB step, which needs 2 vCPU.
    found = recommend(_series(cpu=0.1, memory=0.9), _config(1, 4), TABLE)
    assert _kind(found, "cpu and memory").proposed == "2 vCPU / 8 GiB"


def test_a_binding_concurrency_limit_with_spare_cpu_is_raised() -> None:
    # 200 req/s x 0.5 s = 100 in flight; instances hit 78 of 80 at 25% CPU: raise to
    # 80 x min(2, 0.7 / 0.25) = 160. Busy instances max(1 - e^-100, 100/80) = 1.25 ->
    # max(1, 100/160) = 1: 0.25 fewer x $66.357 = -$16.589.
    series = _series(busy=1.25, rps=200, cpu=0.25, memory=0.5, latency=500, concurrency=78)
    found = recommend(series, _config(), TABLE)
    conc = _kind(found, "concurrency")
    assert (conc.current, conc.proposed) == ("80", "160")
    assert conc.monthly_change == pytest.approx(-0.25 * 66.357)
    assert "in-flight peak p99 78 of 80 allowed; CPU p95 25%" in conc.evidence


def test_without_the_concurrency_metric_littles_law_stands_in() -> None:
    # 200 req/s x 0.5 s over 1.25 busy instances = 80 in flight each: the limit binds.
    series = _series(busy=1.25, rps=200, cpu=0.25, memory=0.5, latency=500)
    conc = _kind(recommend(series, _config(), TABLE), "concurrency")
    assert conc.proposed == "160"
    assert "in flight per busy instance (Little's law) p99 80 of 80" in conc.evidence


def test_a_limit_that_does_not_bind_is_left_alone() -> None:
    series = _series(busy=1.25, rps=200, cpu=0.25, memory=0.5, latency=500, concurrency=10)
    assert not [r for r in recommend(series, _config(), TABLE) if r.kind == "concurrency"]


def test_billing_switch_when_it_saves() -> None:
    # 3 busy instances all the time, 10 req/s: request-based 3 x $66.357 + $10.512 =
    # $209.583; instance-based 3 x (0.000018 + 0.5 x 0.000002) x 2,628,000 = $149.796:
    # -$59.787.
    found = recommend(_series(busy=3.0), _config(), TABLE)
    switch = _kind(found, "billing")
    assert switch.proposed == "instance-based"
    assert switch.monthly_change == pytest.approx(-59.787)
    assert switch.command.endswith("--no-cpu-throttling")


def test_idle_region_and_revision() -> None:
    # No requests, min 2: 2 x (0.0000025 + 0.5 x 0.0000025) x 2,628,000 = $19.71 saved.
    held = HeldRevision("us-central1", "svc-00001-old", ("canary",), 1, 9.855)
    found = recommend(_series(busy=0.0, rps=0.0), _config(min_instances=2), TABLE, (held,))
    region = _kind(found, "idle region")
    assert region.monthly_change == pytest.approx(-19.71)
    revision = _kind(found, "idle revision")
    assert revision.monthly_change == pytest.approx(-9.855)
    assert revision.command.endswith("--remove-tags canary")
    assert [r.kind for r in found] == ["idle region", "idle revision"]  # biggest saving first


def test_no_utilisation_metrics_no_sizing() -> None:
    assert not [r for r in recommend(_series(), _config(2, 2), TABLE) if r.kind != "billing"]
