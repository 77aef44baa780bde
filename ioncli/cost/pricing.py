"""The Cloud Run pricing model: a versioned rate table (data, with sources and dates) and the
pure arithmetic that turns instance-seconds and requests into dollars.

The shipped table lives in `rates/`; `ion.toml` may point at another file (`rates_file`) and
override single rates (`[cost.pricing]`, keys as in the table, e.g. ``"req.cpu.t1"``).
Everything here is plain arithmetic on floats: no pandas, no clients.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from ioncli.config_schema import COMMITMENTS  # declared with [cost] commitment
from ioncli.errors import ConfigError

DEFAULT_TABLE = Path(__file__).resolve().parent / "rates" / "cloud-run-usd-2026.json"


class Billing(StrEnum):
    """Cloud Run's two billing settings (formerly "CPU only during requests" / "always on")."""

    REQUEST = "request-based"
    INSTANCE = "instance-based"


@dataclass(frozen=True)
class Rate:
    key: str
    value: float
    unit: str
    source: str
    date: str
    flagged: bool = False
    note: str = ""
    overridden_from: float | None = None  # the table's value when ion.toml replaced it


@dataclass(frozen=True)
class RateTable:
    id: str
    title: str
    currency: str
    as_of: str
    month_hours: float
    rates: Mapping[str, Rate]
    tier1: frozenset[str]
    tier2: frozenset[str]
    origin: str  # "shipped" or the file it was read from
    overrides: tuple[str, ...] = ()
    note: str = ""

    @property
    def month_seconds(self) -> float:
        return self.month_hours * 3600.0

    def value(self, key: str) -> float:
        return self.rates[key].value

    def tier(self, region: str) -> int:
        """1 or 2; regions the table does not list are priced as Tier 2 (the dearer one)."""
        return 1 if region in self.tier1 else 2

    def knows(self, region: str) -> bool:
        return region in self.tier1 or region in self.tier2


@dataclass(frozen=True)
class Size:
    """What one instance is billed for."""

    cpu: float  # vCPU
    memory_gib: float


@dataclass(frozen=True)
class Dollars:
    """A cost split into CPU and memory (requests are kept apart by the callers)."""

    cpu: float = 0.0
    memory: float = 0.0

    @property
    def total(self) -> float:
        return self.cpu + self.memory

    def __add__(self, other: Dollars) -> Dollars:
        return Dollars(self.cpu + other.cpu, self.memory + other.memory)

    def scaled(self, factor: float) -> Dollars:
        return Dollars(self.cpu * factor, self.memory * factor)


def load_table(
    path: Path | None = None,
    overrides: Mapping[str, float] | None = None,
    *,
    where: str = "ion.toml [cost.pricing]",
) -> RateTable:
    """Read a rate table (the shipped one by default) and apply single-rate overrides."""
    source = path or DEFAULT_TABLE
    try:
        raw = json.loads(Path(source).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"rate table {source} does not exist") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"rate table {source}: cannot read it as JSON: {exc}") from None
    table = _parse(raw, str(source))
    table = _with_origin(table, "shipped" if path is None else str(path))
    return apply_overrides(table, overrides or {}, where=where)


def _with_origin(table: RateTable, origin: str) -> RateTable:
    return replace(table, origin=origin)


