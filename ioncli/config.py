"""Settings: declared once as typed, frozen dataclasses, loaded from TOML, env and flags.

Precedence (lowest to highest): defaults < config file < environment < command-line flags.
The config file is the first of: `--config PATH`, `$ION_CONFIG`, `./ion.toml`,
`[tool.ion]` in `./pyproject.toml`. Loading is pure: the environment and the working
directory are passed in, nothing is read from globals.

Every key is validated against the dataclass annotations: an unknown key or a value of the
wrong type raises ConfigError naming the file, the key, what was expected and what was found.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from ioncli.errors import ConfigError

DEFAULT_REGIONS = ("us-central1", "europe-west1", "asia-southeast1")


@dataclass(frozen=True)
class ServeSettings:
    """`[serve]`: the local HTTP service."""

    host: str = "127.0.0.1"
    port: int = 8080
    redis_url: str | None = None
    cors_origins: tuple[str, ...] = ()
    api_key_env: str | None = None
    rate_limit_per_second: float = 0.0
    rate_limit_burst: int = 0
    history_path: str = ".ion/history.sqlite3"
    l1_max_items: int = 1500
    l1_ttl_seconds: float = 45.0
    responder_url: str | None = None
    responder_model: str | None = None
    responder_api_key_env: str = "ION_RESPONDER_API_KEY"
    responder_timeout_seconds: float = 10.0
    responder_max_retries: int = 2
    max_body_bytes: int = 262_144
    trust_forwarded_for: bool = False
    forwarded_hops: int = 1
    header_read_timeout_seconds: float = 5.0
    body_read_timeout_seconds: float = 10.0
    max_connections: int = 8192
    max_body_reads_per_client: int = 64
    shutdown_grace_seconds: float = 6.0
    redis_key_prefix: str = "ion:"
    redis_timeout_seconds: float = 0.25
    l2_response_ttl_seconds: float = 600.0
    history: bool = True
    history_retention_days: float = 8.0
    warm_up: int = 0
    history_max_points: int = 20_000
    l2_max_entry_bytes: int = 65_536


@dataclass(frozen=True)
class AlertSettings:
    """`[alerts]`: tuning budgets and the drift gate."""

    max_alerts_per_week: float = 1.0
    drift_tolerance: float = 0.10
    baselines_dir: str = "baselines"
    rule: str = "auto"  # auto, envelope, seasonal, zscore, robust or sigma
    # The alert's `for` (rounded up to whole steps); None: the condition held over 5 minutes
    # of data, i.e. `for` of 5 minutes less one step (backtest.need_points).
    duration_seconds: int | None = None


@dataclass(frozen=True)
class CostSettings:
    """`[cost]`: budget, floors and pricing overrides."""

    budget: float | None = None
    min_instance_floor: int = 0
    pricing: Mapping[str, float] = field(default_factory=dict)
    rates_file: str | None = None
    commitment: str = "none"
    free_tier: bool = True
    max_cold_start_share: float = 0.0001
    service: Mapping[str, Any] = field(default_factory=dict)
    regions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Everything ion reads from configuration; `source_file` says where it came from."""

    project: str | None = None
    service: str = "ion-mentoring"
    regions: tuple[str, ...] = DEFAULT_REGIONS
    source: str = "local"
    local_url: str = "http://127.0.0.1:8080"
    serve: ServeSettings = field(default_factory=ServeSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    cost: CostSettings = field(default_factory=CostSettings)
    # User catalog entries, validated by ioncli.sources.catalog (it knows their shape).
    metrics: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # `[slo.NAME]` objectives, validated by ioncli.slo.config (it knows their shape).
    slo: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Set from the environment only: ION_MONITORING_EMULATOR_HOST / ION_RUN_EMULATOR_HOST point
    # the clients at a plaintext emulator (see ioncli.gcp).
    monitoring_emulator_host: str | None = None
    run_emulator_host: str | None = None
    source_file: str | None = None

    def override(self, **changes: Any) -> Settings:
        """Return a copy with flag values applied; None means "flag not given"."""
        given = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **given) if given else self


# Keys that only the environment may set; a config file naming them is an unknown key.
_ENV_ONLY = {"monitoring_emulator_host", "run_emulator_host", "source_file"}

# Numbers that mean nothing below zero; the matching flags refuse them too (min=0).
_NON_NEGATIVE = {
    "alerts.max_alerts_per_week",
    "alerts.drift_tolerance",
    "alerts.duration_seconds",
}  # [cost] numbers are checked by ioncli.cost with their own messages


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
    settings = _build(Settings, raw, str(path) if path else "defaults", prefix="")
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


def _build(cls: type[Any], raw: Mapping[str, Any], where: str, prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)} - _ENV_ONLY
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if key not in names:
            known = ", ".join(sorted(names))
            raise ConfigError(f"{where}: unknown key '{dotted}' (known keys here: {known})")
        kwargs[key] = _coerce(hints[key], value, where, dotted)
        number = kwargs[key]
        if dotted in _NON_NEGATIVE and isinstance(number, int | float) and number < 0:
            raise ConfigError(f"{where}: key '{dotted}' must be 0 or more, found {number!r}")
    return cls(**kwargs)


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    if origin is tuple:
        return f"a list of {_type_name(typing.get_args(tp)[0])}"
    if origin is Mapping or origin is dict:
        return "a table"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        tp, str(tp)
    )


def _found(value: Any) -> str:
    kind = {
        str: "string",
        int: "integer",
        float: "number",
        bool: "boolean",
        list: "list",
        dict: "table",
    }.get(type(value), type(value).__name__)
    return f"{kind} {value!r}" if kind not in ("list", "table") else kind


def _coerce(tp: Any, value: Any, where: str, key: str) -> Any:
    def fail() -> ConfigError:
        return ConfigError(f"{where}: key '{key}' expects {_type_name(tp)}, found {_found(value)}")

    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        for option in options:
            try:
                return _coerce(option, value, where, key)
            except ConfigError:
                continue
        raise fail()
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise fail()
        return _build(tp, value, where, prefix=f"{key}.")  # type: ignore[arg-type]
    if origin is tuple:
        if not isinstance(value, list):
            raise fail()
        item_type = typing.get_args(tp)[0]
        return tuple(_coerce(item_type, v, where, f"{key}[{i}]") for i, v in enumerate(value))
    if origin is Mapping or origin is dict:
        if not isinstance(value, dict):
            raise fail()
        _, value_type = typing.get_args(tp)
        if value_type is Any or typing.get_origin(value_type) is Mapping:
            return dict(value)
        return {k: _coerce(value_type, v, where, f"{key}.{k}") for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            raise fail()
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail()
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail()
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise fail()
        return value
    raise fail()
