"""`POST /events`: the Event Platform subscriber endpoint.

The platform allows 5 s per delivery and retries or suspends on failures (docs/akeneo.md), so
this handler only touches Redis and the broker: verify the signature on the raw body, parse the
CloudEvent, route it by `subject` (the subscription id) to its tenant, drop duplicates and the
app's own writes, and buffer product UUIDs (product-model codes) for a batched sync.

A product event is the hot path (a bulk edit in the PIM sends hundreds per second): its route is
usually cached in the process and de-duplicating plus buffering is one Lua script awaited on the
event loop, so it costs one Redis round trip and no thread hop; sending a full batch is the
background flusher's job. Rarer paths (cache misses, `app.deleted`) run the blocking state store
in a worker thread.

Acknowledgement follows the platform's rate control (docs/akeneo.md, "Event Platform"): 200 for an event
taken care of (its delivery rate then rises), 429 when this pod cannot take it now — Redis or the
broker unreachable, or too many deliveries in flight — so the platform slows down and retries
instead of counting failures toward suspending the subscription (a 503 would count).
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from akeneo_sync.errors import AkeneoSyncError
from akeneo_sync.logging import get_logger
from akeneo_sync.metrics import EVENTS_RECEIVED
from akeneo_sync.web.batching import BatchKind
from akeneo_sync.web.context import WebContext
from akeneo_sync.web.models import AppData, Author, CloudEvent, ProblemResponse, ProductData, ProductModelData
from akeneo_sync.web.routing import Route
from akeneo_sync.web.signatures import verify_signature

__all__ = ["KNOWN_TYPES", "EventOutcome", "build_router", "dedupe_id", "read_body", "type_label"]

_log = get_logger(__name__)
PRODUCT_CHANGED: Final = frozenset(
    {
        "com.akeneo.pim.v1.product.created",
        "com.akeneo.pim.v1.product.updated",
        "com.akeneo.pim.v1.product.updated.delta",
    }
)
PRODUCT_DELETED: Final = "com.akeneo.pim.v1.product.deleted"
# Keyed by model code; created, updated and deleted all ask for the same thing (see `_model_event`).
MODEL_EVENTS: Final = frozenset(
    {
        "com.akeneo.pim.v1.product-model.created",
        "com.akeneo.pim.v1.product-model.updated",
        "com.akeneo.pim.v1.product-model.deleted",
    }
)
APP_DELETED: Final = "com.akeneo.pim.v1.app.deleted"
KNOWN_TYPES: Final = frozenset({*PRODUCT_CHANGED, PRODUCT_DELETED, *MODEL_EVENTS, APP_DELETED})
# Events are small (an id, a uuid, an author); a bigger body is refused before it is hashed.
MAX_BODY_BYTES: Final = 256 * 1024


class EventOutcome(StrEnum):
    """The `outcome` label of `events_received_total`."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    OWN_WRITE = "own_write"
    UNKNOWN_SUBJECT = "unknown_subject"
    INACTIVE_TENANT = "inactive_tenant"
    IGNORED = "ignored"
    INVALID = "invalid"
    BAD_SIGNATURE = "bad_signature"
    THROTTLED = "throttled"
    STALE = "stale"


class EventAccepted(BaseModel):
    """What the receiver did with the event (informative; the platform only reads the status)."""

    outcome: EventOutcome


