"""Optional Sentry: on only when SENTRY_DSN is set, with the original service's four event types.

  persona_event      PersonaProcessEvent: persona, key, confidence, time, cache hit, success
  performance_event  APIRequestEvent: method, path, status, time (warning above 2,000 ms)
  cache_event        CachePerformanceEvent: hits, misses, hit rate, size; tag cache_health
  routing_decision   RoutingDecisionEvent: primary/secondary persona, confidence, scores, key

Sending one event per request would flood Sentry and slow the hot path, so persona and
routing events are sampled (SENTRY_EVENT_SAMPLE_RATE, default 0.01) and request events are
sent only for slow (> 2 s) or failed (5xx) requests; cache events go once a minute.
Exceptions are always captured. Without a DSN none of this is imported.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from ioncli.errors import ConfigError

SLOW_REQUEST_MS = 2000.0


def cache_health(hit_rate: float) -> str:
    if hit_rate >= 0.8:
        return "excellent"
    if hit_rate >= 0.6:
        return "good"
    if hit_rate >= 0.4:
        return "fair"
    return "poor"


class SentryHooks:
    """Thin, typed wrappers around sentry_sdk for the four event types."""

    def __init__(self, sdk: Any, sample_rate: float) -> None:
        self.sdk = sdk
        self.sample_rate = sample_rate

    def sampled(self) -> bool:
        return random.random() < self.sample_rate

    def _send(
        self,
        message: str,
        level: str,
        tags: Mapping[str, object],
        context: tuple[str, Mapping[str, object]],
    ) -> None:
        with self.sdk.new_scope() as scope:
            for key, value in tags.items():
                scope.set_tag(key, str(value))
            scope.set_context(context[0], dict(context[1]))
            self.sdk.capture_message(message, level=level)

    def persona_process(
        self,
        persona: str,
        resonance_key: str,
        confidence: float,
        execution_time_ms: float,
        cache_hit: bool,
        *,
        error: str | None = None,
        user_id: str | None = None,
    ) -> None:
        success = error is None
        tags: dict[str, object] = {
            "event_type": "persona_event",
            "persona": persona,
            "success": success,
            "cache_hit": cache_hit,
        }
        if user_id:
            tags["user_id"] = user_id
        self._send(
            f"Persona process: {persona}",
            "info" if success else "error",
            tags,
            (
                "persona",
                {
                    "persona": persona,
                    "resonance_key": resonance_key,
                    "confidence": round(confidence, 4),
                    "execution_time_ms": round(execution_time_ms, 3),
                    "cache_hit": cache_hit,
                    "success": success,
                    "error": error,
                },
            ),
        )

    def api_request(
        self, method: str, path: str, status: int, execution_time_ms: float, request_id: str
    ) -> None:
        level = (
            "error"
            if status >= 500
            else "warning"
            if execution_time_ms > SLOW_REQUEST_MS
            else "info"
        )
        self._send(
            f"{method} {path}: {execution_time_ms:.0f} ms",
            level,
            {
                "event_type": "performance_event",
                "http_method": method,
                "http_status": status,
                "success": status < 400,
            },
            (
                "request",
                {
                    "method": method,
                    "path": path,
                    "status_code": status,
                    "execution_time_ms": round(execution_time_ms, 3),
                    "request_id": request_id,
                },
            ),
        )

    def cache_performance(self, hits: int, misses: int, size: int, max_size: int) -> None:
        total = hits + misses
        rate = hits / total if total else 0.0
        self._send(
            f"Cache hit rate {rate:.1%}",
            "info",
            {"event_type": "cache_event", "cache_health": cache_health(rate)},
            (
                "cache",
                {"hit_count": hits, "miss_count": misses, "hit_rate": round(rate, 4),
                 "size": size, "max_size": max_size},
            ),
        )  # fmt: skip

    def routing_decision(
        self,
        primary: str,
        secondary: str | None,
        confidence: float,
        scores: Mapping[str, float],
        resonance_key: str,
    ) -> None:
        tone, pace, intent = [*resonance_key.split("-"), "", "", ""][:3]
        self._send(
            f"Routing decision: {primary}",
            "info",
            {"event_type": "routing_decision", "primary_persona": primary, "resonance_tone": tone},
            (
                "routing_decision",
                {
                    "primary_persona": primary,
                    "secondary_persona": secondary,
                    "confidence": f"{confidence:.2f}",
                    "all_scores": {k: f"{v:.2f}" for k, v in scores.items()},
                    "tone": tone,
                    "pace": pace,
                    "intent": intent,
                },
            ),
        )

    def capture_exception(self, exc: BaseException, request_id: str) -> None:
        with self.sdk.new_scope() as scope:
            scope.set_tag("request_id", request_id)
            self.sdk.capture_exception(exc)

    def flush(self) -> None:
        self.sdk.flush(timeout=2.0)


def init_sentry(env: Mapping[str, str], *, service: str, version: str) -> SentryHooks | None:
    """Initialise sentry-sdk when SENTRY_DSN is set; None (and no import) otherwise."""
    dsn = env.get("SENTRY_DSN", "").strip()
    if not dsn:
        return None
    try:
        import sentry_sdk
    except ImportError:
        raise ConfigError(
            "SENTRY_DSN is set but sentry-sdk is not installed",
            hint="pip install 'ion-ops[sentry]' or unset SENTRY_DSN",
        ) from None
    sentry_sdk.init(
        dsn=dsn,
        environment=env.get("SENTRY_ENVIRONMENT", "production"),
        release=f"ion@{version}",
        server_name=service,
        traces_sample_rate=float(env.get("SENTRY_TRACES_SAMPLE_RATE", "0") or 0),
        default_integrations=False,  # no logging or threading hooks on the hot path
    )
    rate = float(env.get("SENTRY_EVENT_SAMPLE_RATE", "0.01") or 0)
    return SentryHooks(sentry_sdk, rate)
