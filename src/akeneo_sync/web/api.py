"""The enqueue/status API the app's own UI calls, behind a bearer `API_KEY`."""

from __future__ import annotations

import hmac
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from akeneo_sync.logging import get_logger
from akeneo_sync.state import CatalogRecord
from akeneo_sync.state.catalogs import ACTION_NEEDED
from akeneo_sync.web.context import WebContext
from akeneo_sync.web.events import read_body
from akeneo_sync.web.models import CatalogStatusResponse, LastRun, ProblemResponse, SyncAccepted, SyncRequest

__all__ = ["build_router"]

_log = get_logger(__name__)
_ID_PATTERN: Final = r"^[A-Za-z0-9._~-]{1,128}$"
TenantId = Annotated[str, Path(pattern=_ID_PATTERN, description="tenant id")]
CatalogId = Annotated[str, Path(pattern=_ID_PATTERN, description="the PIM's catalog id")]
# Module level: FastAPI resolves the (postponed) annotations below in this module's globals.
_BEARER: Final = HTTPBearer(auto_error=False, description="the API_KEY setting")
_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    401: {"model": ProblemResponse, "description": "missing or wrong API key"},
    404: {"model": ProblemResponse, "description": "unknown tenant or catalog"},
}
# A sync request is `{"mode": "full"}`; the cap keeps a caller from making the pod buffer megabytes.
MAX_API_BODY_BYTES: Final = 4096


def build_router(ctx: WebContext) -> APIRouter:
    """The `/v1/tenants/...` routes."""
    expected = ctx.config.api_key.encode()

    def require_api_key(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]) -> None:
        provided = credentials.credentials.encode("utf-8", errors="replace") if credentials else b""
        # An empty API_KEY would otherwise match an empty bearer: refuse everything instead.
        if not expected or not hmac.compare_digest(provided, expected):
            raise HTTPException(401, "missing or wrong API key", headers={"WWW-Authenticate": "Bearer"})

    router = APIRouter(prefix="/v1", tags=["api"], dependencies=[Depends(require_api_key)], responses=_ERRORS)

    def require_catalog(tenant: str, catalog: str) -> CatalogRecord:
        if ctx.store.tenants.get(tenant) is None:
            raise HTTPException(404, f"unknown tenant {tenant}")
        record = ctx.store.catalogs.get(tenant, catalog)
        if record is None:
            raise HTTPException(404, f"unknown catalog {catalog} for tenant {tenant}")
        return record

    @router.post(
        "/tenants/{tenant}/catalogs/{catalog}/sync",
        status_code=202,
        response_model=SyncAccepted,
        responses={413: {"model": ProblemResponse, "description": "body larger than 4 KiB"}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": SyncRequest.model_json_schema()}},
            }
        },
    )
    async def request_sync(tenant: TenantId, catalog: CatalogId, request: Request) -> SyncAccepted:
        """Enqueue a full or incremental sync of one catalog."""
        # The body is read here, after the API key dependency: an unauthenticated caller learns
        # nothing from a parse error and cannot make the pod buffer a large body.
        raw = await read_body(request, MAX_API_BODY_BYTES)
        if raw is None:
            raise HTTPException(413, f"body larger than {MAX_API_BODY_BYTES} bytes")
        try:
            body = SyncRequest.model_validate_json(raw)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**err, "loc": ("body", *err["loc"])} for err in exc.errors(include_url=False)]
            ) from exc
        await run_in_threadpool(require_catalog, tenant, catalog)
        await run_in_threadpool(ctx.enqueuer.sync_catalog, tenant, catalog, body.mode)
        _log.info("sync_requested", tenant=tenant, catalog=catalog, mode=body.mode)
        return SyncAccepted(tenant=tenant, catalog=catalog, mode=body.mode)

    @router.get("/tenants/{tenant}/catalogs/{catalog}", response_model=CatalogStatusResponse)
    def catalog_status(tenant: TenantId, catalog: CatalogId) -> CatalogStatusResponse:
        """Where the catalog's sync stands."""
        record = require_catalog(tenant, catalog)
        now = ctx.clock.now()
        last_run = None
        if record.last_run_id or record.last_run_at is not None:
            last_run = LastRun(id=record.last_run_id, finished_at=record.last_run_at, outcome=record.last_outcome)
        return CatalogStatusResponse(
            tenant=tenant,
            catalog=catalog,
            name=record.name,
            enabled=record.enabled,
            state=record.status.value,
            action=ACTION_NEEDED.get(record.status),
            last_run=last_run,
            counts=dict(record.counts),
            lag_s=max(0.0, now - record.watermark) if record.watermark is not None else None,
            dead_letters=ctx.store.dead_letters.count(tenant),
        )

    return router
