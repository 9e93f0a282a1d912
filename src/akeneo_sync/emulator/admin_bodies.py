"""The bodies the `/_emulator/` admin routes accept, strict: a typo fails loudly instead of doing nothing."""

from __future__ import annotations

import json
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from akeneo_sync.emulator.protocol import ApiError

__all__ = [
    "DEFAULT_AUTHOR",
    "AppIn",
    "ConnectionIn",
    "CountsIn",
    "ModelBody",
    "ModelEdit",
    "ProductIn",
    "RevokeIn",
    "SelectionIn",
    "TokenIn",
    "VariantBody",
    "parse_body",
]

Body = TypeVar("Body", bound=BaseModel)
# Who an admin edit's events name as their author when the request names nobody.
DEFAULT_AUTHOR: Final = {"identifier": "emulator-admin", "type": "user"}


def parse_body(model: type[Body], raw: bytes) -> Body:
    """An admin request's body as `model` (an empty body is `{}`), or a 422 listing the problems."""
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise ApiError(422, "Invalid admin request.", extra={"errors": json.loads(exc.json())}) from exc


class _Strict(BaseModel):
    """Unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AppIn(_Strict):
    """An app registration."""

    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    scopes: list[str] | None = None
    callback_url: str | None = None


class TokenIn(_Strict):
    """A direct app-token request."""

    client_id: str = Field(min_length=1)
    scopes: list[str] | None = None


class RevokeIn(_Strict):
    """The token to revoke."""

    access_token: str


class ConnectionIn(_Strict):
    """A connection's credentials."""

    client_id: str = Field(min_length=1)
    secret: str = Field(min_length=1)
    username: str
    password: str
    expires_in: float | None = Field(default=None, gt=0)


class SelectionIn(_Strict):
    """A catalog's product selection."""

    enabled_only: bool = True
    families: list[str] | None = None
    categories: list[str] | None = None
    updated_after: str | None = None


class ProductIn(_Strict):
    """A product creation or change."""

    uuid: str | None = None
    values: dict[str, Any] = Field(default_factory=dict)
    enabled: bool | None = None
    family: str | None = None
    categories: list[str] | None = None
    author: dict[str, str] | None = None


class CountsIn(_Strict):
    """Whether product-uuids answers `with_count`."""

    serve: bool


class VariantBody(_Strict):
    """A variant: one option code per axis of its family (`{"color": "blue", "size": "m"}`)."""

    axes: dict[str, str]
    values: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    uuid: str | None = None
    author: dict[str, str] | None = None


class ModelBody(_Strict):
    """A root model with its variants; `family` is `tshirts` (color, size) or `shoes` (size)."""

    code: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_]+$")
    family: str
    values: dict[str, Any] = Field(default_factory=dict)
    categories: list[str] | None = None
    variants: list[VariantBody] = Field(default_factory=list)
    author: dict[str, str] | None = None


class ModelEdit(_Strict):
    """A change to a root or sub-model's values (null removes one) or categories."""

    values: dict[str, Any] = Field(default_factory=dict)
    categories: list[str] | None = None
    author: dict[str, str] | None = None
