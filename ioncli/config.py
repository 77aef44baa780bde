"""Settings: declared once as typed, frozen dataclasses, loaded from TOML, env and flags.

Precedence (lowest to highest): defaults < config file < environment < command-line flags.
The config file is the first of: `--config PATH`, `$ION_CONFIG`, `./ion.toml`,
`[tool.ion]` in `./pyproject.toml`. Loading is pure: the environment and the working
directory are passed in, nothing is read from globals.

The structs, their defaults and the values each key allows are declared once in
`ioncli.config_schema`, which validates the whole file as it is read: an unknown key, a value
of the wrong type or out of range raises ConfigError naming the file and the key path.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ioncli.config_schema import (
    DEFAULT_REGIONS,
    AlertSettings,
    CostSettings,
    ServeSettings,
    Settings,
    build,
    check_tables,
)
from ioncli.errors import ConfigError

__all__ = [
    "DEFAULT_REGIONS",
    "AlertSettings",
    "CostSettings",
    "ServeSettings",
    "Settings",
    "find_config_file",
    "load_settings",
]


def find_config_file(explicit: Path | None, env: Mapping[str, str], cwd: Path) -> Path | None:
    """The config file to read, or None when only defaults apply."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} does not exist")
        return explicit
    from_env = env.get("ION_CONFIG")
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise ConfigError(f"config file {path} (from ION_CONFIG) does not exist")
        return path
    for name in ("ion.toml", "pyproject.toml"):
        candidate = cwd / name
        if candidate.is_file():
            if name == "pyproject.toml" and "ion" not in _read_toml(candidate).get("tool", {}):
                continue
            return candidate
    return None


def load_settings(
    config: Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Load settings from the config file and the environment (flags are applied by callers)."""
    env = {} if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    path = find_config_file(config, env, cwd)
    raw: dict[str, Any] = {}
    if path is not None:
        raw = _read_toml(path)
        if path.name == "pyproject.toml":
            raw = raw.get("tool", {}).get("ion", {})
    settings = build(Settings, raw, str(path) if path else "defaults")
    check_tables(settings, str(path) if path else "defaults")
    settings = dataclasses.replace(settings, source_file=str(path) if path else None)
    return _apply_env(settings, env)


def _apply_env(settings: Settings, env: Mapping[str, str]) -> Settings:
    changes: dict[str, Any] = {}
    if env.get("GOOGLE_CLOUD_PROJECT"):
        changes["project"] = env["GOOGLE_CLOUD_PROJECT"]
    if env.get("ION_SERVICE"):
        changes["service"] = env["ION_SERVICE"]
    if env.get("ION_SOURCE"):
        changes["source"] = env["ION_SOURCE"]
    if env.get("ION_REGIONS"):
        changes["regions"] = tuple(r.strip() for r in env["ION_REGIONS"].split(",") if r.strip())
    if env.get("ION_MONITORING_EMULATOR_HOST"):
        changes["monitoring_emulator_host"] = env["ION_MONITORING_EMULATOR_HOST"]
    if env.get("ION_RUN_EMULATOR_HOST"):
        changes["run_emulator_host"] = env["ION_RUN_EMULATOR_HOST"]
    serve_changes: dict[str, Any] = {}
    if env.get("ION_REDIS_URL"):
        serve_changes["redis_url"] = env["ION_REDIS_URL"]
    if env.get("PORT"):
        # Cloud Run hands the port in $PORT and expects the server on every interface.
        try:
            serve_changes["port"] = int(env["PORT"])
        except ValueError:
            found = env["PORT"]
            raise ConfigError(f"environment PORT: expected an integer, found {found!r}") from None
        serve_changes["host"] = "0.0.0.0"
    if serve_changes:
        changes["serve"] = dataclasses.replace(settings.serve, **serve_changes)
    return dataclasses.replace(settings, **changes) if changes else settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: malformed TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
