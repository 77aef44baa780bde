"""Source `gcp`: Cloud Monitoring through the official MetricServiceClient."""

from __future__ import annotations

from typing import Any

from ioncli.config import Settings
from ioncli.errors import NotBuiltError
from ioncli.frame import MetricFrame
from ioncli.sources import FetchRequest


class CloudMonitoringSource:
    def __init__(self, client: Any, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.name = "gcp"

    def fetch(self, request: FetchRequest) -> MetricFrame:
        raise NotBuiltError("source `gcp` is not built yet; use --source sim or file:PATH")
