"""JSON text of a report in one pass: the same bytes as
`json.dumps(to_plain(obj), indent=2, ensure_ascii=False, allow_nan=False)`, about three times
faster.

The standard library's C encoder is skipped whenever `indent` is set, so a 2 MB tune-alerts
report spent half a second walking its objects twice (`to_plain`, then the pure-Python
encoder). Here the common types (str, int, float, None, bool, list, tuple, dict, datetime,
dataclasses) are written directly; anything else goes through `to_plain` first, so its
meaning is defined in one place. `tests/render/test_jsonout.py` holds the two to the same
bytes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import Enum
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

_FIELDS: dict[type, tuple[str, ...] | None] = {}


def dumps(obj: Any) -> str:
    """The report's JSON text, 2-space indent, without the trailing newline."""
    out: list[str] = []
    _emit(obj, out, "\n")
    return "".join(out)


def _fields(t: type) -> tuple[str, ...] | None:
    """A dataclass type's field names (None: not a dataclass `to_plain` treats as one)."""
    try:
        return _FIELDS[t]
    except KeyError:
        pass
    names: tuple[str, ...] | None = None
    # `to_plain` tests these before dataclasses: such a type takes the general path.
    plainish = (float, str, int, datetime, date, Enum)
    if dataclasses.is_dataclass(t) and not issubclass(t, plainish):
        names = tuple(f.name for f in dataclasses.fields(t))
    _FIELDS[t] = names
    return names


def _emit(o: Any, out: list[str], nl: str) -> None:
    """Append the JSON of `o`; `nl` is the newline plus the indent of the current level."""
    t = type(o)
    if t is str:
        out.append(encode_basestring(o))
    elif o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif t is int:
        out.append(int.__repr__(o))
    elif t is float:
        out.append(float.__repr__(o) if math.isfinite(o) else "null")
    elif t is dict:
        _pairs(((str(k), v) for k, v in o.items()), len(o), out, nl)
    elif t is list or t is tuple:
        _items(o, out, nl)
    elif t is datetime:
        aware = o if o.tzinfo else o.replace(tzinfo=UTC)
        out.append(encode_basestring(aware.astimezone(UTC).isoformat().replace("+00:00", "Z")))
    else:
        names = _fields(t)
        if names is not None:
            _pairs(((n, getattr(o, n)) for n in names), len(names), out, nl)
        elif isinstance(o, str):  # subclasses, as json writes them
            out.append(encode_basestring(o))
        elif isinstance(o, int):
            out.append(int.__repr__(o))
        elif isinstance(o, float):
            out.append(float.__repr__(o) if math.isfinite(o) else "null")
        else:
            _emit(to_plain(o), out, nl)


def _pairs(pairs: Any, size: int, out: list[str], nl: str) -> None:
    if not size:
        out.append("{}")
        return
    inner = nl + "  "
    sep = "{" + inner
    for key, value in pairs:
        out.append(sep)
        out.append(encode_basestring(key))
        out.append(": ")
        _emit(value, out, inner)
        sep = "," + inner
    out.append(nl + "}")


def _items(items: Any, out: list[str], nl: str) -> None:
    if not items:
        out.append("[]")
        return
    inner = nl + "  "
    sep = "[" + inner
    for value in items:
        out.append(sep)
        _emit(value, out, inner)
        sep = "," + inner
    out.append(nl + "]")


def to_plain(obj: Any) -> Any:
    """Turn report objects into JSON-ready data: dataclasses, enums, datetimes, NaN -> null."""

    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    if isinstance(obj, datetime):
        aware = obj if obj.tzinfo else obj.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return to_plain(obj.value)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    item = getattr(obj, "item", None)  # numpy and pandas scalars
    if callable(item):
        return to_plain(item())
    isoformat = getattr(obj, "isoformat", None)  # pandas Timestamp
    if callable(isoformat):
        return to_plain(obj.to_pydatetime())
    raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")
