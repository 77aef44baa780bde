"""Request and response bodies as msgspec Structs: the validation, the JSON and the OpenAPI.

The v2 request bodies are strict (unknown fields, unknown enum values and oversized inputs are
422s naming the field); the v1 body is lenient, as the original promised. The value sets the
pipeline owns (prompt modes, complexity) are its own types, imported from mentoring.models.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar, get_args

import msgspec
from msgspec import Meta, Struct

from ioncli.mentoring.models import Complexity, PromptMode
from ioncli.serve.errors import HTTPError, invalid, too_large

MAX_INPUT_CHARS = 4_000
MAX_HISTORY_MESSAGES = 50
MAX_BULK_ITEMS = 100
MAX_ID_CHARS = 128

Role = Literal["user", "assistant", "system"]
CacheTier = Literal["l1", "l2"]

# Empty or blank text is a 400 INVALID_INPUT (the original's contract), checked by the handlers.
UserText = Annotated[str, Meta(max_length=MAX_INPUT_CHARS)]
KEY_HELP = (
    "Case-insensitive. Intent also takes the original service's spellings: seeking_advice and "
    "seek-advice (seek_advice); inquiry, expressive and statement (learning)."
)
KeyPart = Annotated[str, Meta(min_length=1, max_length=32, description=KEY_HELP)]
Ident = Annotated[str, Meta(min_length=1, max_length=MAX_ID_CHARS)]
ShortText = Annotated[str, Meta(max_length=MAX_INPUT_CHARS)]
Scalar = str | int | float | bool | None
KEY_PATTERN = r"^[A-Za-z]+-[A-Za-z]+-[A-Za-z_-]+$"
T = TypeVar("T")


class ResonanceKeyIn(Struct, forbid_unknown_fields=True):
    tone: KeyPart
    pace: KeyPart
    intent: KeyPart


class MessageIn(Struct, forbid_unknown_fields=True):
    role: Role
    content: Annotated[str, Meta(max_length=MAX_INPUT_CHARS)]
    timestamp: str | None = None


class ContextIn(Struct, forbid_unknown_fields=True):
    user_id: Ident | None = None
    session_id: Ident | None = None
    message_history: Annotated[list[MessageIn], Meta(max_length=MAX_HISTORY_MESSAGES)] = []
    metadata: Annotated[dict[str, Scalar], Meta(max_length=32)] = {}


class ProcessRequest(Struct, forbid_unknown_fields=True):
    user_input: UserText
    # An object, or the `tone-pace-intent` string; absent: derived from the text itself.
    resonance_key: (
        ResonanceKeyIn | Annotated[str, Meta(max_length=64, pattern=KEY_PATTERN)] | None
    ) = None
    context: ContextIn | None = None
    include_metadata: bool = True
    use_cache: bool = True
    prompt_mode: PromptMode | None = None


class MultiPersonaRequest(Struct, forbid_unknown_fields=True):
    user_input: UserText
    context: ContextIn | None = None
    force_multi: bool = False


class RecommendRequest(Struct, forbid_unknown_fields=True):
    scenario: UserText
    # tone / pace / intent here override what the scenario text suggests; other keys add words.
    context: Annotated[dict[str, ShortText], Meta(max_length=32)] | None = None


class BulkRequest(Struct, forbid_unknown_fields=True):
    requests: Annotated[list[ProcessRequest], Meta(max_length=MAX_BULK_ITEMS)]
    parallel: bool = False


class V1ProcessRequest(Struct):
    """The v1 body: unknown fields ignored, any key string accepted (defaults fill in)."""

    user_input: UserText
    resonance_key: str = "calm-medium-learning"


# ---- responses -------------------------------------------------------------------------


class RoutingOut(Struct):
    primary_persona: str
    secondary_persona: str | None
    confidence: float
    scores: dict[str, float]
    reasoning: str


class PerformanceOut(Struct):
    execution_time_ms: float
    cache_key: str | None  # the original's key format: persona:<key>|input:<md5[:8]>|...
    cache_hit: bool
    cache_tier: CacheTier | None = None


class ProcessResponse(Struct):
    success: bool
    content: str
    persona_used: str
    resonance_key: str
    confidence: float
    generated: bool
    responder: str
    fallback_reason: str | None
    routing: RoutingOut | None
    metadata: dict[str, Any] | None
    timestamp: str
    # The last three on purpose: a cached body is the encoded response cut before the
    # request id (appended per request with the cache status), and its cache flags are the
    # last `"cache_hit":` in it.
    performance: PerformanceOut
    request_id: str
    cache_status: Literal["HIT", "MISS"] = msgspec.field(default="MISS", name="_cache_status")


class ContributionOut(Struct):
    persona: str
    aspects: list[str]
    content: str
    generated: bool
    fallback_reason: str | None


class MultiPersonaResponse(Struct):
    success: bool
    content: str
    confidence: float
    metadata: dict[str, Any]
    persona_used: str
    personas_used: list[str]
    complexity: Complexity
    multi: bool
    contributions: list[ContributionOut]
    resonance_key: str
    routing: RoutingOut
    analysis: dict[str, Any]
    generated: bool
    responder: str
    fallback_reason: str | None
    performance: PerformanceOut
    timestamp: str
    request_id: str


class CapabilitiesOut(Struct):
    name: str
    traits: list[str]
    strengths: list[str]
    best_for_tones: list[str]
    best_for_paces: list[str]
    best_for_intents: list[str]


class RecommendResponse(Struct):
    success: bool
    recommended_persona: str
    scores: dict[str, float]  # by persona name, as the original answered
    reasoning: str
    reasons: list[str]
    matched_keywords: dict[str, list[str]]
    resonance_key: str
    capabilities: CapabilitiesOut
    timestamp: str
    request_id: str


class BulkItemOut(Struct, omit_defaults=True):
    index: int
    success: bool
    result: ProcessResponse | None = None
    error: dict[str, str] | None = None
    # The original's items were the process responses themselves: these are read from there.
    content: str | None = None
    persona_used: str | None = None
    resonance_key: str | None = None
    confidence: float | None = None
    request_id: str | None = None


class BulkResponse(Struct):
    success: bool
    total: int
    successful: int
    failed: int
    parallel: bool
    results: list[BulkItemOut]
    errors: list[dict[str, Any]] | None
    execution_time_ms: float
    timestamp: str
    request_id: str


class PersonaOut(Struct):
    name: str
    korean_name: str
    archetype: str
    traits: list[str]
    strengths: list[str]
    prompt_style: str
    preferred_tones: list[str]
    best_for_tones: list[str]
    best_for_paces: list[str]
    best_for_intents: list[str]


class PersonasResponse(Struct):
    success: bool
    total: int
    personas: list[PersonaOut]
    timestamp: str


class PersonaResponse(Struct):
    """ion's `persona` object, and the original's flat fields next to it."""

    success: bool
    persona: PersonaOut
    name: str
    traits: list[str]
    strengths: list[str]
    best_for_tones: list[str]
    best_for_paces: list[str]
    best_for_intents: list[str]
    timestamp: str


class V1ProcessResponse(Struct):
    content: str
    persona_used: str
    confidence: float


class TierStatsOut(Struct):
    enabled: bool
    status: Literal["ok", "degraded", "disabled"]
    hits: int
    misses: int
    hit_ratio: float | None
    evictions: int
    size: int | None
    max_size: int | None
    ttl_seconds: float
    errors: int
    last_error: str | None


class CacheStatsResponse(Struct):
    success: bool
    l1: TierStatsOut
    l2: TierStatsOut
    combined_hit_ratio: float | None
    lookups: int
    timestamp: str
    # The original's fields (its pipeline statistics and cache details):
    total_requests: int
    cache_hits: int
    cache_misses: int
    hit_rate: str
    avg_time_ms: str
    total_time_ms: int
    cache_details: dict[str, Any]
    redis_cache: dict[str, Any]


class CacheClearResponse(Struct):
    success: bool
    message: str
    deleted_l1: int
    deleted_l2: int
    timestamp: str


class CacheInvalidateResponse(Struct):
    success: bool
    pattern: str
    deleted_count: int
    deleted_l1: int
    deleted_l2: int
    timestamp: str


class RootResponse(Struct):
    service: str
    version: str
    docs: str
    openapi: str
    health: str
    metrics: str


class ServiceStatusOut(Struct):
    status: Literal["operational", "degraded"]
    version: str
    timestamp: str
    uptime_ms: float | None
    cached_requests: int
    error_rate: float | None


class HealthResponse(Struct):
    healthy: bool
    status: Literal["ok", "degraded"]
    service: str
    version: str
    uptime_seconds: float
    # The original's booleans (pipeline, cache, redis, pipeline_cache) next to ion's states.
    dependencies: dict[str, bool | str]
    checks: dict[str, str]
    service_status: ServiceStatusOut
    timestamp: str


class StatusResponse(Struct):
    success: bool
    service: str
    version: str
    status: Literal["operational", "degraded"]
    uptime_seconds: float
    requests_total: int
    cache: CacheStatsResponse
    cache_stats: CacheStatsResponse  # the original's name for the same statistics
    responder: str
    timestamp: str


class SeriesOut(Struct):
    metric: str
    labels: dict[str, str]
    unit: str
    points: list[tuple[str, float | None]]


class HistoryResponse(Struct):
    schema_version: int
    service: str
    step_seconds: int
    series: list[SeriesOut]


# ---- decoding with errors that name the field ------------------------------------------

VALID_VALUES: dict[str, tuple[str, ...]] = {
    "prompt_mode": get_args(PromptMode),
    "role": get_args(Role),
}

_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_NAMED = re.compile(r"field `(?P<name>[^`]+)`")


def _field_of(message: str) -> tuple[str, str]:
    """Split msgspec's message into (dotted field path, message without the location)."""
    path = ""
    found = _AT.search(message)
    if found:
        path = found.group("path").lstrip(".")
        message = message[: found.start()]
    named = _NAMED.search(message)
    if named:
        path = f"{path}.{named.group('name')}" if path else named.group("name")
    return path or "body", message


def decode(decoder: msgspec.json.Decoder[T], body: bytes) -> T:
    """Decode and validate, turning every failure into a 4xx that names the field."""
    if not body:
        raise HTTPError(400, "MALFORMED_JSON", "the request body is empty; send a JSON object")
    try:
        decoded: T = decoder.decode(body)
        return decoded
    except msgspec.ValidationError as exc:
        field, message = _field_of(str(exc))
        leaf = field.rsplit(".", 1)[-1].split("[", 1)[0]
        if field == "requests" and "length <=" in message:  # the original's 413
            raise too_large(
                f"bulk-process takes 1 to {MAX_BULK_ITEMS} requests per call", field=field
            ) from None
        valid = VALID_VALUES.get(leaf)
        if valid and message.startswith("Invalid enum value"):
            message = f"{message}; valid values: {', '.join(valid)}"
        raise invalid(field, message, valid) from None
    except msgspec.DecodeError as exc:
        raise HTTPError(400, "MALFORMED_JSON", f"the body is not valid JSON: {exc}") from None
    except UnicodeDecodeError:
        raise HTTPError(400, "MALFORMED_JSON", "the body is not valid UTF-8") from None
