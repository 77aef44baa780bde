"""Source `local`: a running `ion serve` and its metric history endpoint."""

from __future__ import annotations

from ioncli.errors import NotBuiltError
from ioncli.frame import MetricFrame
from ioncli.sources import FetchRequest


class LocalSource:
    def __init__(self, base_url: str, service: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.name = "local"

    def fetch(self, request: FetchRequest) -> MetricFrame:
        raise NotBuiltError("source `local` is not built yet; use --source sim or file:PATH")
