"""What a PIM's answer means: the status table, and the typed error a final error answer becomes.

`STATUS_RULES` (plus the 5xx and transport rules) says for every answer whether to back off and
retry and which `PimError` to raise; `PimSender` (akeneo/http.py) applies it to every API call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

import httpx
from pydantic import ValidationError

from akeneo_sync.akeneo.models import ErrorBody
from akeneo_sync.errors import (
    CatalogNotFoundError,
    PimError,
    PimUnavailableError,
    PimValidationError,
    RateLimitedError,
    ScopeError,
    TokenRevokedError,
)

__all__ = [
    "OTHER_STATUS_RULE",
    "SERVER_ERROR_RULE",
    "STATUS_RULES",
    "TRANSPORT_RULE",
    "StatusRule",
    "rule_for_status",
    "status_error",
]


@dataclass(frozen=True, slots=True)
class StatusRule:
    """What an answer means: the error to raise, and whether (and why) to back off and retry first."""

    error: type[PimError]
    retry: bool = False
    backoff_reason: str = ""


# 401 is special-cased before this table: a connection token gets one refresh and retry.
STATUS_RULES: Final[Mapping[int, StatusRule]] = MappingProxyType(
    {
        400: StatusRule(PimValidationError),
        401: StatusRule(TokenRevokedError),
        403: StatusRule(ScopeError),
        404: StatusRule(CatalogNotFoundError),
        408: StatusRule(PimUnavailableError, retry=True, backoff_reason="backoff_408"),
        422: StatusRule(PimValidationError),
        429: StatusRule(RateLimitedError, retry=True, backoff_reason="backoff_429"),
    }
)
SERVER_ERROR_RULE: Final = StatusRule(PimUnavailableError, retry=True, backoff_reason="backoff_5xx")
TRANSPORT_RULE: Final = StatusRule(PimUnavailableError, retry=True, backoff_reason="backoff_transport")
# 405/406/409/413/415 and anything unexpected: a client bug or a state conflict, never retried.
OTHER_STATUS_RULE: Final = StatusRule(PimError)


def rule_for_status(status: int) -> StatusRule:
    """The rule for an HTTP error status."""
    if status in STATUS_RULES:
        return STATUS_RULES[status]
    if 500 <= status <= 599:
        return SERVER_ERROR_RULE
    return OTHER_STATUS_RULE


def status_error(
    rule: StatusRule,
    response: httpx.Response,
    *,
    attempts: int,
    retry_after_s: float | None,
    endpoint: str,
    tenant: str | None = None,
    catalog: str | None = None,
) -> PimError:
    """The error for a final error answer, with the PIM's messages and a trimmed body."""
    status = response.status_code
    try:
        messages = ErrorBody.model_validate_json(response.content).messages()
    except ValidationError:
        messages = []
    detail = "; ".join(messages) or response.reason_phrase or "no detail"
    suffix = f" after {attempts} attempts" if rule.retry else ""
    message = f"{endpoint}: HTTP {status}{suffix}: {detail}"
    fields: dict[str, Any] = {
        "endpoint": endpoint,
        "status": status,
        "body": response.text,
        "tenant": tenant,
        "catalog": catalog,
    }
    if rule.error is PimValidationError:
        return PimValidationError(message, errors=messages, **fields)
    if rule.error is RateLimitedError:
        return RateLimitedError(message, retry_after_s=retry_after_s, **fields)
    return rule.error(message, **fields)
