"""The drift probe: two requests per incremental run that notice what never bumps `updated`.

A PIM user who remaps a target, widens or narrows the catalog's selection, or renames an option
changes what the app must show without changing any product's `updated` date, and without an
event. An incremental run cannot see that. So before it pages, the run asks:

1. one page of **product UUIDs** (up to 1,000, no date filter), starting where the last probe
   stopped. After the run, a listed product still unknown to the target (and not dead-lettered)
   has an `updated` date older than the run's window: it entered the selection. When the page
   covers the whole catalog, a known product it does not list has left.
2. one page of **mapped products** (up to 100) last updated *before* the run's window, starting
   where the last probe stopped. Those products were pushed already; one whose digest changed was
   remapped (a mapping change alters every product's digest while `updated` stays put).

Drift is answered by a refresh: a full run, whose digest skip pushes only what changed and whose
deletion diff removes what left. Both pages move on at every probe, so a catalog of N products is
swept whole every N / 1,000 (selection) and N / 100 (mapping) incremental runs; a change that
touches k products of N is seen by one probe with probability about 1 - (1 - 1000/N)^k.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from akeneo_sync import metrics
from akeneo_sync.logging import get_logger
from akeneo_sync.state import StateStore
from akeneo_sync.state.digests import UNCONFIRMED, is_canonical_uuid, pack_uuid
from akeneo_sync.sync.batch import prepare_page
from akeneo_sync.sync.ports import CatalogSource
from akeneo_sync.sync.validate import ProductValidator

__all__ = ["DriftProbe", "DriftReport", "start_probe"]

_log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DriftReport:
    """What one probe found; any count above zero calls for a refresh."""

    requests: int = 0
    remapped: int = 0  # probed products whose mapped content differs from what was pushed
    entered: int = 0  # listed products with an old `updated` the target never received
    left: int = 0  # known products the PIM no longer lists (only when the probe saw the whole catalog)

    @property
    def found(self) -> bool:
        """Whether the target no longer matches the catalog."""
        return bool(self.remapped or self.entered or self.left)

    def kinds(self) -> tuple[str, ...]:
        """The kinds of drift found, as metric labels."""
        counts = {"mapping": self.remapped, "entered": self.entered, "left": self.left}
        return tuple(kind for kind, count in counts.items() if count)


@dataclass(slots=True)
class DriftProbe:
    """A probe's first half, taken before the run pages; `finish` reads it after the run."""

    state: StateStore
    tenant: str
    catalog: str
    # Listed products unknown to the target when the probe was sent (new ones or entered ones).
    unknown: tuple[str, ...]
    remapped: int
    left: int
    requests: int
    # Where the next probe starts; recorded by `finish` only, so a run that fails after probing
    # leaves the positions as they were and its successor looks at the same pages again.
    next_positions: tuple[str | None, str | None]

    def finish(self) -> DriftReport:
        """Compare the listed products with what the run left known, and record the finding."""
        state, tenant, catalog = self.state, self.tenant, self.catalog
        keys = [pack_uuid(u) for u in self.unknown]
        digests = state.digests.get_packed(tenant, catalog, keys) if keys else []
        # Unknown before the run and still unknown after it: the run's window did not bring them,
        # so their `updated` is older than it. (A product known before and gone now was deleted
        # by an event meanwhile; it entered nothing.)
        unknown = [u for u, digest in zip(self.unknown, digests, strict=True) if digest is None]
        # Variants are products too (variants mode): those pushed with their model are known.
        variants = state.models.models_of(tenant, catalog, unknown)
        unknown = [u for u in unknown if u not in variants]
        entered = len(unknown) - len(state.dead_letters.held(tenant, catalog, unknown))
        report = DriftReport(requests=self.requests, remapped=self.remapped, entered=entered, left=self.left)
        state.catalogs.set_probe_positions(tenant, catalog, *self.next_positions)
        for kind in report.kinds():
            metrics.DRIFT_DETECTED.labels(kind=kind).inc()
        if report.found:
            _log.info(
                "drift_detected",
                tenant=tenant,
                catalog=catalog,
                remapped=report.remapped,
                entered=report.entered,
                left=report.left,
            )
        return report


def start_probe(
    source: CatalogSource,
    state: StateStore,
    tenant: str,
    catalog: str,
    *,
    window_start: datetime,
    validator: ProductValidator | None = None,
    uuid_limit: int = 1000,
    page_size: int = 100,
) -> DriftProbe:
    """Send the probe's two requests; `window_start` is where the incremental run's window opens."""
    uuids_after, mapped_after = state.catalogs.probe_positions(tenant, catalog)
    # The known count is read before the page, so a product pushed meanwhile cannot look "left".
    known_before = state.digests.count(tenant, catalog)
    listing = source.product_uuids_page(catalog, search_after=uuids_after, limit=uuid_limit)
    listed = tuple(u for u in listing.items if isinstance(u, str) and is_canonical_uuid(u))
    digests = state.digests.get_packed(tenant, catalog, [pack_uuid(u) for u in listed]) if listed else []
    unknown = tuple(u for u, digest in zip(listed, digests, strict=True) if digest is None)
    left = 0
    if uuids_after is None and listing.next_url is None:
        # The page is the whole catalog: every product the target holds must be on it.
        left = max(0, known_before - (len(listed) - len(unknown)))
    page = source.mapped_products_page(catalog, search_after=mapped_after, updated_before=window_start, limit=page_size)
    prepared = prepare_page(state, tenant, catalog, page.items, validator)
    new = set(prepared.unknown)
    stored = state.digests.get_many(tenant, catalog, [p.uuid for p in prepared.changed if p.uuid not in new])
    # Not evidence of a remap: a push still unconfirmed (a run died mid-push), or a change the
    # target refused (its dead letter holds it; the digest stays the accepted one).
    suspects = [uuid for uuid, digest in stored.items() if digest != UNCONFIRMED]
    remapped = len(suspects) - len(state.dead_letters.held(tenant, catalog, suspects))
    positions = (
        listed[-1] if listing.next_url is not None and listed else None,
        _last_uuid(page.items) if page.next_url is not None else None,
    )
    return DriftProbe(state, tenant, catalog, unknown, remapped, left, requests=2, next_positions=positions)


def _last_uuid(items: list[dict[str, object]]) -> str | None:
    for item in reversed(items):
        value = item.get("uuid")
        if isinstance(value, str) and is_canonical_uuid(value):
            return value
    return None
