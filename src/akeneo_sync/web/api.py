"""The enqueue/status API the app's own UI calls, behind a bearer `API_KEY`."""

from __future__ import annotations

import hmac
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from akeneo_sync.logging import get_logger
from akeneo_sync.state import CatalogRecord
from akeneo_sync.state.catalogs import ACTION_NEEDED
from akeneo_sync.web.context import WebContext
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

    @router.post("/tenants/{tenant}/catalogs/{catalog}/sync", status_code=202, response_model=SyncAccepted)
    def request_sync(tenant: TenantId, catalog: CatalogId, body: SyncRequest) -> SyncAccepted:
        """Enqueue a full or incremental sync of one catalog."""
        require_catalog(tenant, catalog)
        ctx.enqueuer.sync_catalog(tenant, catalog, body.mode)
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
