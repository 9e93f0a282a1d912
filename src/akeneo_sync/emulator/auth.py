"""Who may call: registered apps, authorization codes, app tokens and connection tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field

from akeneo_sync.emulator.config import DEFAULT_APP_SCOPES, EmulatorConfig

__all__ = ["App", "AuthError", "AuthRegistry", "Connection", "Token", "expand_scopes"]


class AuthError(Exception):
    """An OAuth failure, carried as RFC 6749 §5.2 fields (or Akeneo's 422 for connections)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def expand_scopes(scopes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Granted scopes plus the read scopes a write/delete scope implies (Akeneo's authorization docs)."""
    granted = dict.fromkeys(scopes)
    for scope in scopes:
        for prefix in ("write_", "delete_"):
            if scope.startswith(prefix):
                granted.setdefault("read_" + scope.removeprefix(prefix))
    return tuple(granted)


@dataclass(frozen=True, slots=True)
class App:
    """An app registered in the PIM (a custom app: client id, secret, callback)."""

    client_id: str
    client_secret: str
    scopes: tuple[str, ...] | None
    callback_url: str | None


@dataclass(frozen=True, slots=True)
class Connection:
    """A connection's credentials for the `/api/oauth/v1/token` grants."""

    client_id: str
    secret: str
    username: str
    password: str
    expires_in: float


@dataclass(slots=True)
class Token:
    """An access token; `expires_at` None means it never expires (app tokens)."""

    value: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float | None = None
    revoked: bool = False


@dataclass(slots=True)
class _Code:
    client_id: str
    scopes: tuple[str, ...]
    issued_at: float
    used: bool = False


@dataclass(slots=True)
class _State:
    apps: dict[str, App] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    refresh: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (client_id, expiry)


class AuthRegistry:
    """Apps, connections, codes and tokens; every method is atomic."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._state = _State()

    def reset(self) -> None:
        """Forget every app, connection, code and token."""
        with self._lock:
            self._state = _State()

    def register_app(self, app: App) -> None:
        """Add or replace an app."""
        with self._lock:
            self._state.apps[app.client_id] = app

    def register_connection(self, connection: Connection) -> None:
        """Add or replace a connection."""
        with self._lock:
            self._state.connections[connection.client_id] = connection

    def app(self, client_id: str) -> App | None:
        """A registered app, or None."""
        with self._lock:
            return self._state.apps.get(client_id)

    def mint_app_token(self, client_id: str, scopes: list[str] | None) -> Token:
        """An app token that never expires (what the PIM hands out after consent)."""
        granted = expand_scopes(scopes if scopes is not None else list(DEFAULT_APP_SCOPES))
        token = Token(secrets.token_urlsafe(32), client_id, granted)
        with self._lock:
            self._state.tokens[token.value] = token
        return token

    def revoke(self, access_token: str) -> Token | None:
        """Revoke a token; returns it, or None when it was unknown."""
        with self._lock:
            token = self._state.tokens.get(access_token)
            if token is not None:
                token.revoked = True
            return token

    def authenticate(self, access_token: str) -> Token:
        """The live token for a bearer value; `AuthError` (401) when unknown, revoked or expired."""
        with self._lock:
            token = self._state.tokens.get(access_token)
        # FOSOAuthServerBundle's wording, which the PIM relays (docs/akeneo.md, "OAuth, tokens and scopes").
        if token is None or token.revoked:
            raise AuthError(401, "invalid_grant", "The access token provided is invalid.")
        if token.expires_at is not None and self._config.clock.now() >= token.expires_at:
            raise AuthError(401, "invalid_grant", "The access token provided has expired.")
        return token

    # -- Apps authorization-code flow --------------------------------------------------------

    def authorize(self, client_id: str, requested: str) -> tuple[App, str]:
        """Auto-approve an authorization request; returns the app and a fresh code."""
        with self._lock:
            app = self._state.apps.get(client_id)
            if app is None:
                raise AuthError(400, "invalid_client", "The client id is unknown.")
            if not app.callback_url:
                raise AuthError(400, "invalid_request", "The app has no callback URL.")
            wanted = [s for s in requested.split() if s]
            # The consenting user grants what was asked, within what the app may ask for.
            granted = [s for s in wanted if app.scopes is None or s in expand_scopes(app.scopes)]
            code = secrets.token_urlsafe(24)
            self._state.codes[code] = _Code(client_id, expand_scopes(granted), self._config.clock.now())
            return app, code

    def exchange_code(self, client_id: str, code: str, code_identifier: str, code_challenge: str) -> Token:
        """Swap a code for an app token, checking the challenge; codes work once, for 30 s."""
        with self._lock:
            app = self._state.apps.get(client_id)
            if app is None:
                raise AuthError(400, "invalid_client", "The client id is unknown.")
            pending = self._state.codes.get(code)
            if pending is None or pending.client_id != client_id:
                raise AuthError(400, "invalid_grant", "Code is not valid")
            if pending.used:
                raise AuthError(400, "invalid_grant", "Code has already been used")
            if self._config.clock.now() - pending.issued_at >= self._config.auth_code_ttl_s:
                raise AuthError(400, "invalid_grant", "Code has expired")
            expected = hashlib.sha256((code_identifier + app.client_secret).encode()).hexdigest()
            if not hmac.compare_digest(expected, code_challenge.lower()):
                raise AuthError(400, "invalid_client", "Code challenge is not valid")
            pending.used = True
            token = Token(secrets.token_urlsafe(32), client_id, pending.scopes)
            self._state.tokens[token.value] = token
            return token

    # -- Connection grants --------------------------------------------------------------------

    def connection_grant(self, client_id: str, secret: str, form: dict[str, str]) -> tuple[Token, str]:
        """Password or refresh_token grant; returns the access token and a new refresh token."""
        now = self._config.clock.now()
        with self._lock:
            connection = self._state.connections.get(client_id)
            if connection is None or not hmac.compare_digest(connection.secret, secret):
                raise AuthError(
                    422,
                    "invalid_client",
                    'Parameter "client_id" is missing or does not match any client, or secret is invalid',
                )
            grant = form.get("grant_type", "")
            if grant == "password":
                if form.get("username") != connection.username or form.get("password") != connection.password:
                    raise AuthError(422, "invalid_grant", "No user found for the given username and password")
            elif grant == "refresh_token":
                held = self._state.refresh.pop(form.get("refresh_token", ""), None)
                if held is None or held[0] != client_id or now >= held[1]:
                    raise AuthError(422, "invalid_grant", "Refresh token is invalid or has expired")
            else:
                raise AuthError(422, "unsupported_grant_type", 'The "grant_type" must be "password" or "refresh_token"')
            token = Token(
                secrets.token_urlsafe(32),
                client_id,
                expand_scopes(list(DEFAULT_APP_SCOPES)),
                expires_at=now + connection.expires_in,
            )
            refresh = secrets.token_urlsafe(32)
            self._state.tokens[token.value] = token
            self._state.refresh[refresh] = (client_id, now + self._config.refresh_token_ttl_s)
            return token, refresh

    def connection_ttl(self, client_id: str) -> float:
        """The `expires_in` a connection's tokens get."""
        with self._lock:
            connection = self._state.connections.get(client_id)
            return connection.expires_in if connection else self._config.connection_token_ttl_s
