"""Configuration: file discovery, precedence, validation errors (exit code 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ioncli.config import Settings, load_settings
from ioncli.errors import ConfigError
from tests.helpers import ROOT


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_file(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings == Settings()
    assert settings.source == "local"
    assert settings.source_file is None


def test_ion_toml_in_the_working_directory(tmp_path: Path) -> None:
    write(
        tmp_path,
        "ion.toml",
        'service = "svc"\nregions = ["us-central1"]\n[alerts]\nmax_alerts_per_week = 2\n',
    )
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.service == "svc"
    assert settings.regions == ("us-central1",)
    assert settings.alerts.max_alerts_per_week == 2.0
    assert settings.source_file == str(tmp_path / "ion.toml")


def test_tool_ion_in_pyproject(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n[tool.ion]\nproject = "p-1"\n')
    assert load_settings(env={}, cwd=tmp_path).project == "p-1"


def test_pyproject_without_tool_ion_is_ignored(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n[tool.ruff]\nline-length = 1\n')
    assert load_settings(env={}, cwd=tmp_path) == Settings()


def test_explicit_path_beats_ion_config_beats_working_directory(tmp_path: Path) -> None:
    write(tmp_path, "ion.toml", 'service = "cwd"\n')
    from_env = write(tmp_path, "env.toml", 'service = "env"\n')
    explicit = write(tmp_path, "flag.toml", 'service = "flag"\n')
    assert load_settings(env={}, cwd=tmp_path).service == "cwd"
    assert load_settings(env={"ION_CONFIG": str(from_env)}, cwd=tmp_path).service == "env"
    env = {"ION_CONFIG": str(from_env)}
    assert load_settings(explicit, env=env, cwd=tmp_path).service == "flag"


def test_environment_overrides_the_file_and_flags_override_both(tmp_path: Path) -> None:
    write(tmp_path, "ion.toml", 'project = "from-file"\nsource = "sim"\n')
    env = {
        "GOOGLE_CLOUD_PROJECT": "from-env",
        "ION_MONITORING_EMULATOR_HOST": "127.0.0.1:9999",
        "ION_RUN_EMULATOR_HOST": "127.0.0.1:9998",
        "ION_REDIS_URL": "redis://127.0.0.1:6390/0",
    }
    settings = load_settings(env=env, cwd=tmp_path)
    assert settings.project == "from-env"
    assert settings.monitoring_emulator_host == "127.0.0.1:9999"
    assert settings.run_emulator_host == "127.0.0.1:9998"
    assert settings.serve.redis_url == "redis://127.0.0.1:6390/0"
    assert settings.override(project="from-flag", source=None).project == "from-flag"
    assert settings.override(source=None).source == "sim"


def test_cloud_run_port_listens_on_every_interface(tmp_path: Path) -> None:
    settings = load_settings(env={"PORT": "9090"}, cwd=tmp_path)
    assert (settings.serve.host, settings.serve.port) == ("0.0.0.0", 9090)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('servce = "x"\n', "unknown key 'servce'"),
        ("[serve]\nprot = 1\n", "unknown key 'serve.prot'"),
        ('[serve]\nport = "8080"\n', "key 'serve.port' expects an integer, found string '8080'"),
        ('regions = "us-central1"\n', "key 'regions' expects a list of a string, found string"),
        ("regions = [1]\n", "key 'regions[0]' expects a string, found integer 1"),
        ("[alerts]\nmax_alerts_per_week = true\n", "expects a number, found boolean True"),
        ('serve = "x"\n', "key 'serve' expects a table, found string 'x'"),
        ('monitoring_emulator_host = "x"\n', "unknown key 'monitoring_emulator_host'"),
        ("x = [\n", "malformed TOML"),
        # the flag refuses a negative budget; the file must too
        ("[alerts]\nmax_alerts_per_week = -3\n", "'alerts.max_alerts_per_week' must be 0 or more"),
        # ranges and choices are checked with the file, for every command (config_schema)
        (
            '[alerts]\nrule = "magic"\n',
            "key 'alerts.rule' must be one of auto, envelope, seasonal, zscore, robust, sigma, "
            "found 'magic'",
        ),
        ("[alerts]\nduration_seconds = -60\n", "key 'alerts.duration_seconds' must be 0 or more"),
        ("[cost]\nmin_instance_floor = -1\n", "[cost] min_instance_floor must be >= 0"),
        ("[cost]\nmax_cold_start_share = 1.0\n", "[cost] max_cold_start_share must be in [0, 1)"),
        ('[cost]\ncommitment = "5y"\n', "[cost] commitment must be none, 1y or 3y"),
        ("[cost]\nbudget = 0\n", "[cost] budget must be a positive number"),
        # the open tables' names, keys and types too, before any command uses them
        ('[metrics.queue]\nunit = "count"\ncolour = "red"\n', "unknown key 'metrics.queue.colour'"),
        ('[metrics."bad name"]\nunit = "count"\n', "is not a usable metric name"),
        ('[metrics.latency_p95]\nscale = "big"\n', "'metrics.latency_p95.scale' has the wrong"),
        ("[metrics.x.denominator]\ncolour = 1\n", "unknown key 'metrics.x.denominator.colour'"),
        ("[slo.a]\nbudget = 3\n", "unknown key 'slo.a.budget'"),
        ("[slo.A]\nobjective = 99\n", "key 'slo.A' is not a usable name"),
        ("[[slo.a.alerts]]\nlong = 5\n", "key 'slo.a.alerts[0].long' has the wrong type (int)"),
        ("[cost.service]\ncpus = 2\n", "[cost]: unknown key 'service.cpus' (known: ['billing'"),
        ("[cost.regions.x]\nmin = 2\n", "[cost]: unknown key 'regions.x.min'"),
    ],
)
def test_bad_files_name_the_file_the_key_and_what_was_found(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, "ion.toml", text)
    with pytest.raises(ConfigError) as info:
        load_settings(env={}, cwd=tmp_path)
    assert info.value.exit_code == 3
    assert str(path) in str(info.value)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_explicit_file_and_missing_ion_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", env={}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="from ION_CONFIG"):
        load_settings(env={"ION_CONFIG": str(tmp_path / "nope.toml")}, cwd=tmp_path)


def test_bad_port_in_the_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="environment PORT"):
        load_settings(env={"PORT": "eighty"}, cwd=tmp_path)


def test_the_shipped_example_config_is_valid(tmp_path: Path) -> None:
    example = ROOT / "ion.example.toml"
    settings = load_settings(example, env={}, cwd=tmp_path)
    assert settings.source_file == str(example)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[serve]\nheader_read_timeout_seconds = 0\n",
            "serve.header_read_timeout_seconds must be more than 0 and at most 60",
        ),
        ("[serve]\nmax_connections = 10\n", "serve.max_connections must be at least 64"),
    ],
)
def test_serve_limits_are_checked_with_the_file(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "ion.toml", text)
    with pytest.raises(ConfigError) as info:
        load_settings(env={}, cwd=tmp_path)
    assert (info.value.exit_code, str(info.value)) == (3, message)


def test_every_default_meets_its_own_rule() -> None:
    import dataclasses

    from ioncli import config_schema

    for cls in (
        config_schema.ServeSettings,
        config_schema.AlertSettings,
        config_schema.CostSettings,
    ):
        for f in dataclasses.fields(cls):
            rule = f.metadata.get("rule")
            if rule is not None:
                assert rule.test(getattr(cls(), f.name)), f"{cls.__name__}.{f.name}"


def test_the_example_with_every_commented_key_switched_on_is_valid(tmp_path: Path) -> None:
    """The example documents no key ion would refuse: uncomment every `# key = value` line
    and `# [table]` header, and the whole file passes the schema and every table's owner."""
    import re

    from ioncli.cost.pricing import load_table
    from ioncli.cost.service_config import from_settings
    from ioncli.slo.config import load_slos
    from ioncli.sources.catalog import catalog

    commented = re.compile(
        r'^# ?(\[\[?[A-Za-z0-9_.-]+\]\]?(\s+#.*)?|([A-Za-z_][A-Za-z0-9_]*|"[^"]+") = \S.*)$'
    )
    lines = (ROOT / "ion.example.toml").read_text(encoding="utf-8").splitlines()
    switched = [m.group(1) if (m := commented.match(line)) else line for line in lines]
    assert sum(a != b for a, b in zip(lines, switched, strict=True)) >= 50
    path = write(tmp_path, "ion.toml", "\n".join(switched) + "\n")
    settings = load_settings(path, env={}, cwd=tmp_path)
    assert settings.cost.budget == 250.0 and settings.alerts.duration_seconds == 300
    assert {"queue_depth", "cpu_utilization"} <= set(catalog(settings))
    assert [s.name for s in load_slos(settings.slo, str(path))] == ["availability", "latency"]
    fleet = from_settings(
        settings.service, settings.regions, settings.cost.service, settings.cost.regions, where="x"
    )
    assert fleet.region("us-central1").min_instances == 3
    assert set(load_table(None, settings.cost.pricing).overrides) == set(settings.cost.pricing)
