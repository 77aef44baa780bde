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

The open tables (`[metrics.NAME]`, `[slo.NAME]`, `[cost.service]`, `[cost.regions.NAME]`)
are declared here as key tables: their names, keys and value types are checked with the file
(`check_tables`). Their values are checked by the module that turns them into its typed
objects (catalog entries, SLO specs, the offline fleet), from the same declarations, when a
command uses them, partly against context: a new metric needs a unit (the catalog's
defaults), a latency objective a bucket bound (the source), a `[cost.regions.NAME]` one of
the regions being priced, `[cost.pricing]` a rate the rate table has. Those owners sit above
this module (they import it), so the loader does not call them: that would turn the layers
upside down.

Configuration is what a user writes to say how ion should behave: ion.toml (or `[tool.ion]`)
and a `--service-config` file (the `[cost.service]`/`[cost.regions]` blocks on their own,
checked by the same declarations). The rate table named by `rates_file` is data, not
configuration: a versioned price list with sources and dates in its own JSON format, checked
by ioncli.cost.pricing; so are baselines files (ioncli.alerting.baselines).
"""

from __future__ import annotations

import dataclasses
import re
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


# --- open tables: names, keys and value types -------------------------------------------

KeyTypes = Mapping[str, type | tuple[type, ...]]

METRIC_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]*$")
# `[metrics.NAME]`: what the catalog entry says about the series...
METRIC_KEYS: KeyTypes = {
    "unit": str,
    "group": str,
    "labels": list,
    "bad_direction": str,
    "description": str,
    "local": str,
    "scale": (int, float),
    "complement": bool,
}
# ...and how Cloud Monitoring is asked for it (also the keys of `[metrics.NAME.denominator]`).
QUERY_KEYS: KeyTypes = {
    "metric_type": str,
    "aligner": str,
    "reducer": str,
    "filter": str,
    "resource_type": str,
    "group_by": list,
    "region_label": str,
    "percentile": (int, float),
    "below": (int, float),
}
METRIC_ENTRY_KEYS: KeyTypes = {**METRIC_KEYS, **QUERY_KEYS, "denominator": dict}

SLO_NAME = re.compile(r"^[a-z][a-z0-9-]{0,47}$")
SLO_KEYS: KeyTypes = {
    "sli": str,
    "objective": (int, float),
    "threshold_ms": (int, float),
    "window": str,
    "regions": list,
    "description": str,
    "min_bad_events": (int, str),
    "alerts": list,
}
SLO_ALERT_KEYS: KeyTypes = {
    "name": str,
    "severity": str,
    "long": str,
    "short": str,
    "burn_rate": (int, float),
}

# `[cost.service]` and `[cost.regions.NAME]` (and a --service-config file): values are
# Kubernetes-style quantities and names, parsed by ioncli.cost.service_config.
SERVICE_KEYS = frozenset(
    {"cpu", "memory", "concurrency", "billing", "min_instances", "max_instances"}
)


def check_keys(table: Mapping[str, Any], keys: KeyTypes, path: str, where: str) -> None:
    """Every key of an open table known and of its type (a boolean is never a number)."""
    for name, value in table.items():
        if name not in keys:
            known = ", ".join(sorted(keys))
            raise ConfigError(f"{where}: unknown key '{path}.{name}' (known keys here: {known})")
        expected = keys[name]
        if (isinstance(value, bool) and expected is not bool) or not isinstance(value, expected):
            raise ConfigError(
                f"{where}: key '{path}.{name}' has the wrong type ({type(value).__name__})"
            )


def check_metric_entry(name: str, raw: Any, where: str) -> None:
    """`[metrics.NAME]`: a usable name, a table, known keys of the right types."""
    key = f"metrics.{name}"
    if not METRIC_NAME.match(name):
        raise ConfigError(f"{where}: '{key}' is not a usable metric name (letters, digits, _)")
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: key '{key}' expects a table, found {type(raw).__name__}")
    check_keys(raw, METRIC_ENTRY_KEYS, key, where)
    extra = set(raw.get("denominator", {})) - set(QUERY_KEYS)
    if extra:
        names = ", ".join(sorted(QUERY_KEYS))
        raise ConfigError(
            f"{where}: unknown key '{key}.denominator.{sorted(extra)[0]}' "
            f"(known keys here: {names})"
        )


def check_slo_table(name: str, table: Any, where: str) -> None:
    """`[slo.NAME]` and its `[[slo.NAME.alerts]]`: a usable name, tables, known typed keys."""
    key = f"slo.{name}"
    if not SLO_NAME.match(name):
        raise ConfigError(
            f"{where}: key '{key}' is not a usable name (lowercase letters, digits and -)"
        )
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: key '{key}' expects a table, found {type(table).__name__}")
    check_keys(table, SLO_KEYS, key, where)
    for i, rule in enumerate(table.get("alerts", ())):
        here = f"{key}.alerts[{i}]"
        if not isinstance(rule, Mapping):
            raise ConfigError(f"{where}: key '{here}' expects a table")
        check_keys(rule, SLO_ALERT_KEYS, here, where)


def check_service_tables(
    defaults: Mapping[str, Any], per_region: Mapping[str, Any], where: str
) -> None:
    """`[cost.service]` and `[cost.regions.NAME]`: known keys, each region a table."""
    for key in defaults:
        if key not in SERVICE_KEYS:
            raise ConfigError(
                f"{where}: unknown key 'service.{key}' (known: {sorted(SERVICE_KEYS)})"
            )
    for region, values in per_region.items():
        if not isinstance(values, Mapping):
            raise ConfigError(f"{where}: regions.{region} must be a table")
        for key in values:
            if key not in SERVICE_KEYS:
                raise ConfigError(f"{where}: unknown key 'regions.{region}.{key}'")


def check_tables(settings: Settings, where: str) -> None:
    """The open tables of a file just read, so a typo there stops every command alike."""
    for name, raw in settings.metrics.items():
        check_metric_entry(name, raw, where)
    for name, table in settings.slo.items():
        check_slo_table(name, table, where)
    check_service_tables(settings.cost.service, settings.cost.regions, f"{where} [cost]")
