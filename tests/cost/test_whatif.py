"""What-if pricing and --traffic, each scenario worked by hand from the shipped Tier 1 rates.

One instance of 1 vCPU / 0.5 GiB over a 730 h month (2,628,000 s), request-based:
busy (0.000024 + 0.5 x 0.0000025) x 2,628,000 = $66.357; idle min instance
(0.0000025 + 0.5 x 0.0000025) x 2,628,000 = $9.855; 10 req/s = 26.28 M requests = $10.512.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from ioncli.cli import run
from ioncli.cost.analysis import build_report, with_extras
from ioncli.cost.model import Options
from ioncli.cost.pricing import load_table
from ioncli.cost.render import RENDERERS
from ioncli.cost.service_config import FleetConfig, from_settings
from ioncli.cost.usage import extract
from ioncli.cost.whatif import WhatIf, parse_changes, what_if
from ioncli.errors import UsageError
from ioncli.frame import MetricFrame, SeriesKey, from_points
from ioncli.render import MARKDOWN_LIMIT

TABLE = load_table()
MONTH = 730 * 3600
START = datetime(2026, 11, 2, tzinfo=UTC)
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "ioncli/schemas/cost_report.schema.json").read_text()
)
BUSY, IDLE, REQUESTS_10 = 66.357, 9.855, 10.512


def _frame(
    regions: tuple[str, ...] = ("us-central1",), latency_ms: float | None = None
) -> MetricFrame:
    stamps = [START + timedelta(hours=i) for i in range(168)]
    points = {}
    for region in regions:
        labels = {"region": region}
        points[SeriesKey.of("billable_instance_time", labels)] = (stamps, [1.0] * 168)
        points[SeriesKey.of("request_rate", labels)] = (stamps, [10.0] * 168)
        if latency_ms is not None:
            points[SeriesKey.of("latency_p50", labels)] = (stamps, [latency_ms] * 168)
    return from_points(points, source="test", step_seconds=3600)


def _fleet(regions: tuple[str, ...] = ("us-central1",), max_instances: int = 10) -> FleetConfig:
    return from_settings(
        "svc",
        regions,
        {"cpu": "1", "memory": "512Mi", "min_instances": 2, "max_instances": max_instances},
        {},
        where="test",
    )


def _what_if(*changes: str, frame: MetricFrame | None = None,
             fleet: FleetConfig | None = None) -> WhatIf:  # fmt: skip
    frame = frame or _frame()
    fleet = fleet or _fleet()
    series, _ = extract(frame, tuple(r.region for r in fleet.regions), MONTH)
    return what_if(series, fleet, parse_changes(changes), TABLE, Options())


def test_an_unchanged_configuration_prices_to_todays_report() -> None:
    # Today: 1 busy ($66.357) + 1 idle of min 2 ($9.855) + requests ($10.512) = $86.724.
    w = _what_if("min=2")
    [row] = w.regions
    assert row.today is not None and row.what_if is not None
    assert row.today.monthly == pytest.approx(86.724)
    assert row.what_if.monthly == pytest.approx(86.724)
    assert w.difference_on_demand == pytest.approx(0.0)
    report = build_report(_frame(), _fleet(), TABLE, Options(), now=START)
    assert report.regions[0].monthly.total == pytest.approx(row.today.monthly)
    assert w.today_net == pytest.approx(report.totals.monthly_net)


def test_min_zero_saves_the_idle_instance() -> None:
    # min 2 -> 0 with one busy instance: the idle one goes, -$9.855.
    w = _what_if("min=0")
    assert w.difference_on_demand == pytest.approx(-IDLE)
    assert w.regions[0].what_if is not None and w.regions[0].what_if.min_instances == 0


def test_instance_based_billing_bills_both_instances_and_no_requests() -> None:
    # max(min 2, 1 busy) = 2 instances x (0.000018 + 0.5 x 0.000002) x 2,628,000 = $99.864,
    # no request fee: +$13.14 against $86.724.
    w = _what_if("billing=instance-based")
    assert w.regions[0].what_if is not None
    assert w.regions[0].what_if.monthly == pytest.approx(99.864)
    assert w.difference_on_demand == pytest.approx(13.14)


def test_a_bigger_cpu_on_the_same_traffic() -> None:
    # 2 vCPU / 0.5 GiB, same busy time (no CPU utilisation to say otherwise):
    # busy (2 x 0.000024 + 0.5 x 0.0000025) x 2,628,000 = $129.429; idle (2 x 0.0000025 +
    # 0.5 x 0.0000025) x 2,628,000 = $16.425; requests $10.512: $156.366, +$69.642.
    w = _what_if("cpu=2")
    assert w.regions[0].what_if is not None
    assert w.regions[0].what_if.monthly == pytest.approx(156.366)
    assert w.difference_on_demand == pytest.approx(69.642)


def test_concurrency_one_multiplies_busy_instances_by_the_queueing_model() -> None:
    # 10 req/s x 0.5 s = 5 in flight. Concurrency 80: max(1 - e^-5, 5/80) = 0.993262;
    # concurrency 1: 5. Busy 1 x 5 / 0.993262 = 5.033918 instances (no idle left under min 2):
    # 5.033918 x $66.357 + $10.512 = $344.55.
    w = _what_if("concurrency=1", frame=_frame(latency_ms=500.0))
    busy = 5 / (1 - math.exp(-5))
    row = w.regions[0].what_if
    assert row is not None
    assert row.busy_instances_mean == pytest.approx(busy)
    assert row.monthly == pytest.approx(344.55, abs=0.005)
    assert w.risks == ()


def test_max_instances_caps_the_model_and_says_so() -> None:
    # Capped at 3 busy instances: 3 x $66.357 + $10.512 = $209.583.
    w = _what_if("concurrency=1", "max=3", frame=_frame(latency_ms=500.0))
    assert w.regions[0].what_if is not None
    assert w.regions[0].what_if.monthly == pytest.approx(209.583)
    assert any("max 3 instances caps the modelled busy instances in 100.0%" in r for r in w.risks)


def test_double_the_traffic() -> None:
    # 100 ms latency: in flight 1 -> 2; busy x (1 - e^-2) / (1 - e^-1) = 1.367879;
    # $66.357 x 1.367879 + idle (2 - 1.367879) x $9.855 + 20 req/s $21.024 = $118.02.
    w = _what_if("requests-scale=2", frame=_frame(latency_ms=100.0))
    row = w.regions[0].what_if
    assert row is not None
    assert row.requests_per_second == pytest.approx(20.0)
    assert row.monthly == pytest.approx(118.02, abs=0.005)


def test_dropping_a_region_moves_its_traffic() -> None:
    # Two regions alike ($86.724 each). region=us-central1: europe-west1's 10 req/s move
    # there (x2), as above without latency (in flight = busy): $118.02 in us-central1 and
    # -$86.724 for europe-west1.
    regions = ("us-central1", "europe-west1")
    w = _what_if("region=us-central1", frame=_frame(regions), fleet=_fleet(regions))
    us, eu = w.regions
    assert us.what_if is not None and eu.what_if is None
    assert us.what_if.monthly == pytest.approx(118.02, abs=0.005)
    assert eu.difference == pytest.approx(-86.724)
    assert w.difference_on_demand == pytest.approx(118.022 - 2 * 86.724, abs=0.005)
    assert any("us-central1: takes the traffic" in r for r in w.risks)


def test_one_region_only() -> None:
    regions = ("us-central1", "europe-west1")
    w = _what_if("min@europe-west1=0", frame=_frame(regions), fleet=_fleet(regions))
    assert [round(r.difference, 3) for r in w.regions] == [0.0, -IDLE]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("gpu=1", "unknown key 'gpu' (known: cpu, memory, min, max, concurrency, billing"),
        ("cpu=3", "Cloud Run does not allow cpu 3: above 1 vCPU, Cloud Run allows only 2, 4"),
        ("memory=16Gi", "more than 8 GiB needs at least 4 vCPU"),
        ("min=20", "min instances 20 above max 10 in us-central1"),
        ("requests-scale=inf", "requests-scale must be a finite factor"),
        ("min=-1", "expected a whole number >= 0"),
        ("billing=always", "billing must be request-based or instance-based"),
        ("cpu", "expected KEY=VALUE"),
    ],
)
def test_bad_changes_are_one_usage_error(change: str, message: str) -> None:
    with pytest.raises(UsageError, match="--what-if") as err:
        _what_if(change)
    assert message in err.value.message


def test_fractional_cpu_rules() -> None:
    with pytest.raises(UsageError, match="below 1 vCPU, concurrency must be 1"):
        _what_if("cpu=0.5")
    # 0.5 vCPU with concurrency 1 and 512 MiB is allowed.
    assert _what_if("cpu=0.5", "concurrency=1").regions[0].what_if is not None


def test_the_what_if_renders_in_every_format() -> None:
    report = build_report(_frame(), _fleet(), TABLE, Options(), now=START)
    report = with_extras(report, what_if=_what_if("min=0", "billing=instance-based"))
    data = json.loads(RENDERERS.json(report))
    jsonschema.validate(data, SCHEMA)
    md = RENDERERS.markdown(report)
    assert len(md) < MARKDOWN_LIMIT
    assert "### What if: `min=0`, `billing=instance-based`" in md
    # instance-based, min 0: the one busy instance only, $49.932: -$36.79 on demand.
    assert "| **Total (on demand)** | | $86.72 | $49.93 | **−$36.79** | | |" in md
    assert "| us-central1 | billing request-based → instance-based, min 2 → 0 |" in md
    assert "What if:" in RENDERERS.html(report)


@pytest.fixture
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


def test_traffic_rate_for_a_new_service(capsys: pytest.CaptureFixture[str], _cwd: Path) -> None:
    # 10 req/s at 500 ms on the default 2 vCPU / 2 GiB, concurrency 100, min 3, us-central1:
    # busy = max(1 - e^-5, 5/100) = 0.993262 x (2 x 0.000024 + 2 x 0.0000025) x 2,628,000
    # = $138.35; idle (3 - 0.993262) x (2 x 0.0000025 + 2 x 0.0000025) x 2,628,000 = $52.74;
    # requests $10.512: $201.59. min=0 saves the idle part: -$52.74.
    code = run(["cost-report", "--traffic", "10/s@500ms", "--region", "us-central1",
                "--what-if", "min=0", "-f", "json"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    assert data["regions"][0]["monthly"]["total"] == pytest.approx(201.59, abs=0.005)
    assert data["what_if"]["difference_on_demand"] == pytest.approx(-52.74, abs=0.005)
    assert data["what_if"]["traffic"].startswith("a flat 10 requests/s")
    assert any("priced on --traffic" in w for w in data["warnings"])


def test_traffic_from_a_file(capsys: pytest.CaptureFixture[str], _cwd: Path) -> None:
    rows = ["timestamp,metric,region,value"]
    for i in range(48):
        t = (START + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows += [f"{t},request_rate,us-central1,10", f"{t},latency_p50,us-central1,500"]
    (_cwd / "traffic.csv").write_text("\n".join(rows) + "\n")
    code = run(["cost-report", "--traffic", "traffic.csv", "--region", "us-central1", "-f",
                "json"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    # The same traffic as the rate above: $201.59.
    assert json.loads(out)["regions"][0]["monthly"]["total"] == pytest.approx(201.59, abs=0.005)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--what-if", "gpu=1"), "--what-if 'gpu=1': unknown key 'gpu'"),
        (("--what-if", "cpu=0.5", "--what-if", "memory=4Gi"), "Cloud Run does not allow cpu 0.5"),
        (("--traffic", "1e12/s"), "is not a plausible rate"),
        (("--traffic", "nope.csv"), "neither a rate"),
        (("--traffic", "5/s", "--source", "sim"), "--traffic replaces --source"),
    ],
)
def test_bad_what_if_flags_exit_2(
    capsys: pytest.CaptureFixture[str], _cwd: Path, args: tuple[str, ...], message: str
) -> None:
    source = () if {"--source", "--traffic"} & set(args) else ("--source", "sim")
    code = run(["cost-report", *source, "--since", "1d", *args])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert message in err and err.count("\n") == 1
