"""Reading a PIM's 2xx answers: JSON, shapes, the 200-with-`error` bodies, and next links.

A 2xx answer can still be unusable: a body that is not JSON or not the documented shape (a proxy,
a truncated transfer — retryable), or Akeneo's 200 with an `error` body for a disabled catalog
(or one missing its mapping schema). `AnswerReader` turns each into the typed error the client
raises, with the tenant and catalog attached; `on_pim` keeps the bearer token on the PIM's host.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ValidationError

from akeneo_sync.akeneo.models import disabled_reason
from akeneo_sync.errors import CatalogDisabledError, MappingSchemaMissingError, PimError, PimUnavailableError
from akeneo_sync.logging import get_logger

__all__ = ["AnswerReader", "on_pim"]

_log = get_logger(__name__)
_ModelT = TypeVar("_ModelT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class AnswerReader:
    """Turns one tenant's 2xx answers into values, or into the error they stand for."""

    tenant: str | None

    def json(self, response: httpx.Response, endpoint: str, catalog: str | None = None) -> object:
        """The body as JSON; a retryable error when it is not JSON."""
        try:
            return response.json()
        except ValueError as exc:
            raise self.malformed(endpoint, catalog, "a body that is not JSON") from exc

    def validate(self, model: type[_ModelT], data: object, endpoint: str, catalog: str | None) -> _ModelT:
        """`data` as `model`; a retryable error when it has another shape."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise self.malformed(endpoint, catalog, f"an unexpected shape ({exc.error_count()} problems)") from exc

    def parse(
        self, model: type[_ModelT], response: httpx.Response, endpoint: str, catalog: str | None = None
    ) -> _ModelT:
        """The body read as JSON, then as `model`."""
        return self.validate(model, self.json(response, endpoint, catalog), endpoint, catalog)

    def malformed(self, endpoint: str, catalog: str | None, what: str) -> PimUnavailableError:
        """The error for an unreadable 2xx body."""
        # Retryable: a garbled 2xx body is almost always a proxy or a truncated transfer.
        message = f"{endpoint}: the PIM answered {what}"
        return PimUnavailableError(message, endpoint=endpoint, status=200, tenant=self.tenant, catalog=catalog)

    def raise_if_disabled(self, data: object, endpoint: str, catalog: str, *, single: bool) -> None:
        """Raise `CatalogDisabledError` for Akeneo's 200-with-`error` body."""
        reason = disabled_reason(data, single=single)
        if reason is not None:
            _log.info("pim_catalog_disabled", endpoint=endpoint, catalog=catalog, tenant=self.tenant)
            raise CatalogDisabledError(
                reason, endpoint=endpoint, status=200, body=reason, tenant=self.tenant, catalog=catalog
            )

    def raise_if_still_unmapped(self, data: object, endpoint: str, catalog: str, *, single: bool) -> None:
        """Raise when mapped products are still refused right after the schema was pushed again."""
        # An error body now is not a disabled catalog either (it was enabled a moment ago), and
        # marking it disabled would start a full sync at every poll.
        reason = disabled_reason(data, single=single)
        if reason is not None:
            raise MappingSchemaMissingError(
                f"mapped products still unavailable after the mapping schema was pushed again: {reason}",
                endpoint=endpoint,
                status=200,
                body=reason,
                tenant=self.tenant,
                catalog=catalog,
            )


def on_pim(base: str, url: str, tenant: str | None) -> str:
    """The link rebuilt on the PIM base (its scheme, host and port), or refused if it names another host.

    A next link (or a checkpointed one) gets the bearer token, so only its host decides; a
    TLS-terminating proxy in front of the PIM makes it write `http://` links for an `https://`
    base, which would otherwise send the token in clear or fail.
    """
    link, pim = urlsplit(urljoin(base + "/", url)), urlsplit(base)
    if (link.hostname or "") != (pim.hostname or ""):
        raise PimError(
            f"a next-page link points to another host than the PIM ({link.hostname or 'no host'!s})",
            endpoint="pagination",
            tenant=tenant,
        )
    return urlunsplit((pim.scheme, pim.netloc, link.path, link.query, ""))
