"""The seam every metric source implements: a FetchRequest in, the canonical MetricFrame out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ioncli.frame import MetricFrame


@dataclass(frozen=True)
class FetchRequest:
    """What to fetch: logical metric names (empty = the whole catalog) over [start, end)."""

    start: datetime
    end: datetime
    metrics: tuple[str, ...] = ()
    step_seconds: int = 60
    regions: tuple[str, ...] = ()
    service: str | None = None


class MetricSource(Protocol):
    """Anything with a name and a `fetch` that returns the canonical frame."""

    name: str

    def fetch(self, request: FetchRequest) -> MetricFrame: ...
