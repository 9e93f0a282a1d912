"""Pydantic models for what crosses the web boundary: CloudEvents, notifications, API bodies."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AppData",
    "Author",
    "CatalogStatusResponse",
    "CloudEvent",
    "LastRun",
    "ProblemResponse",
    "ProductData",
    "ProductModelData",
    "StatusNotification",
    "SyncAccepted",
    "SyncRequest",
]

_ID = Field(min_length=1, max_length=256)


class Author(BaseModel):
    """Who made the change (`author.type` is one of user, api, job, system, unknown-user-type)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    identifier: str | None = None
    type: str | None = None


class ProductRef(BaseModel):
    """`data.product` of product events."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    uuid: str = Field(min_length=1, max_length=64)


class ProductData(BaseModel):
    """`data` of `com.akeneo.pim.v1.product.*` events."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    product: ProductRef
    author: Author | None = None


class ProductModelRef(BaseModel):
    """`data.product_model` of product-model events (docs/akeneo.md: the code, never a UUID)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: str = Field(min_length=1, max_length=256)


class ProductModelData(BaseModel):
    """`data` of `com.akeneo.pim.v1.product-model.*` events."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    product_model: ProductModelRef
    author: Author | None = None


class AppRef(BaseModel):
    """`data.app` of `com.akeneo.pim.v1.app.deleted`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    client_id: str | None = None


class AppData(BaseModel):
    """`data` of `com.akeneo.pim.v1.app.deleted`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    app: AppRef | None = None
    author: Author | None = None


class CloudEvent(BaseModel):
    """A structured-mode CloudEvents 1.0 envelope as the Event Platform sends it (docs/akeneo.md).

    `source` is not checked: the docs show both `pim` and `akeneo-event-platform`.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: Literal["1.0"]
    id: str = _ID
    source: str = Field(default="", max_length=1024)
    type: str = Field(min_length=1, max_length=256)
    subject: str = _ID
    time: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class StatusNotification(BaseModel):
    """A subscription status notification webhook body (docs/akeneo.md)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    notification_type: str = Field(min_length=1, max_length=128)
    subscription_id: str = _ID
    subscriber_id: str | None = None
    timestamp: str | float | None = None
    reason: str | None = Field(default=None, max_length=4096)


class SyncRequest(BaseModel):
    """Body of `POST /v1/tenants/{tenant}/catalogs/{catalog}/sync`."""

    model_config = ConfigDict(extra="forbid")

    # `refresh` = `full`: a full read that pushes only what changed (digests) and deletes what left.
    mode: Literal["full", "incremental", "refresh"] = "incremental"


class SyncAccepted(BaseModel):
    """The sync was enqueued; it runs in a worker."""

    enqueued: Literal[True] = True
    tenant: str
    catalog: str
    mode: Literal["full", "incremental", "refresh"]


class LastRun(BaseModel):
    """The catalog's last finished run."""

    id: str | None
    finished_at: float | None = Field(description="Unix time (seconds)")
    outcome: str | None


class CatalogStatusResponse(BaseModel):
    """Where a catalog's sync stands."""

    tenant: str
    catalog: str
    name: str
    enabled: bool
    state: str = Field(description="idle, running, paused, disabled, deleted, purged, scope_missing or failed")
    action: str | None = Field(
        default=None, description="what someone must do for the catalog to sync again, if anything"
    )
    last_run: LastRun | None
    counts: dict[str, int] = Field(description="products upserted, skipped, deleted and failed by the last run")
    lag_s: float | None = Field(description="seconds since the watermark of the last successful sync")
    dead_letters: int = Field(description="dead letters waiting for replay in this catalog's tenant")


class ProblemResponse(BaseModel):
    """An error answer."""

    detail: str
