"""The seams of the web side: what it asks of the worker side and of name resolution.

The web process only records intent. Everything slow (PIM calls, target pushes) happens in actors
the lead wires behind `Enqueuer`; tests use a recording implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol

__all__ = ["Enqueuer", "Resolver", "SyncMode"]

SyncMode = Literal["full", "incremental", "refresh"]

# Resolves a host name to the IP addresses it would connect to (as text, IPv4 or IPv6).
# `OSError` or `UnicodeError` mean "does not resolve".
Resolver = Callable[[str], Sequence[str]]


class Enqueuer(Protocol):
    """Puts work on the broker; every method returns once the message is durably queued.

    When the broker cannot be reached a method raises `StateError` (retryable), never a
    third-party exception: the web side then keeps the work buffered or answers 503.
    """

    def app_activated(self, tenant: str) -> None:
        """A tenant was activated (or re-activated): create catalogs, push schemas, subscribe."""
        ...

    def sync_products(self, tenant: str, uuids: Sequence[str]) -> None:
        """These products changed in the PIM: sync them into every enabled catalog of the tenant."""
        ...

    def delete_products(self, tenant: str, uuids: Sequence[str]) -> None:
        """These products were deleted in the PIM: delete them downstream."""
        ...

    def sync_models(self, tenant: str) -> None:
        """Product models changed in the PIM: sync the tenant's live catalogs in variants mode."""
        ...

    def tenant_disconnected(self, tenant: str) -> None:
        """The app was removed from the PIM: stop the tenant's work."""
        ...

    def sync_catalog(self, tenant: str, catalog: str, mode: SyncMode) -> None:
        """Run a full or incremental sync of one catalog."""
        ...

    def reconcile_tenant(self, tenant: str) -> None:
        """Reconcile every enabled catalog of the tenant (events may have been lost)."""
        ...
