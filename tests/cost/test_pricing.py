"""The rate table and cost arithmetic, checked against examples worked by hand.

If a shipped rate changes, one of these examples fails: a price change is a visible diff,
never a silent drift.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ioncli.cost.pricing import (
    Billing,
    RateTable,
    Size,
    active_price,
    commitment_discount,
    free_tier,
    idle_price,
    load_table,
    request_price,
)
from ioncli.errors import ConfigError

DAYS_30 = 30 * 86400  # 2,592,000 s
MONTH_730H = 730 * 3600  # 2,628,000 s


@pytest.fixture(scope="module")
def table() -> RateTable:
    return load_table()


def test_shipped_table_names_its_sources_and_dates(table: RateTable) -> None:
    assert table.id == "cloud-run-usd-2026-08"
    assert table.origin == "shipped"
    assert table.month_hours == 730
    for rate in table.rates.values():
        assert rate.source and rate.date[:2] == "20", rate
    assert table.rates["inst.cpu.t2"].flagged


def test_region_tiers(table: RateTable) -> None:
    assert table.tier("us-central1") == 1
    assert table.tier("europe-west1") == 1
    assert table.tier("asia-southeast1") == 2
    assert table.tier("europe-west2") == 2  # Tier 1 for Cloud Functions 1st gen, not for Run
    assert not table.knows("mars-north1")


def test_one_idle_min_instance_30_days_us_central1_request_based(table: RateTable) -> None:
    # 1 vCPU x 2,592,000 s x $0.0000025 = $6.48; 0.5 GiB x 2,592,000 s x $0.0000025 = $3.24
    price = idle_price(table, "us-central1", Billing.REQUEST, Size(1, 0.5))
    assert price.cpu * DAYS_30 == pytest.approx(6.48)
    assert price.memory * DAYS_30 == pytest.approx(3.24)
    assert price.total * DAYS_30 == pytest.approx(9.72)
    assert price.total * MONTH_730H == pytest.approx(9.855)


def test_the_same_instance_under_instance_based_billing(table: RateTable) -> None:
    # 2,592,000 x $0.000018 = $46.656; 1,296,000 GiB-s x $0.000002 = $2.592
    price = idle_price(table, "us-central1", Billing.INSTANCE, Size(1, 0.5))
    assert price.total * DAYS_30 == pytest.approx(49.248)


def test_tier2_idle_and_instance_based(table: RateTable) -> None:
    # asia-southeast1: 2,592,000 x $0.0000035 + 1,296,000 x $0.0000035 = $13.608
    assert idle_price(table, "asia-southeast1", Billing.REQUEST, Size(1, 0.5)).total * DAYS_30 == (
        pytest.approx(13.608)
    )
    # flagged Tier 2 instance-based: 2,592,000 x $0.0000216 + 1,296,000 x $0.0000024 = $59.0976
    assert idle_price(table, "asia-southeast1", Billing.INSTANCE, Size(1, 0.5)).total * DAYS_30 == (
        pytest.approx(59.0976)
    )


def test_report_configurations(table: RateTable) -> None:
    # ion-api-prod: 2 vCPU / 2 GiB, min 3, us-central1, idle for a 730 h month:
    # 3 x (2 x 0.0000025 + 2 x 0.0000025) x 2,628,000 = 3 x 0.00001 x 2,628,000 = $78.84
    prod = idle_price(table, "us-central1", Billing.REQUEST, Size(2, 2))
    assert 3 * prod.total * MONTH_730H == pytest.approx(78.84)
    # ...and one of them busy all month: (2 x 0.000024 + 2 x 0.0000025) x 2,628,000 = $139.284
    busy = active_price(table, "us-central1", Billing.REQUEST, Size(2, 2))
    assert busy.total * MONTH_730H == pytest.approx(139.284)
    # ion-api-staging: 1 vCPU / 1 GiB, min 1: (0.0000025 + 0.0000025) x 2,628,000 = $13.14
    staging = idle_price(table, "us-central1", Billing.REQUEST, Size(1, 1))
    assert staging.total * MONTH_730H == pytest.approx(13.14)
    # The report's own request volume: 10,000 requests a day for 30 days = 300,000 -> $0.12
    assert 300_000 * request_price(table, Billing.REQUEST) == pytest.approx(0.12)
    assert request_price(table, Billing.INSTANCE) == 0.0


def test_free_tier_is_a_dollar_credit_at_tier1_prices(table: RateTable) -> None:
    ft = free_tier(table)
    # 180,000 vCPU-s x $0.000024 = $4.32; 360,000 GiB-s x $0.0000025 = $0.90; 2 M x $0.40/M
    assert (ft.cpu, ft.memory, ft.requests) == pytest.approx((4.32, 0.90, 0.80))
    # ...the same credit as the instance-based allowance: 240,000 x $0.000018 = $4.32
    assert 240_000 * table.value("inst.cpu.t1") == pytest.approx(ft.cpu)


def test_commitments(table: RateTable) -> None:
    assert commitment_discount(table, Billing.REQUEST, "none") == 0.0
    assert commitment_discount(table, Billing.REQUEST, "3y") == 0.17
    assert commitment_discount(table, Billing.INSTANCE, "1y") == 0.28
    assert commitment_discount(table, Billing.INSTANCE, "3y") == 0.46
    with pytest.raises(ConfigError, match="commitment"):
        commitment_discount(table, Billing.INSTANCE, "5y")


def test_override_changes_the_example_and_is_reported() -> None:
    table = load_table(overrides={"idle.cpu.t1": 0.000003})
    price = idle_price(table, "us-central1", Billing.REQUEST, Size(1, 0.5))
    assert price.total * DAYS_30 == pytest.approx(2_592_000 * 0.000003 + 3.24)
    assert table.overrides == ("idle.cpu.t1",)
    assert table.rates["idle.cpu.t1"].overridden_from == 0.0000025


def test_negative_override_is_a_config_error() -> None:
    with pytest.raises(
        ConfigError, match=r"ion.toml \[cost.pricing\]: rate 'req.cpu.t1' must be a finite"
    ):
        load_table(overrides={"req.cpu.t1": -0.1}, where="ion.toml [cost.pricing]")


def test_unknown_override_names_the_known_rates() -> None:
    with pytest.raises(ConfigError, match=r"unknown rate 'req\.cpu\.tier1'.*req\.cpu\.t1"):
        load_table(overrides={"req.cpu.tier1": 0.1})


def test_a_custom_table_file(tmp_path: Path) -> None:
    shipped = json.loads(
        (
            Path(__file__).resolve().parents[2] / "ioncli/cost/rates/cloud-run-usd-2026.json"
        ).read_text()
    )
    shipped["id"] = "my-negotiated-rates"
    shipped["rates"]["req.cpu.t1"]["value"] = 0.00002
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(shipped))
    table = load_table(path)
    assert (table.id, table.origin, table.value("req.cpu.t1")) == (
        "my-negotiated-rates",
        str(path),
        0.00002,
    )
    del shipped["rates"]["requests.per_million"]
    path.write_text(json.dumps(shipped))
    with pytest.raises(ConfigError, match=r"missing rates requests\.per_million"):
        load_table(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_table(tmp_path / "nope.json")


def test_the_reports_claimed_saving_for_one_fewer_us_instance(table: RateTable) -> None:
    # The original report claimed -$100/month for us-central1 min 3 -> 2 (2 vCPU / 2 GiB).
    size = Size(2, 2)
    # Request-based, the instance idle: 2 x 0.0000025 + 2 x 0.0000025 = $0.00001/s -> $26.28
    request_based = idle_price(table, "us-central1", Billing.REQUEST, size).total * MONTH_730H
    assert request_based == pytest.approx(26.28)
    # Instance-based: 2 x 0.000018 + 2 x 0.000002 = $0.00004/s -> $105.12, near the claim.
    instance_based = idle_price(table, "us-central1", Billing.INSTANCE, size).total * MONTH_730H
    assert instance_based == pytest.approx(105.12)