def type_label(event_type: str) -> str:
    """A bounded metric label: the event type when known, else `other`."""
    return event_type if event_type in KNOWN_TYPES else "other"


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The raw body, or None when it is larger than `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


# The few possible answers, serialised once rather than per event.
_ANSWERS: Final = {
    outcome: json.dumps(EventAccepted(outcome=outcome).model_dump(mode="json"), separators=(",", ":")).encode()
    for outcome in EventOutcome
}


def _answer(outcome: EventOutcome, event_type: str) -> Response:
    EVENTS_RECEIVED.labels(type=type_label(event_type), outcome=outcome.value).inc()
    return Response(_ANSWERS[outcome], status_code=200, media_type="application/json")


def _problem(outcome: EventOutcome, status_code: int, detail: str) -> Response:
    EVENTS_RECEIVED.labels(type="other", outcome=outcome.value).inc()
    return JSONResponse(ProblemResponse(detail=detail).model_dump(), status_code=status_code)


def build_router(ctx: WebContext) -> APIRouter:
    """The `/events` route."""
    router = APIRouter(tags=["events"])
    # Deliveries in flight on this pod (one event loop: plain integer arithmetic is safe).
    inflight = [0]

    @router.post(
        "/events",
        status_code=200,
        response_model=EventAccepted,
        responses={
            400: {"model": ProblemResponse},
            401: {"model": ProblemResponse},
            413: {"model": ProblemResponse},
            429: {"model": ProblemResponse, "description": "slow down: the app cannot take this event now"},
        },
        # The body is read raw (the signature covers its exact bytes), so FastAPI cannot infer it.
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": CloudEvent.model_json_schema()}},
            }
        },
    )
    async def receive_event(request: Request) -> Response:
        """Receive one signed CloudEvent from the Event Platform."""
        body = await read_body(request)
        if body is None:
            return _problem(EventOutcome.INVALID, 413, "event body too large")
        if not verify_signature(body, request.headers, ctx.config.event_secrets):
            return _problem(EventOutcome.BAD_SIGNATURE, 401, "missing or invalid X-AKENEO-SIGNATURE-* header")
        # Counted once signed: unsigned floods cannot make the pod throttle the platform.
        if inflight[0] >= ctx.config.max_inflight_events:
            return _throttled("too many deliveries in flight")
        inflight[0] += 1
        try:
            return await _receive(ctx, body)
        except AkeneoSyncError as exc:
            if not exc.retryable:
                raise
            # Redis or the broker is unreachable: nothing was recorded, the platform's retry will be.
            _log.warning("event_throttled", error=type(exc).__name__)
            return _throttled("temporarily unable to accept events")
        finally:
            inflight[0] -= 1

    return router


def _throttled(detail: str) -> Response:
    return _problem(EventOutcome.THROTTLED, 429, f"{detail}; slow down and retry")


async def _receive(ctx: WebContext, body: bytes) -> Response:
    try:
        event = CloudEvent.model_validate_json(body)
    except ValidationError as exc:
        return _problem(EventOutcome.INVALID, 400, f"not a CloudEvents 1.0 JSON envelope: {_reason(exc)}")
    if _is_stale(event, ctx.clock.now(), ctx.config.event_dedupe_ttl_s):
        # Older than the de-duplication window: a replay of a captured delivery could no longer
        # be told from a new one. The platform retries for about 35 minutes, never days.
        return _answer(EventOutcome.STALE, event.type)
    route = ctx.routes.cached(event.subject)
    if route is None:
        route = await run_in_threadpool(ctx.routes.resolve, event.subject)
    if event.type in PRODUCT_CHANGED or event.type == PRODUCT_DELETED:
        return await _product_event(ctx, route, event)
    if event.type in MODEL_EVENTS:
        return await _model_event(ctx, route, event)
    # Rare events: blocking state store and broker calls, so off the event loop.
    return await run_in_threadpool(_handle, ctx, route, event)


def dedupe_id(event: CloudEvent) -> str:
    """The de-duplication key of an event: ids are unique per subscription, not across tenants."""
    return f"{event.subject}:{event.id}"


def _is_stale(event: CloudEvent, now: float, window_s: float) -> bool:
    if event.time is None:
        return False
    try:
        published = datetime.fromisoformat(event.time)
    except ValueError:
        return False  # an odd `time` is not a reason to drop the event
    if published.tzinfo is None:
        return False
    return now - published.timestamp() > window_s


def _reason(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)[:3]
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in errors)


def _unroutable(route: Route, event: CloudEvent) -> Response | None:
    """The answer for an event that has no active tenant to go to, else None."""
    if not route.is_known:
        _log.info("event_unknown_subject", event_id=event.id, subject=event.subject)
        return _answer(EventOutcome.UNKNOWN_SUBJECT, event.type)
    if not route.is_active:
        return _answer(EventOutcome.INACTIVE_TENANT, event.type)
    return None


async def _product_event(ctx: WebContext, route: Route, event: CloudEvent) -> Response:
    refused = _unroutable(route, event)
    if refused is not None:
        return refused
    tenant_id = str(route.tenant)
    try:
        product = ProductData.model_validate(event.data)
    except ValidationError as exc:
        return _problem(EventOutcome.INVALID, 400, f"invalid data for {event.type}: {_reason(exc)}")
    if _is_own_write(ctx, product.author):
        return _answer(EventOutcome.OWN_WRITE, event.type)
    kind = BatchKind.DELETE if event.type == PRODUCT_DELETED else BatchKind.SYNC
    return await _buffer(ctx, kind, tenant_id, product.product.uuid, event)


async def _model_event(ctx: WebContext, route: Route, event: CloudEvent) -> Response:
    """A product model was created, updated or deleted: batched into one `sync_models` per window.

    Akeneo has no endpoint for one mapped model, so the code alone cannot be synced: the workers
    run an incremental sync of the tenant's catalogs in variants mode, whose models phase pages
    the models by `updated` and deletes those that left (docs/architecture.md).
    """
    refused = _unroutable(route, event)
    if refused is not None:
        return refused
    try:
        model = ProductModelData.model_validate(event.data)
    except ValidationError as exc:
        return _problem(EventOutcome.INVALID, 400, f"invalid data for {event.type}: {_reason(exc)}")
    if _is_own_write(ctx, model.author):
        return _answer(EventOutcome.OWN_WRITE, event.type)
    return await _buffer(ctx, BatchKind.MODELS, str(route.tenant), model.product_model.code, event)


async def _buffer(ctx: WebContext, kind: BatchKind, tenant_id: str, member: str, event: CloudEvent) -> Response:
    # De-duplicate and buffer atomically: on failure neither happened, so the platform's retry
    # (after our 503) is processed rather than dropped as a duplicate.
    buffered = await ctx.batcher.add_event_async(
        kind,
        tenant_id,
        member,
        dedupe_key=ctx.store.keys.dedupe(dedupe_id(event)),
        dedupe_ttl_s=ctx.config.event_dedupe_ttl_s,
    )
    if not buffered.first_seen:
        return _answer(EventOutcome.DUPLICATE, event.type)
    if ctx.flusher is not None and ctx.flusher.is_running:
        if buffered.is_due:
            ctx.flusher.request_flush(kind, tenant_id)
    else:
        # No background flusher (tests, a one-off process): this request sends what is due.
        await run_in_threadpool(_flush_inline, ctx, kind, tenant_id, buffered.is_due)
    return _answer(EventOutcome.ACCEPTED, event.type)


def _flush_inline(ctx: WebContext, kind: BatchKind, tenant_id: str, is_due: bool) -> None:
    if is_due:
        _flush_quietly(ctx, kind, tenant_id)
    _flush_due_quietly(ctx)


def _handle(ctx: WebContext, route: Route, event: CloudEvent) -> Response:
    refused = _unroutable(route, event)
    if refused is not None:
        return refused
    tenant_id = str(route.tenant)
    if event.type == APP_DELETED:
        return _app_deleted(ctx, tenant_id, event)
    return _answer(EventOutcome.IGNORED, event.type)


def _app_deleted(ctx: WebContext, tenant_id: str, event: CloudEvent) -> Response:
    try:
        data = AppData.model_validate(event.data)
    except ValidationError as exc:
        return _problem(EventOutcome.INVALID, 400, f"invalid data for {event.type}: {_reason(exc)}")
    if data.app is not None and data.app.client_id not in (None, ctx.config.client_id):
        return _answer(EventOutcome.IGNORED, event.type)  # another app of this PIM was removed
    if not ctx.store.dedupe.first_seen(dedupe_id(event), ttl_s=ctx.config.event_dedupe_ttl_s):
        return _answer(EventOutcome.DUPLICATE, event.type)
    try:
        ctx.enqueuer.tenant_disconnected(tenant_id)
    except AkeneoSyncError:
        ctx.store.dedupe.forget(dedupe_id(event))
        raise
    # This pod stops routing at once; other pods' caches expire within `route_cache_ttl_s`.
    ctx.routes.forget(event.subject)
    _log.info("event_app_deleted", tenant=tenant_id, event_id=event.id)
    return _answer(EventOutcome.ACCEPTED, event.type)


def _is_own_write(ctx: WebContext, author: Author | None) -> bool:
    # For API writes the author is the caller's client id (docs/akeneo.md); compare defensively.
    return author is not None and author.type == "api" and author.identifier == ctx.config.client_id


def _flush_quietly(ctx: WebContext, kind: BatchKind, tenant_id: str) -> None:
    """Flush now; on failure the batch stays in Redis for the next request or the flusher."""
    try:
        ctx.batcher.flush(kind, tenant_id)
    except AkeneoSyncError as exc:
        _log.warning("event_batch_flush_failed", tenant=tenant_id, error=type(exc).__name__)


def _flush_due_quietly(ctx: WebContext) -> None:
    try:
        ctx.batcher.flush_due()
    except AkeneoSyncError as exc:
        _log.warning("event_batch_flush_failed", error=type(exc).__name__)
