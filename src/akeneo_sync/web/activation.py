"""OAuth activation: `/activate` sends the user to the PIM to consent, `/callback` gets the token.

The `state` is random, single-use, bound to the PIM it was issued for and short-lived: it is
consumed with GETDEL, so a replayed or forged callback finds nothing and gets a 400. The token
is stored encrypted by the state store and never logged.
"""

from __future__ import annotations

import html
import json
import secrets
from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from akeneo_sync.akeneo.oauth import authorize_url, exchange_code
from akeneo_sync.errors import PimError, TenantConflictError
from akeneo_sync.logging import get_logger
from akeneo_sync.state import StoredToken
from akeneo_sync.tenancy import normalize_pim_url
from akeneo_sync.web.context import WebContext
from akeneo_sync.web.guard import LookupsBusyError
from akeneo_sync.web.urlcheck import PimUrlError

__all__ = ["build_router", "page"]

_log = get_logger(__name__)
_MAX_PARAM: Final = 2048
# A PIM base URL is a host and maybe a short path; longer ones only make the stored state bigger.
MAX_PIM_URL_CHARS: Final = 256
# Redis keeps a state a little longer than its TTL so an expired one is told apart from a forged one.
_STATE_GRACE_S: Final = 60


def page(title: str, message: str, status_code: int) -> HTMLResponse:
    """A minimal HTML page for the user's browser."""
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(message)}</p></body></html>"
    )
    return HTMLResponse(body, status_code=status_code)


def build_router(ctx: WebContext) -> APIRouter:
    """The `/activate` and `/callback` routes."""
    router = APIRouter(tags=["activation"])

    @router.get(
        "/activate",
        response_class=RedirectResponse,
        status_code=302,
        responses={
            400: {"description": "pim_url refused", "content": {"text/html": {}}},
            429: {"description": "too many activations from this client"},
            503: {"description": "too many name lookups in progress"},
        },
    )
    async def activate(request: Request, pim_url: Annotated[str, Query(max_length=_MAX_PARAM)] = "") -> Response:
        """The app's activate URL: validate `pim_url`, then redirect to the PIM's consent page."""
        # A coroutine: the name lookup runs on the checker's own threads, never on the request pool.
        if not ctx.activation_limits.allow(_client(request)):
            return _too_many(ctx)
        if len(pim_url.strip()) > MAX_PIM_URL_CHARS:
            return page("Cannot connect this PIM", f"pim_url is longer than {MAX_PIM_URL_CHARS} characters", 400)
        try:
            # Normalised as `tenants add` does, so both name the same PIM with the same tenant id.
            pim = normalize_pim_url(await ctx.pim_urls.check(pim_url))
        except PimUrlError as exc:
            _log.info("activation_refused", reason=str(exc))
            return page("Cannot connect this PIM", str(exc), 400)
        except LookupsBusyError:
            return _busy()
        state = secrets.token_urlsafe(24)
        record = json.dumps({"pim_url": pim, "issued_at": ctx.clock.now()})
        ttl_s = int(ctx.config.state_ttl_s) + _STATE_GRACE_S
        await run_in_threadpool(ctx.store.oauth_states.issue, state, record, ttl_s)
        _log.info("activation_started", pim_url=pim)
        target = authorize_url(pim, client_id=ctx.config.client_id, scopes=ctx.config.scopes, state=state)
        return RedirectResponse(target, status_code=302)

    @router.get(
        "/callback",
        response_class=HTMLResponse,
        responses={
            400: {"description": "unknown, reused or expired state, or refused consent"},
            409: {"description": "the tenant id is held by another PIM"},
            429: {"description": "too many activations from this client"},
            503: {"description": "too many name lookups in progress"},
            502: {"description": "the PIM refused the code exchange"},
        },
    )
    def callback(
        request: Request,
        code: Annotated[str, Query(max_length=_MAX_PARAM)] = "",
        state: Annotated[str, Query(max_length=_MAX_PARAM)] = "",
        error: Annotated[str, Query(max_length=_MAX_PARAM)] = "",
    ) -> Response:
        """The app's callback URL: consume the state, exchange the code, store the tenant."""
        if not ctx.activation_limits.allow(_client(request)):
            return _too_many(ctx)
        pim = _consume_state(ctx, state)
        if pim is None:
            return page(
                "Activation link expired",
                "This activation link is unknown, was already used or has "
                "expired. Start again from the Connect button in your PIM.",
                400,
            )
        if error or not code:
            return page(
                "Activation cancelled",
                "The PIM did not grant access to this app. Start again from the Connect button in your PIM.",
                400,
            )
        try:
            # Checked again: the DNS answer may have changed since /activate (rebinding).
            ctx.pim_urls.check_blocking(pim)
            grant = exchange_code(
                ctx.http,
                pim,
                client_id=ctx.config.client_id,
                client_secret=ctx.config.client_secret,
                code=code,
                deadline_s=ctx.config.exchange_deadline_s,
            )
        except PimUrlError as exc:
            return page("Cannot connect this PIM", str(exc), 400)
        except LookupsBusyError:
            return _busy()
        except PimError as exc:
            _log.warning("activation_exchange_failed", pim_url=pim, status=exc.status, error=type(exc).__name__)
            return page(
                "Activation failed",
                "The PIM refused to issue a token for this app "
                f"({exc.status or 'no answer'}). Start again from the Connect button in your PIM.",
                502,
            )
        tenant_id = ctx.store.tenants.id_for_url(pim)
        try:
            ctx.store.tenants.save(tenant_id, pim_url=pim, token=StoredToken(access_token=grant.access_token))
        except TenantConflictError:
            # Another PIM holds this id: storing here would hand it that tenant's catalogs and target.
            _log.error("activation_tenant_conflict", tenant=tenant_id, pim_url=pim)
            return page("Cannot connect this PIM", "This PIM cannot be connected. Contact the app's operator.", 409)
        ctx.enqueuer.app_activated(tenant_id)
        _log.info("tenant_activated", tenant=tenant_id, pim_url=pim, scopes=" ".join(grant.scope))
        return page(
            "akeneo-sync is connected",
            "Your PIM is connected. The app is now creating its catalogs in "
            "your PIM: open Connect > Connected apps > akeneo-sync > Catalogs, configure each catalog's "
            "product selection and enable it. Products start flowing as soon as a catalog is enabled.",
            200,
        )

    return router


def _client(request: Request) -> str:
    # The peer address; behind the ingress, uvicorn's proxy_headers puts the forwarded client here.
    return request.client.host if request.client is not None else "unknown"


def _too_many(ctx: WebContext) -> Response:
    response = page(
        "Too many attempts",
        "Too many activation attempts from your network. Wait a minute and "
        "start again from the Connect button in your PIM.",
        429,
    )
    response.headers["Retry-After"] = str(ctx.activation_limits.retry_after_s())
    return response


def _busy() -> Response:
    response = page("Busy", "The app is busy. Wait a minute and start again from the Connect button in your PIM.", 503)
    response.headers["Retry-After"] = "30"
    return response


def _consume_state(ctx: WebContext, state: str) -> str | None:
    """The PIM URL the state was issued for, once; None when unknown, reused or expired."""
    if not state:
        return None
    raw = ctx.store.oauth_states.consume(state)
    if raw is None:
        return None
    try:
        record = json.loads(raw)
        pim_url, issued_at = str(record["pim_url"]), float(record["issued_at"])
    except (ValueError, KeyError, TypeError):
        return None
    if ctx.clock.now() - issued_at > ctx.config.state_ttl_s:
        return None
    return pim_url
