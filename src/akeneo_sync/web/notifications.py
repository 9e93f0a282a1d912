"""`POST /events/notifications`: the Event Platform's subscription status webhook.

A suspended subscription loses events until it is resumed (docs/akeneo.md), so the status is
recorded per subscription and, when a suspended subscription comes back, a reconcile of the tenant
is enqueued to cover what was lost. Nothing resumes a suspended subscription on its own: the
operator does, with `akeneo-sync tenants reactivate` (docs/operating.md).
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from akeneo_sync.logging import get_logger
from akeneo_sync.metrics import EVENTS_RECEIVED
from akeneo_sync.state.subscriptions import SubscriptionState, SubscriptionStatuses
from akeneo_sync.web.context import WebContext
from akeneo_sync.web.events import read_body
from akeneo_sync.web.models import ProblemResponse, StatusNotification
from akeneo_sync.web.signatures import verify_signature

__all__ = ["NOTIFICATION_TYPES", "build_router"]

_log = get_logger(__name__)
SUSPENDED_SYSTEM: Final = "subscription.suspended.system"
SUSPENDED_USER: Final = "subscription.suspended.user"
REVOKED: Final = "subscription.revoked"
RESUMED: Final = "subscription.resumed"
NOTIFICATION_TYPES: Final = frozenset({SUSPENDED_SYSTEM, SUSPENDED_USER, REVOKED, RESUMED})


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
    statuses = ctx.store.subscription_statuses
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
