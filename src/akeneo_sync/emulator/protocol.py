"""Akeneo's REST conventions shared by every endpoint: error bodies, links, dates, bearer auth."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from akeneo_sync.emulator.auth import AuthError, Token
from akeneo_sync.emulator.catalog_data import atom
from akeneo_sync.emulator.runtime import emulator_of

__all__ = [
    "API_PREFIX",
    "ApiError",
    "api_error_response",
    "atom",
    "authenticate",
    "base_url",
    "href",
    "json_response",
    "parse_atom",
    "read_json",
    "require_scopes",
]

API_PREFIX: Final = "/api/rest/v1"
# PHP's DATE_ATOM, which Akeneo's catalog queries validate (docs/akeneo.md, row 5).
_ACCEPTABLE: Final = frozenset({"application/json", "application/*", "*/*", ""})
_ATOM: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


class ApiError(Exception):
    """An error answer with Akeneo's `{"code", "message"}` body (plus optional extra keys)."""

    def __init__(
        self, status: int, message: str, *, extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra or {}
        self.headers = headers or {}


def api_error_response(_request: Request, exc: Exception) -> Response:
    """Render an `ApiError` (registered as a Starlette exception handler)."""
    if not isinstance(exc, ApiError):
        raise exc
    return json_response({"code": exc.status, "message": exc.message, **exc.extra}, exc.status, exc.headers)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer."""
    return JSONResponse(body, status_code=status, headers=headers)


def base_url(request: Request) -> str:
    """The PIM base URL as the caller reached it, so hrefs are absolute and reachable."""
    return f"{request.url.scheme}://{request.url.netloc}"


def href(request: Request, path: str, params: dict[str, str] | None = None) -> dict[str, str]:
    """A `{"href": ...}` link object with an absolute URL; `+` in values is sent as `%2B`."""
    query = f"?{urlencode(params)}" if params else ""
    return {"href": f"{base_url(request)}{path}{query}"}


def parse_atom(raw: str) -> int:
    """Epoch seconds of an ATOM date; 422 `ISO 8601 format is required.` otherwise."""
    if not _ATOM.match(raw):
        raise ApiError(422, "ISO 8601 format is required.")
    try:
        return int(datetime.fromisoformat(raw).timestamp())
    except ValueError as exc:
        raise ApiError(422, "ISO 8601 format is required.") from exc


async def read_json(request: Request) -> Any:
    """The JSON body of a write; 415 for another content type, 400 when malformed."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        shown = content_type or "none"
        raise ApiError(
            415,
            f"\u2018{shown}\u2019 in \u2018Content-type\u2019 header is not valid.  "
            "Only \u2018application/json\u2019 is allowed.",
        )
    raw = await request.body()
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "Invalid json message received") from exc


def authenticate(request: Request) -> Token:
    """First step of every API endpoint: 406 for a non-JSON `Accept`, then the caller's live token
    (401 for a missing, unknown, expired or revoked one)."""
    accept = request.headers.get("accept", "*/*")
    if not any(kind.split(";")[0].strip() in _ACCEPTABLE for kind in accept.split(",")):
        raise ApiError(
            406,
            f"\u2018{accept}\u2019 in \u2018Accept\u2019 header is not valid. "
            "Only \u2018application/json\u2019 is allowed.",
        )
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "Authentication is required")
    try:
        return emulator_of(request).auth.authenticate(value.strip())
    except AuthError as exc:
        raise ApiError(401, exc.description) from exc


def require_scopes(token: Token, scopes: tuple[str, ...], action: str) -> None:
    """403 with Akeneo's wording when a scope is missing (only Akeneo's tests show the mapping)."""
    if any(scope not in token.scopes for scope in scopes):
        raise ApiError(403, f"Access forbidden. You are not allowed to {action}.")
