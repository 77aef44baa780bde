"""Service configuration offline (ion.toml / a file) and the min-instance rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from ioncli.cost.pricing import Billing, Size
from ioncli.cost.service_config import (
    RevisionInfo,
    allocate,
    from_file,
    from_settings,
    parse_cpu,
    parse_memory,
    warm_instances,
)
from ioncli.errors import ConfigError

REGIONS = ("us-central1", "europe-west1", "asia-southeast1")


def test_quantities() -> None:
    assert parse_cpu("2", "x") == 2.0
    assert parse_cpu("500m", "x") == 0.5
    assert parse_memory("512Mi", "x") == 0.5
    assert parse_memory("2Gi", "x") == 2.0
    assert parse_memory("1G", "x") == pytest.approx(10**9 / 2**30)
    with pytest.raises(ConfigError, match="cpu 'lots'"):
        parse_cpu("lots", "ion.toml")
    with pytest.raises(ConfigError, match="memory must be above 0"):
        parse_memory("0Mi", "ion.toml")


def test_service_min_is_split_by_traffic() -> None:
    assert allocate(10, [60, 40]) == [6, 4]
    assert allocate(3, [50, 50]) == [2, 1]  # the first-listed revision gets the rounded-up value
    assert allocate(1, [100, 0]) == [1, 0]


def _rev(
    name: str,
    percent: int,
    min_instances: int = 0,
    max_instances: int = 100,
    tags: tuple[str, ...] = (),
) -> RevisionInfo:
    return RevisionInfo(name, percent, tags, min_instances, max_instances, Size(1, 0.5))


def test_effective_min_is_the_larger_of_revision_min_and_share() -> None:
    # Service min 10 and revision A's own min 6 at 50/50: A keeps 6, B gets its share 5.
    a, b = warm_instances(10, 100, [_rev("a", 50, 6), _rev("b", 50)])
    assert (a.warm, b.warm) == (6, 5)
    # A's max of 3 caps it: A 3, B 5.
    a, b = warm_instances(10, 100, [_rev("a", 50, 6, max_instances=3), _rev("b", 50)])
    assert (a.warm, b.warm) == (3, 5)


def test_revisions_without_traffic_keep_their_own_min_warm() -> None:
    # Tagged, or just referenced at 0% in the traffic block: both start their own min.
    serving, tagged, referenced = warm_instances(
        2, 100, [_rev("new", 100), _rev("old", 0, 3, tags=("canary",)), _rev("older", 0, 2)]
    )
    assert (serving.warm, tagged.warm, referenced.warm) == (2, 3, 2)


def test_defaults_are_the_original_reports_configuration() -> None:
    fleet = from_settings("ion-mentoring", REGIONS, {}, {}, where="ion.toml [cost]")
    assert fleet.offline
    assert "original report" in fleet.origin
    got = {r.region: (r.min_instances, r.max_instances) for r in fleet.regions}
    assert got == {"us-central1": (3, 100), "europe-west1": (2, 50), "asia-southeast1": (1, 30)}
    us = fleet.region("us-central1")
    assert (us.size, us.billing, us.concurrency) == (Size(2.0, 2.0), Billing.REQUEST, 100)


def test_settings_override_the_defaults_key_by_key() -> None:
    fleet = from_settings(
        "ion-mentoring",
        REGIONS,
        {"cpu": "1", "memory": "512Mi", "billing": "instance-based"},
        {"europe-west1": {"min_instances": 0}},
        where="ion.toml [cost]",
    )
    eu = fleet.region("europe-west1")
    assert (eu.min_instances, eu.max_instances, eu.size, eu.billing) == (
        0,
        50,
        Size(1.0, 0.5),
        Billing.INSTANCE,
    )
    assert fleet.origin.startswith("ion.toml [cost]")


@pytest.mark.parametrize(
    ("defaults", "regions", "message"),
    [
        ({"cpus": 2}, {}, "unknown key 'service.cpus'"),
        ({}, {"mars-north1": {"min_instances": 1}}, "regions.mars-north1 is not one of"),
        ({}, {"us-central1": {"min_instances": -1}}, "min_instances must be a whole number"),
        ({}, {"us-central1": {"min_instances": 200}}, "min_instances 200 is above max_instances"),
        ({"billing": "cheap"}, {}, "billing must be 'request-based' or 'instance-based'"),
    ],
)
def test_bad_settings_name_the_key(
    defaults: dict[str, object], regions: dict[str, dict[str, object]], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        from_settings("svc", REGIONS, defaults, regions, where="ion.toml [cost]")


def test_from_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "svc.toml"
    path.write_text(
        '[service]\ncpu = "4"\nmemory = "8Gi"\n[regions.us-central1]\nmin_instances = 5\n'
    )
    fleet = from_file(path, "ion-mentoring", REGIONS)
    assert fleet.region("us-central1").min_instances == 5
    assert fleet.region("us-central1").size == Size(4.0, 8.0)
    assert fleet.origin.startswith(str(path))
    path.write_text("[servce]\n")
    with pytest.raises(ConfigError, match="expected only the tables"):
        from_file(path, "ion-mentoring", REGIONS)
