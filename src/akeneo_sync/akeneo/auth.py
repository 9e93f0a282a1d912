"""Token providers: where `AkeneoClient` gets its bearer token, and what a 401 means.

An app token never expires, so a 401 can only mean revocation: no refresh, no retry. A
connection token (password grant at `/api/oauth/v1/token`) expires, so it is refreshed before its
expiry and once more when the PIM rejects it.
"""

from __future__ import annotations

import threading
from typing import Final, Protocol

import httpx
from pydantic import ValidationError

from akeneo_sync.akeneo.models import ErrorBody, TokenResponse
from akeneo_sync.akeneo.types import TokenGrant
from akeneo_sync.clock import Clock
from akeneo_sync.errors import PimError, PimUnavailableError, PimValidationError, TokenRevokedError
from akeneo_sync.logging import get_logger
from akeneo_sync.metrics import PIM_REQUESTS, TOKEN_REFRESHES

__all__ = ["CONNECTION_TOKEN_PATH", "AppTokenProvider", "ConnectionTokenProvider", "TokenProvider"]

CONNECTION_TOKEN_PATH: Final = "/api/oauth/v1/token"  # noqa: S105 -- a URL path, not a secret
# Akeneo's documented default lifetime, used when a token response omits `expires_in`.
_DEFAULT_EXPIRES_IN_S: Final = 3600.0
_log = get_logger(__name__)


class TokenProvider(Protocol):
    """Supplies the bearer token for each request and decides what a 401 means."""

    def token(self) -> str:
        """The token to send now (may refresh first)."""
        ...

    def on_unauthorized(self, rejected: str) -> bool:
        """The PIM refused `rejected`: True if a fresh token is now available to retry once with."""
        ...


class AppTokenProvider:
    """An app token: it never expires, so a 401 means the user revoked the app."""

    __slots__ = ("_token",)

    def __init__(self, access_token: str) -> None:
        self._token = access_token

    def __repr__(self) -> str:
        return "AppTokenProvider(***)"

    def token(self) -> str:
        """The app token."""
        return self._token

    def on_unauthorized(self, rejected: str) -> bool:
        """Never retry: only a new activation by a human brings a new token."""
        return False


class ConnectionTokenProvider:
    """A connection token from the password grant, refreshed `refresh_margin_s` before it expires.

    One lock serialises fetches, so many threads finding the token stale cause one refresh.
    """

    def __init__(
        self,
        http: httpx.Client,
        pim_url: str,
        *,
        client_id: str,
        secret: str,
        username: str,
        password: str,
        clock: Clock,
        refresh_margin_s: float = 60.0,
    ) -> None:
        self._http = http
        self._url = f"{pim_url.rstrip('/')}{CONNECTION_TOKEN_PATH}"
        self._auth = httpx.BasicAuth(client_id, secret)
        self._username = username
        self._password = password
        self._clock = clock
        self._margin_s = refresh_margin_s
        self._lock = threading.Lock()
        self._grant: TokenGrant | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:
        return f"ConnectionTokenProvider({self._url!r})"

    def token(self) -> str:
        """A token valid for at least the refresh margin, fetching or refreshing it if needed."""
        with self._lock:
            grant = self._grant
            if grant is None or self._clock.monotonic() >= self._expires_at - self._margin_s:
                grant = self._renew()
            return grant.access_token

    def on_unauthorized(self, rejected: str) -> bool:
        """Refresh unless another thread already replaced the rejected token; then retry once."""
        with self._lock:
            if self._grant is None or self._grant.access_token == rejected:
                self._renew()
        return True

    def _renew(self) -> TokenGrant:
        grant = self._grant
        if grant is not None and grant.refresh_token:
            try:
                fresh = self._request({"grant_type": "refresh_token", "refresh_token": grant.refresh_token})
            except PimValidationError:
                # The refresh token itself expired (14 days) or was revoked: start over.
                _log.info("connection_refresh_token_refused")
            else:
                TOKEN_REFRESHES.labels(result="refreshed").inc()
                return self._store(fresh)
        fresh = self._request({"grant_type": "password", "username": self._username, "password": self._password})
        TOKEN_REFRESHES.labels(result="password").inc()
        return self._store(fresh)

    def _store(self, grant: TokenGrant) -> TokenGrant:
        self._grant = grant
        self._expires_at = self._clock.monotonic() + (grant.expires_in_s or _DEFAULT_EXPIRES_IN_S)
        return grant

    def _request(self, body: dict[str, str]) -> TokenGrant:
        try:
            response = self._http.post(self._url, json=body, auth=self._auth)
        except httpx.HTTPError as exc:
            PIM_REQUESTS.labels(endpoint="token", status="error").inc()
            TOKEN_REFRESHES.labels(result="failed").inc()
            raise PimUnavailableError(f"token request failed: {type(exc).__name__}", endpoint="token") from exc
        status = response.status_code
        PIM_REQUESTS.labels(endpoint="token", status=str(status)).inc()
        if response.is_success:
            try:
                return TokenResponse.model_validate_json(response.content).to_grant()
            except ValidationError as exc:
                TOKEN_REFRESHES.labels(result="failed").inc()
                raise PimError("token endpoint answered a malformed body", endpoint="token", status=status) from exc
        TOKEN_REFRESHES.labels(result="failed").inc()
        try:
            messages = ErrorBody.model_validate_json(response.content).messages()
        except ValidationError:
            messages = []
        detail = "; ".join(messages) or f"HTTP {status}"
        if status >= 500 or status in (408, 429):
            raise PimUnavailableError(f"token request failed: {detail}", endpoint="token", status=status)
        if status == 401:
            raise TokenRevokedError(f"connection credentials refused: {detail}", endpoint="token", status=status)
        raise PimValidationError(f"token request refused: {detail}", errors=messages, endpoint="token", status=status)
