"""The one exception hierarchy of akeneo-sync.

::

    AkeneoSyncError
     ├── ConfigError                  settings missing or invalid at start
     ├── PimError                     the PIM answered with an error, or did not answer
     │    ├── TokenRevokedError       401: the app token is gone (re-activation needed)
     │    ├── ScopeError              403: a scope or permission is missing
     │    ├── CatalogDisabledError    200 with an `error` body: the catalog is disabled
     │    ├── CatalogNotFoundError    404: the catalog was deleted (or is not ours)
     │    ├── MappingSchemaMissingError  200 "no mapping schema" that pushing the schema did not cure
     │    ├── PimValidationError      400/422: the request was refused, with the PIM's messages
     │    ├── RateLimitedError        429 after the retry budget (retryable)
     │    └── PimUnavailableError     5xx, 408, timeouts, dropped connections (retryable)
     ├── TargetError                  the downstream platform failed
     │    ├── TargetRejectedError     one item refused (it becomes a dead letter)
     │    └── TargetUnavailableError  the whole target is down (retryable)
     └── StateError                   the Redis state store failed (retryable)

Every class says whether it is transient through the class attribute ``retryable``; actors retry
only those. Structured fields (tenant, catalog, status, retry_after_s) travel with the exception so
logs and metrics never parse messages. Messages never contain tokens.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AkeneoSyncError",
    "CatalogDisabledError",
    "CatalogNotFoundError",
    "ConfigError",
    "MappingSchemaMissingError",
    "PimError",
    "PimUnavailableError",
    "PimValidationError",
    "RateLimitedError",
    "ScopeError",
    "StateError",
    "TargetError",
    "TargetRejectedError",
    "TargetUnavailableError",
    "TenantConflictError",
    "TokenRevokedError",
]


class AkeneoSyncError(Exception):
    """Root of every error akeneo-sync raises on purpose."""

    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, tenant: str | None = None, catalog: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tenant = tenant
        self.catalog = catalog


class ConfigError(AkeneoSyncError):
    """Raised at start when settings are missing or invalid."""


class PimError(AkeneoSyncError):
    """Raised when the PIM answers with an error status or does not answer at all."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str = "",
        status: int | None = None,
        body: str = "",
        tenant: str | None = None,
        catalog: str | None = None,
    ) -> None:
        super().__init__(message, tenant=tenant, catalog=catalog)
        self.endpoint = endpoint
        self.status = status
        # Trimmed so a huge HTML error page never floods a log line.
        self.body = body[:500]


class TokenRevokedError(PimError):
    """Raised on a 401 with an app token: the user revoked the app; only re-activation helps."""


class ScopeError(PimError):
    """Raised on a 403: the token lacks a scope or permission for this call."""


class CatalogDisabledError(PimError):
    """Raised when a product endpoint answers 200 with an `error` body: the catalog is disabled."""


class MappingSchemaMissingError(PimError):
    """Raised when an enabled catalog's mapped products answer 200 with an error body (the PIM has
    no mapping schema for it) and the app has no schema to push, or pushing it did not help.

    Not a disabled catalog: the catalog stays live and the next run tries again."""


class CatalogNotFoundError(PimError):
    """Raised on a 404 for a catalog: it was deleted, or it belongs to another app."""


class PimValidationError(PimError):
    """Raised on a 400 or 422: the PIM refused the request; `errors` holds its messages."""

    def __init__(self, message: str, *, errors: list[str] | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.errors = errors or []


class RateLimitedError(PimError):
    """Raised when 429s outlast the retry budget; `retry_after_s` is the PIM's last hint."""

    retryable = True

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after_s = retry_after_s


class PimUnavailableError(PimError):
    """Raised when 5xx, 408, timeouts or dropped connections outlast the retry budget."""

    retryable = True


class TargetError(AkeneoSyncError):
    """Raised when the downstream platform fails."""


class TargetRejectedError(TargetError):
    """Raised for one item the target refused; the item becomes a dead letter with `reason`."""

    def __init__(self, message: str, *, uuid: str, reason: str, **kwargs: str | None) -> None:
        super().__init__(message, **kwargs)
        self.uuid = uuid
        self.reason = reason


class TargetUnavailableError(TargetError):
    """Raised when the whole target is down or keeps failing transiently."""

    retryable = True


class StateError(AkeneoSyncError):
    """Raised when the Redis state store cannot be read or written."""

    retryable = True


class TenantConflictError(AkeneoSyncError):
    """Raised when a tenant id is already held by another PIM: a tenant is never handed to a new URL."""
