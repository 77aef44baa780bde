"""Build Google Cloud clients, honouring the emulator convention.

`ION_MONITORING_EMULATOR_HOST=host:port` (Settings.monitoring_emulator_host) makes every
Monitoring client talk plaintext gRPC to that address with no credentials;
`ION_RUN_EMULATOR_HOST` does the same for the Cloud Run Admin API. Without them the clients
use Application Default Credentials. Commands build clients here and pass them down;
nothing else in ion constructs a client, and nothing is imported before it is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ioncli.errors import ConfigError, SourceError

if TYPE_CHECKING:
    from ioncli.config import Settings

# A 7-day page of 75 series is ~17 MB: gRPC's 4 MB default would fail with RESOURCE_EXHAUSTED.
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", -1),
    ("grpc.max_send_message_length", -1),
]


def insecure_channel(address: str) -> Any:
    """A plaintext gRPC channel for an emulator or a test fake (never for Google itself)."""
    import grpc

    return grpc.insecure_channel(address, options=CHANNEL_OPTIONS)


def build_client(client_class: Any, transport_class: Any, emulator_host: str | None) -> Any:
    """`client_class` on a plaintext gRPC `transport_class` to `emulator_host` when one is
    set, else on Google's endpoint with Application Default Credentials."""
    if emulator_host:
        return client_class(transport=transport_class(channel=insecure_channel(emulator_host)))
    return client_class(credentials=_default_credentials())


def metric_client(settings: Settings) -> Any:
    """A `MetricServiceClient` for the configured project or emulator."""
    from google.cloud import monitoring_v3
    from google.cloud.monitoring_v3.services.metric_service.transports import (
        MetricServiceGrpcTransport,
    )

    return build_client(
        monitoring_v3.MetricServiceClient,
        MetricServiceGrpcTransport,
        settings.monitoring_emulator_host,
    )


def alert_policy_client(settings: Settings) -> Any:
    """An `AlertPolicyServiceClient` for the configured project or emulator."""
    from google.cloud import monitoring_v3
    from google.cloud.monitoring_v3.services.alert_policy_service.transports import (
        AlertPolicyServiceGrpcTransport,
    )

    return build_client(
        monitoring_v3.AlertPolicyServiceClient,
        AlertPolicyServiceGrpcTransport,
        settings.monitoring_emulator_host,
    )


def service_monitoring_client(settings: Settings) -> Any:
    """A `ServiceMonitoringServiceClient` (SLOs) for the configured project or emulator."""
    from google.cloud import monitoring_v3
    from google.cloud.monitoring_v3.services.service_monitoring_service.transports import (
        ServiceMonitoringServiceGrpcTransport,
    )

    return build_client(
        monitoring_v3.ServiceMonitoringServiceClient,
        ServiceMonitoringServiceGrpcTransport,
        settings.monitoring_emulator_host,
    )


def run_services_client(settings: Settings) -> Any:
    """A Cloud Run Admin API v2 `ServicesClient` for the configured project or emulator."""
    from google.cloud import run_v2
    from google.cloud.run_v2.services.services.transports import ServicesGrpcTransport

    return build_client(run_v2.ServicesClient, ServicesGrpcTransport, settings.run_emulator_host)


def run_revisions_client(settings: Settings) -> Any:
    """A Cloud Run Admin API v2 `RevisionsClient` for the configured project or emulator."""
    from google.cloud import run_v2
    from google.cloud.run_v2.services.revisions.transports import RevisionsGrpcTransport

    return build_client(run_v2.RevisionsClient, RevisionsGrpcTransport, settings.run_emulator_host)


def require_project(settings: Settings) -> str:
    """The project id, or a configuration error that says how to set it."""
    if not settings.project:
        raise ConfigError(
            "no Google Cloud project configured",
            hint="set `project` in ion.toml or GOOGLE_CLOUD_PROJECT",
        )
    return settings.project


def _default_credentials() -> Any:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _ = google.auth.default(
            scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
    except DefaultCredentialsError as exc:
        raise SourceError(
            f"no Google Cloud credentials found: {exc}",
            hint="run `gcloud auth application-default login`, or set an *_EMULATOR_HOST",
        ) from None
    return credentials