def _parse(raw: Any, where: str) -> RateTable:
    try:
        rates = {
            key: Rate(
                key=key,
                value=float(entry["value"]),
                unit=str(entry["unit"]),
                source=str(entry["source"]),
                date=str(entry["date"]),
                flagged=bool(entry.get("flagged", False)),
                note=str(entry.get("note", "")),
            )
            for key, entry in raw["rates"].items()
        }
        table = RateTable(
            id=str(raw["id"]),
            title=str(raw.get("title", raw["id"])),
            currency=str(raw.get("currency", "USD")),
            as_of=str(raw["as_of"]),
            month_hours=float(raw.get("month_hours", 730)),
            rates=rates,
            tier1=frozenset(raw["tiers"]["tier1"]),
            tier2=frozenset(raw["tiers"]["tier2"]),
            origin=where,
            note=str(raw.get("note", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"rate table {where}: missing or malformed entry {exc}") from None
    _check_month_hours(table.month_hours, where)
    missing = sorted(REQUIRED_KEYS - set(rates))
    if missing:
        raise ConfigError(f"rate table {where}: missing rates {', '.join(missing)}")
    for rate in rates.values():
        _check_value(rate.key, rate.value, f"rate table {where}")
    return table


REQUIRED_KEYS = frozenset(
    {
        *(
            f"{kind}.{res}.t{tier}"
            for kind in ("req", "idle", "inst")
            for res in ("cpu", "mem")
            for tier in (1, 2)
        ),
        "requests.per_million",
        "free.cpu_seconds",
        "free.memory_gib_seconds",
        "free.requests",
        "cud.request_based",
        "cud.instance_based.1y",
        "cud.instance_based.3y",
    }
)


# A rate more than this many times the shipped one is refused as a typo (a unit slip such as
# dollars per hour for dollars per second is 3600x; a real price change is a few percent).
ABSURD_FACTOR = 100.0
MONTH_HOURS_RANGE = (672.0, 744.0)  # 28 to 31 days


@functools.cache
def _shipped() -> Mapping[str, float]:
    raw = json.loads(DEFAULT_TABLE.read_text(encoding="utf-8"))
    return {k: float(v["value"]) for k, v in raw["rates"].items()}


def _check_value(key: str, value: float, where: str) -> None:
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{where}: rate '{key}' must be a finite number >= 0, found {value!r}")
    if key.startswith("cud.") and value >= 1:
        raise ConfigError(f"{where}: discount '{key}' must be a fraction below 1, found {value!r}")
    shipped = _shipped().get(key)
    if shipped and not key.startswith("cud.") and value > ABSURD_FACTOR * shipped:
        raise ConfigError(
            f"{where}: rate '{key}' = {value:g} is {value / shipped:,.0f}x the shipped "
            f"{shipped:g}; refusing a rate over {ABSURD_FACTOR:g}x the list price "
            "(a unit slip?)"
        )


def _check_month_hours(hours: float, where: str) -> None:
    low, high = MONTH_HOURS_RANGE
    if not math.isfinite(hours) or not low <= hours <= high:
        raise ConfigError(
            f"rate table {where}: month_hours must be between {low:g} and {high:g} "
            f"(28 to 31 days), found {hours!r}"
        )


def apply_overrides(table: RateTable, overrides: Mapping[str, float], *, where: str) -> RateTable:
    if not overrides:
        return table
    rates = dict(table.rates)
    for key, value in overrides.items():
        if key not in rates:
            known = ", ".join(sorted(rates))
            raise ConfigError(f"{where}: unknown rate '{key}' (known rates: {known})")
        _check_value(key, float(value), where)
        old = rates[key]
        rates[key] = replace(
            old, value=float(value), source=f"override in {where}", overridden_from=old.value
        )
    return replace(table, rates=rates, overrides=tuple(sorted(overrides)))


# --- arithmetic -----------------------------------------------------------------------


def _tiered(table: RateTable, prefix: str, region: str) -> tuple[float, float]:
    tier = table.tier(region)
    return table.value(f"{prefix}.cpu.t{tier}"), table.value(f"{prefix}.mem.t{tier}")


def active_price(table: RateTable, region: str, billing: Billing, size: Size) -> Dollars:
    """Dollars per second for one instance that is starting or serving requests."""
    cpu, mem = _tiered(table, "req" if billing is Billing.REQUEST else "inst", region)
    return Dollars(size.cpu * cpu, size.memory_gib * mem)


def idle_price(table: RateTable, region: str, billing: Billing, size: Size) -> Dollars:
    """Dollars per second for one idle instance kept warm by min instances.

    Request-based: the reduced min-instance rate. Instance-based: the normal rate, since
    the whole lifecycle is billed (idle non-min instances too; callers count those).
    """
    if billing is Billing.INSTANCE:
        return active_price(table, region, billing, size)
    cpu, mem = _tiered(table, "idle", region)
    return Dollars(size.cpu * cpu, size.memory_gib * mem)


def request_price(table: RateTable, billing: Billing) -> float:
    """Dollars per request: instance-based billing has no per-request fee."""
    if billing is Billing.INSTANCE:
        return 0.0
    return table.value("requests.per_million") / 1_000_000


@dataclass(frozen=True)
class FreeTier:
    """The monthly free tier as dollar credits, valued at Tier 1 request-based prices."""

    cpu: float
    memory: float
    requests: float

    @property
    def total(self) -> float:
        return self.cpu + self.memory + self.requests


def free_tier(table: RateTable) -> FreeTier:
    return FreeTier(
        cpu=table.value("free.cpu_seconds") * table.value("req.cpu.t1"),
        memory=table.value("free.memory_gib_seconds") * table.value("req.mem.t1"),
        requests=table.value("free.requests") * table.value("requests.per_million") / 1e6,
    )


def commitment_discount(table: RateTable, billing: Billing, commitment: str) -> float:
    """The committed-use discount for a billing mode and term ("none", "1y" or "3y")."""
    if commitment == "none":
        return 0.0
    if commitment not in COMMITMENTS:
        raise ConfigError(
            f"[cost] commitment must be one of {', '.join(COMMITMENTS)}, found {commitment!r}"
        )
    if billing is Billing.REQUEST:
        return table.value("cud.request_based")
    return table.value(f"cud.instance_based.{commitment}")


@dataclass(frozen=True)
class RateLine:
    """One row of the "rates used" table in a report."""

    key: str
    value: float
    unit: str
    source: str
    date: str
    flagged: bool
    overridden: bool


@dataclass(frozen=True)
class TableInfo:
    id: str
    title: str
    as_of: str
    origin: str
    currency: str
    month_hours: float
    overrides: tuple[str, ...] = ()
    rates: tuple[RateLine, ...] = field(default_factory=tuple)


def describe(table: RateTable) -> TableInfo:
    """What a report says about the table it used."""
    return TableInfo(
        id=table.id,
        title=table.title,
        as_of=table.as_of,
        origin=table.origin,
        currency=table.currency,
        month_hours=table.month_hours,
        overrides=table.overrides,
        rates=tuple(
            RateLine(
                r.key,
                r.value,
                r.unit,
                r.source,
                r.date,
                r.flagged,
                r.overridden_from is not None,
            )
            for r in table.rates.values()
        ),
    )
