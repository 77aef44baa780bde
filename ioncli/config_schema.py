"""The configuration schema: every ion.toml key declared once, with its type, default and the
values it allows, and the one validator that reads a TOML table against it.

The typed structs are frozen dataclasses: the annotation is the type, the default is the
default, and a `Rule` in the field's metadata is the range or the choice. `build` walks a
parsed TOML table against a struct and stops at the first problem with one line that names
the file and the key path (exit 3):

    ion.toml: unknown key 'serve.prot' (known keys here: ...)
    ion.toml: key 'serve.port' expects an integer, found string '8080'
    ion.toml: key 'alerts.max_alerts_per_week' must be 0 or more, found -3.0

Why dataclasses and not msgspec (already a dependency, used by `ion serve`): the error lines
are a user contract and msgspec's own ("Expected `int`, got `str` - at `$.serve.port`")
differ and do not carry the value found; the structs are also built with
`dataclasses.replace` by flags and tests, which stays as it is.

Tables whose shape another module owns are declared here as key tables too (`[metrics.*]`,
`[slo.*]`, `[cost.service]`/`[cost.regions.*]`) and checked by that module with
`check_keys`, because their checks need context (the catalog's defaults, the configured
regions, the source's latency buckets).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Union

from ioncli.errors import ConfigError

DEFAULT_REGIONS = ("us-central1", "europe-west1", "asia-southeast1")
COMMITMENTS = ("none", "1y", "3y")  # committed-use discount terms ([cost] commitment)


class RuleKind(StrEnum):
    """`alerts.rule` and `--rule`: the candidate kind; "auto" picks one per series."""

    AUTO = "auto"
    ENVELOPE = "envelope"
    SEASONAL = "seasonal"
    ZSCORE = "zscore"
    ROBUST = "robust"
    SIGMA = "sigma"


RULE_KINDS = tuple(k.value for k in RuleKind)


@dataclass(frozen=True)
class Rule:
    """What a key's value must satisfy beyond its type; `error` is formatted with `where`
    (the file), `key` (the dotted path) and `value` (after type coercion)."""

    test: Callable[[Any], bool]
    error: str


def setting(
    default: Any = dataclasses.MISSING, *, factory: Any = None, rule: Rule | None = None
) -> Any:
    """A struct field with its default and, optionally, the rule its value must meet."""
    meta = {"rule": rule} if rule else {}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


# Numbers that mean nothing below zero; the matching flags refuse them too (min=0).
NON_NEGATIVE = Rule(
    lambda v: v is None or v >= 0, "{where}: key '{key}' must be 0 or more, found {value!r}"
)


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
    header_read_timeout_seconds: float = setting(
        5.0,
        rule=Rule(
            lambda v: 0 < v <= 60,
            "serve.header_read_timeout_seconds must be more than 0 and at most 60",
        ),
    )
    body_read_timeout_seconds: float = 10.0
    max_connections: int = setting(
        8192, rule=Rule(lambda v: v >= 64, "serve.max_connections must be at least 64")
    )
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

    max_alerts_per_week: float = setting(1.0, rule=NON_NEGATIVE)
    drift_tolerance: float = setting(0.10, rule=NON_NEGATIVE)
    baselines_dir: str = "baselines"
    rule: str = setting(
        "auto",
        rule=Rule(
            lambda v: v in RULE_KINDS,
            "{where}: key '{key}' must be one of " + ", ".join(RULE_KINDS) + ", found {value!r}",
        ),
    )
    # The alert's `for` (rounded up to whole steps); None: the condition held over 5 minutes
    # of data, i.e. `for` of 5 minutes less one step (backtest.need_points).
    duration_seconds: int | None = setting(None, rule=NON_NEGATIVE)


@dataclass(frozen=True)
class CostSettings:
    """`[cost]`: budget, floors and pricing overrides."""

    budget: float | None = setting(
        None,
        rule=Rule(lambda v: v is None or v > 0, "{where}: [cost] budget must be a positive number"),
    )
    min_instance_floor: int = setting(
        0, rule=Rule(lambda v: v >= 0, "{where}: [cost] min_instance_floor must be >= 0")
    )
    # Keys and values are checked against the rate table in use (ioncli.cost.pricing).
    pricing: Mapping[str, float] = setting(factory=dict)
    rates_file: str | None = None
    commitment: str = setting(
        "none",
        rule=Rule(
            lambda v: v in COMMITMENTS,
            "{where}: [cost] commitment must be "
            + ", ".join(COMMITMENTS[:-1])
            + f" or {COMMITMENTS[-1]}",
        ),
    )
    free_tier: bool = True
    max_cold_start_share: float = setting(
        0.0001,
        rule=Rule(lambda v: 0 <= v < 1, "{where}: [cost] max_cold_start_share must be in [0, 1)"),
    )
    # `[cost.service]` and `[cost.regions.NAME]`: keys in SERVICE_KEYS, checked with the
    # configured regions by ioncli.cost.service_config.
    service: Mapping[str, Any] = setting(factory=dict)
    regions: Mapping[str, Mapping[str, Any]] = setting(factory=dict)


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
    # User catalog entries (keys in METRIC_KEYS), checked by ioncli.sources.overrides against
    # the catalog's defaults.
    metrics: Mapping[str, Mapping[str, Any]] = setting(factory=dict)
    # `[slo.NAME]` objectives (keys in SLO_KEYS), checked by ioncli.slo.config.
    slo: Mapping[str, Mapping[str, Any]] = setting(factory=dict)
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
ENV_ONLY = frozenset({"monitoring_emulator_host", "run_emulator_host", "source_file"})


# --- the validator ----------------------------------------------------------------------


def build(cls: type[Any], raw: Mapping[str, Any], where: str, prefix: str = "") -> Any:
    """`cls` built from a TOML table: every key known, typed and within its rule."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in ENV_ONLY}
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"{where}: unknown key '{dotted}' (known keys here: {known})")
        kwargs[key] = _coerce(hints[key], value, where, dotted)
        rule = fields[key].metadata.get("rule")
        if rule is not None and not rule.test(kwargs[key]):
            raise ConfigError(rule.error.format(where=where, key=dotted, value=kwargs[key]))
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
        return build(tp, value, where, prefix=f"{key}.")  # type: ignore[arg-type]
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
