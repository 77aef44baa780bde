"""The README's promises: two set-up commands, every command documented, the exit code table."""

from __future__ import annotations

import re

from ioncli import errors
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def test_quick_start_has_exactly_two_setup_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", section("Quick start"), re.S)
    assert len(blocks) == 2
    assert all(len(b.strip().splitlines()) == 1 for b in blocks)
    install_and_serve, install_and_test = (b.strip() for b in blocks)
    assert install_and_serve.endswith("ion serve")
    assert "pip install" in install_and_serve
    assert "[test]" in install_and_test
    assert install_and_test.endswith("pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", section("Quick start"), re.S)
    test_command = blocks[1].strip()
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_subcommand_is_documented() -> None:
    from ioncli.cli import app

    names = [c.name for c in app.registered_commands]
    assert names
    for name in names:
        assert f"### `ion {name}`" in README, f"README does not document `ion {name}`"


def test_exit_code_table_matches_the_code() -> None:
    table = section("Exit codes")
    rows = dict(re.findall(r"^\| (\d) \| (.+?) \|$", table, re.M))
    assert set(rows) == {"0", "1", "2", "3", "4", "5"}
    assert "usage" in rows[str(errors.EXIT_USAGE)]
    assert "configuration" in rows[str(errors.EXIT_CONFIG)]
    assert "not enough data" in rows[str(errors.EXIT_DATA)]
    assert "policy" in rows[str(errors.EXIT_POLICY)]


def test_every_config_key_is_in_the_example_file() -> None:
    import dataclasses

    from ioncli import config

    example = (ROOT / "ion.example.toml").read_text(encoding="utf-8")
    env_only = {"monitoring_emulator_host", "run_emulator_host", "source_file"}
    sections = {
        "": config.Settings,
        "serve": config.ServeSettings,
        "alerts": config.AlertSettings,
        "cost": config.CostSettings,
    }
    for table, cls in sections.items():
        for f in dataclasses.fields(cls):
            if f.name in env_only or dataclasses.is_dataclass(f.type) or f.name in sections:
                continue
            pattern = rf"^#? ?{re.escape(f.name)} = |^#? ?\[{re.escape(table)}\.{f.name}"
            if f.name in ("metrics", "slo"):
                pattern = rf"^#? ?\[{f.name}\."
            assert re.search(pattern, example, re.M), (
                f"ion.example.toml does not document {table + '.' if table else ''}{f.name}"
            )


def test_configuration_section_names_every_environment_variable() -> None:
    text = section("Configuration")
    for variable in (
        "ION_CONFIG",
        "GOOGLE_CLOUD_PROJECT",
        "ION_MONITORING_EMULATOR_HOST",
        "ION_RUN_EMULATOR_HOST",
        "ION_REDIS_URL",
        "PORT",
        "NO_COLOR",
    ):
        assert f"`{variable}" in text
