"""OAuth endpoints: the Apps authorization-code flow and connection-style tokens (docs/akeneo.md)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from akeneo_sync.emulator.auth import AuthError
from akeneo_sync.emulator.protocol import authenticate, base_url, json_response
from akeneo_sync.emulator.runtime import emulator_of

__all__ = ["routes"]

_EXCHANGE_FIELDS: Final = ("client_id", "code", "grant_type", "code_identifier", "code_challenge")


def _oauth_error(exc: AuthError) -> Response:
    return json_response({"error": exc.error, "error_description": exc.description}, exc.status)


async def authorize(request: Request) -> Response:
    """GET /connect/apps/v1/authorize: auto-approves and redirects to the app's callback."""
    params = request.query_params
    if params.get("response_type") != "code":
        return json_response(
            {"error": "unsupported_response_type", "error_description": 'The "response_type" must be "code".'}, 400
        )
    try:
        app, code = emulator_of(request).auth.authorize(params.get("client_id", ""), params.get("scope", ""))
    except AuthError as exc:
        return _oauth_error(exc)
    parts = urlsplit(app.callback_url or "")
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("code", code)]
    if "state" in params:
        query.append(("state", params["state"]))
    return RedirectResponse(urlunsplit(parts._replace(query=urlencode(query))), status_code=302)


async def exchange(request: Request) -> Response:
    """POST /connect/apps/v1/oauth2/token: form fields, no secret; the challenge proves it."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return json_response(
            {"error": "invalid_request", "error_description": "The body must be application/x-www-form-urlencoded."},
            400,
        )
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    missing = [name for name in _EXCHANGE_FIELDS if not form.get(name)]
    if missing:
        return json_response(
            {"error": "invalid_request", "error_description": f"Missing parameter(s): {', '.join(missing)}."}, 400
        )
    if form["grant_type"] != "authorization_code":
        return json_response(
            {"error": "unsupported_grant_type", "error_description": 'The "grant_type" must be "authorization_code".'},
            400,
        )
    try:
        token = emulator_of(request).auth.exchange_code(
            form["client_id"], form["code"], form["code_identifier"], form["code_challenge"]
        )
    except AuthError as exc:
        return _oauth_error(exc)
    body = {"access_token": token.value, "token_type": "bearer", "scope": " ".join(token.scopes)}
    if "openid" in token.scopes:
        body["id_token"] = emulator_of(request).openid.id_token(base_url(request), token.client_id, token.scopes)
    return json_response(body)


async def notify_scopes_update(request: Request) -> Response:
    """POST /connect/apps/v1/scopes/update?scopes=...: only notifies PIM users, grants nothing.

    Akeneo does not document the response; we answer 200 with an empty object.
    """
    authenticate(request)
    return json_response({})


async def openid_public_key(request: Request) -> Response:
    """GET /connect/apps/v1/openid/public-key: `{"public_key": <PEM certificate>}` (IMPL-ONLY shape)."""
    return json_response({"public_key": emulator_of(request).openid.public_key()})


async def connection_token(request: Request) -> Response:
    """POST /api/oauth/v1/token: Basic client:secret, JSON or form body, password/refresh grants."""
    client_id, secret = _basic_credentials(request.headers.get("authorization", ""))
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body: dict[str, str]
    if content_type == "application/json":
        try:
            loaded = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return json_response({"code": 400, "message": "Invalid json message received"}, 400)
        body = {k: str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
    else:
        body = dict(parse_qsl(raw.decode("utf-8", "replace")))
    auth = emulator_of(request).auth
    try:
        token, refresh = auth.connection_grant(client_id, secret, body)
    except AuthError as exc:
        return json_response({"code": 422, "message": exc.description}, 422)
    return json_response(
        {
            "access_token": token.value,
            "expires_in": int(auth.connection_ttl(client_id)),
            "token_type": "bearer",
            "scope": None,
            "refresh_token": refresh,
        }
    )


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def routes() -> list[Route]:
    """The OAuth routes."""
    return [
        Route("/connect/apps/v1/authorize", authorize, methods=["GET"]),
        Route("/connect/apps/v1/oauth2/token", exchange, methods=["POST"]),
        Route("/connect/apps/v1/openid/public-key", openid_public_key, methods=["GET"]),
        Route("/connect/apps/v1/scopes/update", notify_scopes_update, methods=["POST"]),
        Route("/api/oauth/v1/token", connection_token, methods=["POST"]),
    ]
