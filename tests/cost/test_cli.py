"""`ion cost-report` as a user runs it: exit codes, one-line errors, apply against the fake."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from ioncli.cli import run
from tests.fakes.cloud_run import FakeCloudRun
from tests.helpers import run_ion

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "ioncli/schemas/cost_report.schema.json").read_text()
)
SIM = ("cost-report", "--source", "sim", "--since", "1d")


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "160")
    return tmp_path


def _ion(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cloud(fake_run: FakeCloudRun, monkeypatch: pytest.MonkeyPatch) -> FakeCloudRun:
    fake_run.add_service("us-central1", min_instances=3, max_instances=100, cpu="2", memory="2Gi")
    fake_run.add_service("europe-west1", min_instances=2, max_instances=50, cpu="2", memory="2Gi")
    fake_run.add_service(
        "asia-southeast1", min_instances=1, max_instances=30, cpu="2", memory="2Gi"
    )
    monkeypatch.setenv("ION_RUN_EMULATOR_HOST", fake_run.address)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", fake_run.project)
    return fake_run


def _mins(fake: FakeCloudRun) -> dict[str, int]:
    return {n.split("/")[3]: s.scaling.min_instance_count for n, s in fake.services.items()}


@pytest.mark.slow
def test_default_run_on_the_simulator_as_a_subprocess() -> None:
    result = run_ion(*SIM)
    assert result.returncode == 0, result.stderr
    assert "Cloud Run cost · ion-mentoring" in result.stdout
    assert "configuration: defaults: the original report's configuration" in result.stdout
    for region in ("us-central1", "europe-west1", "asia-southeast1"):
        assert region in result.stdout


def test_json_then_compare_quietly(capsys: pytest.CaptureFixture[str], _workdir: Path) -> None:
    code, _, err = _ion(capsys, *SIM, "--format", "json", "-o", "before.json")
    assert code == 0, err
    data = json.loads((_workdir / "before.json").read_text())
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.FormatChecker())
    # Same inputs: nothing printed with --quiet-unless-increase.
    code, out, err = _ion(capsys, *SIM, "--compare-to", "before.json", "--quiet-unless-increase")
    assert (code, out) == (0, "")
    assert "did not increase" in err
    # A bigger min in europe-west1 costs more: the diff is printed.
    (_workdir / "ion.toml").write_text("[cost.regions.europe-west1]\nmin_instances = 6\n")
    code, out, err = _ion(
        capsys, *SIM, "--compare-to", "before.json", "--quiet-unless-increase", "-f", "markdown"
    )
    assert code == 0, err
    assert "**Change since the previous report**" in out
    assert "| europe-west1 |" in out and "| 2 → 6 |" in out


def test_budget_not_a_number_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _ion(capsys, *SIM, "--budget", "lots")
    assert code == 2 and out == ""
    assert err.strip() == "error: --budget 'lots' is not a number of dollars (like 250)"


def test_over_budget_exits_5_after_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _ion(capsys, *SIM, "--budget", "$100", "-f", "markdown")
    assert code == 5
    assert "**Over budget:**" in out
    assert err.startswith("error: over budget: $") and err.count("\n") == 1


def test_negative_pricing_override_is_a_config_error(
    capsys: pytest.CaptureFixture[str], _workdir: Path
) -> None:
    (_workdir / "ion.toml").write_text('[cost.pricing]\n"req.cpu.t1" = -0.00001\n')
    code, out, err = _ion(capsys, *SIM)
    assert code == 3 and out == ""
    assert "ion.toml [cost.pricing]: rate 'req.cpu.t1' must be a finite number >= 0" in err


def test_unknown_region_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _ion(capsys, *SIM, "--region", "mars-north1")
    assert code == 2
    assert "--region: unknown Cloud Run region 'mars-north1'" in err


def test_apply_needs_the_live_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _ion(capsys, *SIM, "--apply")
    assert code == 2 and "--apply changes Cloud Run" in err
    code, _, err = _ion(capsys, *SIM, "--yes")
    assert code == 2 and "only work with --apply" in err


def test_apply_dry_run_changes_nothing(
    capsys: pytest.CaptureFixture[str], cloud: FakeCloudRun
) -> None:
    before = cloud.snapshot()
    code, out, err = _ion(capsys, *SIM, "--apply")
    assert code == 0, err
    assert "configuration: Cloud Run Admin API (project demo-project)" in out
    assert "Apply: plan (dry run; --yes applies it)" in out
    assert cloud.snapshot() == before and cloud.updates == []


def test_apply_yes_sets_verifies_and_prints_the_undo(
    capsys: pytest.CaptureFixture[str], cloud: FakeCloudRun
) -> None:
    code, out, err = _ion(
        capsys, *SIM, "--apply", "--yes", "--set", "us-central1=2", "--set", "europe-west1=1",
        "--set", "asia-southeast1=1", "-f", "json",
    )  # fmt: skip
    assert code == 0, err
    assert _mins(cloud) == {"us-central1": 2, "europe-west1": 1, "asia-southeast1": 1}
    data = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    assert [s["outcome"] for s in data["applied"]["steps"]] == ["applied", "applied"]
    assert "describe the configuration read before this apply" in data["notes"][0]
    assert data["plan"]["unchanged"] == ["asia-southeast1"]  # asked for, already 1
    undo = data["applied"]["undo"]
    assert undo == (
        "ion cost-report --apply --yes --force --set us-central1=3 --set europe-west1=2"
    )
    # The undo command, run as printed, puts everything back.
    code, _, err = _ion(capsys, *SIM, *undo.split()[2:])
    assert code == 0, err
    assert _mins(cloud) == {"us-central1": 3, "europe-west1": 2, "asia-southeast1": 1}


def test_failed_apply_stops_and_says_what_changed(
    capsys: pytest.CaptureFixture[str], cloud: FakeCloudRun
) -> None:
    eu = cloud.service_name("europe-west1", "ion-mentoring")
    cloud.fail_operation.add(eu)
    eu_before = cloud.snapshot()[eu]
    code, out, err = _ion(
        capsys, *SIM, "--apply", "--yes", "--set", "us-central1=2", "--set", "europe-west1=1",
        "--set", "asia-southeast1=0",
    )  # fmt: skip
    assert code == 1
    assert cloud.snapshot()[eu] == eu_before
    assert _mins(cloud) == {"us-central1": 2, "europe-west1": 2, "asia-southeast1": 1}
    assert "not attempted" in out
    line = err.strip()
    assert line.count("\n") == 0
    assert "failed in europe-west1" in line and "changed: us-central1" in line
    assert "not attempted: asia-southeast1" in line and "--set us-central1=3" in line


def test_apply_refusals(
    capsys: pytest.CaptureFixture[str], cloud: FakeCloudRun, _workdir: Path
) -> None:
    code, _, err = _ion(capsys, *SIM, "--apply", "--yes", "--set", "us-central1=-1")
    assert code == 2 and "cannot be negative" in err
    code, _, err = _ion(capsys, *SIM, "--apply", "--yes", "--set", "asia-southeast1=31")
    assert code == 2 and "above the max (30)" in err
    (_workdir / "ion.toml").write_text("[cost]\nmin_instance_floor = 2\n")
    code, _, err = _ion(capsys, *SIM, "--apply", "--yes", "--set", "us-central1=1")
    assert code == 5 and "below the configured floor 2" in err
    assert cloud.updates == []


def test_service_that_does_not_exist(
    capsys: pytest.CaptureFixture[str], cloud: FakeCloudRun
) -> None:
    code, out, err = _ion(capsys, *SIM, "--service", "nope")
    assert code == 3 and out == ""
    assert (
        "Cloud Run service projects/demo-project/locations/us-central1/services/nope does not exist"
        in err
    )
    assert "(services in us-central1: ion-mentoring; check `service` or --service)" in err


def test_tagged_revision_holding_warm_instances_is_flagged(
    capsys: pytest.CaptureFixture[str], fake_run: FakeCloudRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_run.add_service(
        "us-central1",
        min_instances=1,
        cpu="1",
        memory="512Mi",
        revisions=[
            ("ion-mentoring-00002-new", 100, "", 0),
            ("ion-mentoring-00001-old", 0, "canary", 2),
        ],
    )
    monkeypatch.setenv("ION_RUN_EMULATOR_HOST", fake_run.address)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", fake_run.project)
    code, out, err = _ion(capsys, *SIM, "--region", "us-central1", "-f", "markdown")
    assert code == 0, err
    assert "### Warm instances held by revisions without traffic" in out
    # 2 x (1 x 0.0000025 + 0.5 x 0.0000025) x 2,628,000 s = $19.71 a month
    assert "| us-central1 | `ion-mentoring-00001-old` | canary | 2 | $19.71 |" in out


def test_file_source_and_step_summary(
    capsys: pytest.CaptureFixture[str], _workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from ioncli.sources.sim import simulate

    frame = simulate(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC))
    frame.to_parquet(_workdir / "fleet.parquet")
    summary = _workdir / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, err = _ion(
        capsys, "cost-report", "--source", "file:fleet.parquet", "-f", "json", "--step-summary"
    )
    assert code == 0, err
    data = json.loads(out)
    # A file is read whole: its day, not the last 7 days.
    assert (data["window_start"], data["window_end"]) == (
        "2026-11-02T00:00:00Z",
        "2026-11-03T00:00:00Z",
    )
    assert summary.read_text().startswith("## Cloud Run cost · ion-mentoring")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[cost]\nmin_instance_floor = -1\n", "[cost] min_instance_floor must be >= 0"),
        ("[cost]\nmax_cold_start_share = 2.0\n", "[cost] max_cold_start_share must be in [0, 1)"),
        ('[cost]\ncommitment = "5y"\n', "[cost] commitment must be none, 1y or 3y"),
        ("[cost]\nbudget = -5\n", "[cost] budget must be a positive number"),
        ('[cost.service]\ncpu = "lots"\n', "cpu 'lots' is not a number of vCPU"),
    ],
)
def test_bad_cost_settings_are_config_errors(
    capsys: pytest.CaptureFixture[str], _workdir: Path, toml: str, message: str
) -> None:
    (_workdir / "ion.toml").write_text(toml)
    code, out, err = _ion(capsys, *SIM)
    assert (code, out) == (3, "")
    assert message in err and "ion.toml" in err


def test_what_if_on_the_live_configuration(
    capsys: pytest.CaptureFixture[str], cloud: FakeCloudRun
) -> None:
    # The configuration read from Cloud Run (min 3/2/1, 2 vCPU / 2 GiB) is today's side; the
    # change is priced next to it and nothing in Cloud Run changes.
    before = cloud.snapshot()
    code, out, err = _ion(capsys, *SIM, "--what-if", "min=0", "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    rows = {r["region"]: r for r in data["what_if"]["regions"]}
    assert {k: v["today"]["min_instances"] for k, v in rows.items()} == {
        "us-central1": 3, "europe-west1": 2, "asia-southeast1": 1,
    }  # fmt: skip
    assert all(r["what_if"]["min_instances"] == 0 for r in rows.values())
    assert data["what_if"]["difference_on_demand"] <= 0
    assert cloud.snapshot() == before and cloud.updates == []
