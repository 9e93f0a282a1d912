"""`POST /events/notifications`: the Event Platform's subscription status webhook.

A suspended subscription loses events until it is resumed (docs/akeneo.md), so the status is
recorded per subscription and, when a suspended subscription comes back, a reconcile of the tenant
is enqueued to cover what was lost. Nothing resumes a suspended subscription on its own: the
operator does, with `akeneo-sync tenants reactivate` (docs/operating.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import redis
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from akeneo_sync.clock import Clock
from akeneo_sync.errors import StateError
from akeneo_sync.logging import get_logger
from akeneo_sync.metrics import EVENTS_RECEIVED
from akeneo_sync.web.context import WebContext
from akeneo_sync.web.events import read_body
from akeneo_sync.web.keys import WebKeys
from akeneo_sync.web.models import ProblemResponse, StatusNotification
from akeneo_sync.web.signatures import verify_signature

__all__ = ["NOTIFICATION_TYPES", "SubscriptionState", "SubscriptionStatus", "SubscriptionStatuses", "build_router"]

_log = get_logger(__name__)
SUSPENDED_SYSTEM: Final = "subscription.suspended.system"
SUSPENDED_USER: Final = "subscription.suspended.user"
REVOKED: Final = "subscription.revoked"
RESUMED: Final = "subscription.resumed"
NOTIFICATION_TYPES: Final = frozenset({SUSPENDED_SYSTEM, SUSPENDED_USER, REVOKED, RESUMED})


class SubscriptionState(StrEnum):
    """A subscription's status as last notified."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class SubscriptionStatus:
    """What the last notification said about a subscription."""

    subscription_id: str
    state: SubscriptionState
    by_system: bool
    reason: str
    changed_at: float


class SubscriptionStatuses:
    """Subscription statuses in Redis (one HASH each)."""

    def __init__(self, client: redis.Redis, keys: WebKeys, clock: Clock) -> None:
        self._redis = client
        self._keys = keys
        self._clock = clock

    def get(self, subscription_id: str) -> SubscriptionStatus | None:
        """The recorded status, or None when no notification arrived yet."""
        try:
            raw = self._redis.hgetall(self._keys.subscription_status(subscription_id))
        except redis.RedisError as exc:
            raise StateError(f"cannot read subscription status: {type(exc).__name__}") from exc
        if not raw:
            return None
        fields = {_text(k): _text(v) for k, v in raw.items()}
        return SubscriptionStatus(
            subscription_id=subscription_id,
            state=SubscriptionState(fields.get("state", SubscriptionState.ACTIVE.value)),
            by_system=fields.get("by_system") == "1",
            reason=fields.get("reason", ""),
            changed_at=float(fields.get("changed_at", "0")),
        )

    def record(self, subscription_id: str, state: SubscriptionState, *, by_system: bool, reason: str) -> None:
        """Store a status change."""
        now = self._clock.now()
        try:
            self._redis.hset(
                self._keys.subscription_status(subscription_id),
                mapping={
                    "state": state.value,
                    "by_system": "1" if by_system else "0",
                    "reason": reason[:1000],
                    "changed_at": str(now),
                },
            )
        except redis.RedisError as exc:
            raise StateError(f"cannot record subscription status: {type(exc).__name__}") from exc


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class NotificationRecorded(BaseModel):
    """The notification was recorded."""

    subscription_id: str
    state: SubscriptionState
    reconcile_enqueued: bool


def _count(notification_type: str, outcome: str) -> None:
    label = notification_type if notification_type in NOTIFICATION_TYPES else "other"
    EVENTS_RECEIVED.labels(type=label, outcome=outcome).inc()


def build_router(ctx: WebContext) -> APIRouter:
    """The `/events/notifications` route."""
    router = APIRouter(tags=["events"])
    statuses = SubscriptionStatuses(ctx.store.redis, ctx.keys, ctx.clock)
    # The platform signs notifications with the subscriber's single notification secret. It was our
    # primary when the subscriber was made; after a rotation it is the secondary until updated.
    secrets = ctx.config.event_secrets

    @router.post(
        "/events/notifications",
        status_code=202,
        response_model=NotificationRecorded,
        responses={400: {"model": ProblemResponse}, 401: {"model": ProblemResponse}, 413: {"model": ProblemResponse}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": StatusNotification.model_json_schema()}},
            }
        },
    )
    async def receive_notification(request: Request) -> Response:
        """Record a subscription suspended, revoked or resumed by the Event Platform."""
        body = await read_body(request)
        if body is None:
            return _problem(413, "notification body too large", "invalid")
        if not verify_signature(body, request.headers, secrets):
            return _problem(401, "missing or invalid X-AKENEO-SIGNATURE-PRIMARY header", "bad_signature")
        try:
            note = StatusNotification.model_validate_json(body)
        except ValidationError as exc:
            return _problem(400, f"not a status notification: {exc.error_count()} invalid field(s)", "invalid")
        return await run_in_threadpool(_record, ctx, statuses, note)

    return router


def _problem(status_code: int, detail: str, outcome: str) -> Response:
    _count("other", outcome)
    return JSONResponse(ProblemResponse(detail=detail).model_dump(), status_code=status_code)


def _record(ctx: WebContext, statuses: SubscriptionStatuses, note: StatusNotification) -> Response:
    kind = note.notification_type
    if kind not in NOTIFICATION_TYPES:
        return _problem(400, f"unknown notification_type {kind[:64]!r}", "invalid")
    previous = statuses.get(note.subscription_id)
    state = {RESUMED: SubscriptionState.ACTIVE, REVOKED: SubscriptionState.REVOKED}.get(
        kind, SubscriptionState.SUSPENDED
    )
    statuses.record(note.subscription_id, state, by_system=kind == SUSPENDED_SYSTEM, reason=note.reason or "")
    tenant_id = ctx.store.tenants.tenant_for_subscription(note.subscription_id)
    reconcile = False
    # Events published while suspended are gone for good: a reconcile finds what they would have said.
    was_down = previous is None or previous.state is not SubscriptionState.ACTIVE
    if kind == RESUMED and tenant_id is not None and was_down:
        ctx.enqueuer.reconcile_tenant(tenant_id)
        reconcile = True
    _count(kind, "recorded" if tenant_id is not None else "unknown_subject")
    _log.warning(
        "event_subscription_status",
        subscription=note.subscription_id,
        tenant=tenant_id,
        status=kind,
        reason=note.reason,
    )
    body = NotificationRecorded(subscription_id=note.subscription_id, state=state, reconcile_enqueued=reconcile)
    return JSONResponse(body.model_dump(mode="json"), status_code=202)
