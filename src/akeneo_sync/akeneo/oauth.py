"""The Akeneo Apps OAuth helpers: authorize URL, `code_challenge`, and the code exchange.

The exchange is never retried: an authorization code is single-use and lives 30 seconds, so a
second attempt after an ambiguous failure would only earn `invalid_grant` and hide the real error.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Iterable
from typing import Final
from urllib.parse import urlencode

import httpx
from pydantic import ValidationError

from akeneo_sync.akeneo.models import ErrorBody, TokenResponse
from akeneo_sync.akeneo.types import TokenGrant
from akeneo_sync.errors import PimError, PimUnavailableError, PimValidationError, RateLimitedError
from akeneo_sync.logging import get_logger
from akeneo_sync.metrics import PIM_REQUESTS

__all__ = [
    "AUTHORIZE_PATH",
    "TOKEN_PATH",
    "authorize_url",
    "code_challenge",
    "exchange_code",
    "new_code_identifier",
    "new_state",
]

AUTHORIZE_PATH: Final = "/connect/apps/v1/authorize"
TOKEN_PATH: Final = "/connect/apps/v1/oauth2/token"  # noqa: S105 -- a URL path, not a secret
# A token answer is a few hundred bytes; a PIM sending more is not answering a token request.
_MAX_TOKEN_BODY_BYTES: Final = 64 * 1024
_log = get_logger(__name__)


def new_state() -> str:
    """A fresh anti-CSRF `state` value (the official samples use 10 random bytes as hex)."""
    return secrets.token_hex(10)


def new_code_identifier() -> str:
    """A fresh high-entropy `code_identifier` for one token request."""
    return secrets.token_hex(32)


def code_challenge(code_identifier: str, client_secret: str) -> str:
    """SHA-256 of `code_identifier + client_secret` (no separator), as lowercase hex."""
    return hashlib.sha256((code_identifier + client_secret).encode("utf-8")).hexdigest()


def authorize_url(pim_url: str, *, client_id: str, scopes: Iterable[str], state: str) -> str:
    """Where to send the user's browser to approve the app (`response_type=code`)."""
    query = urlencode({"response_type": "code", "client_id": client_id, "scope": " ".join(scopes), "state": state})
    return f"{pim_url.rstrip('/')}{AUTHORIZE_PATH}?{query}"


def exchange_code(
    http: httpx.Client,
    pim_url: str,
    *,
    client_id: str,
    client_secret: str,
    code: str,
    code_identifier: str | None = None,
    deadline_s: float = 10.0,
) -> TokenGrant:
    """Swap an authorization code for an app token; the secret itself is never sent.

    The whole exchange (answer included) must end within `deadline_s`: the PIM URL came from an
    unauthenticated request, and a PIM dripping its answer would otherwise hold the web thread.
    """
    identifier = code_identifier or new_code_identifier()
    form = {
        "client_id": client_id,
        "code": code,
        "grant_type": "authorization_code",
        "code_identifier": identifier,
        "code_challenge": code_challenge(identifier, client_secret),
    }
    url = f"{pim_url.rstrip('/')}{TOKEN_PATH}"
    try:
        response = _post_bounded(http, url, form, deadline_s)
    except httpx.HTTPError as exc:
        PIM_REQUESTS.labels(endpoint="token", status="error").inc()
        raise PimUnavailableError(f"token exchange failed: {type(exc).__name__}", endpoint="token") from exc
    PIM_REQUESTS.labels(endpoint="token", status=str(response.status_code)).inc()
    if response.is_success:
        try:
            return TokenResponse.model_validate_json(response.content).to_grant()
        except ValidationError as exc:
            raise PimError(
                "token exchange answered with a malformed body", endpoint="token", status=response.status_code
            ) from exc
    raise _exchange_error(response)


def _post_bounded(http: httpx.Client, url: str, form: dict[str, str], deadline_s: float) -> httpx.Response:
    started = time.monotonic()
    with http.stream("POST", url, data=form) as streamed:
        body = b""
        for chunk in streamed.iter_bytes():
            body += chunk
            if len(body) > _MAX_TOKEN_BODY_BYTES:
                raise httpx.DecodingError("token answer too large", request=streamed.request)
            if time.monotonic() - started > deadline_s:
                raise httpx.ReadTimeout(f"token answer not complete within {deadline_s:g} s", request=streamed.request)
        wire = {"content-encoding", "content-length", "transfer-encoding"}
        headers = [(k, v) for k, v in streamed.headers.multi_items() if k.lower() not in wire]
        return httpx.Response(streamed.status_code, headers=headers, content=body, request=streamed.request)


def _exchange_error(response: httpx.Response) -> PimError:
    status = response.status_code
    body = response.text
    try:
        messages = ErrorBody.model_validate(json.loads(body)).messages()
    except (ValueError, ValidationError):
        messages = []
    detail = "; ".join(messages) or f"HTTP {status}"
    _log.warning("oauth_exchange_refused", status=status, detail=detail)
    if status == 429:
        return RateLimitedError(f"token exchange throttled: {detail}", endpoint="token", status=status, body=body)
    if status >= 500 or status == 408:
        return PimUnavailableError(f"token exchange failed: {detail}", endpoint="token", status=status, body=body)
    # RFC 6749 §5.2 errors (invalid_grant, invalid_client, ...) all mean "this exchange is refused".
    return PimValidationError(
        f"token exchange refused: {detail}", errors=messages, endpoint="token", status=status, body=body
    )
