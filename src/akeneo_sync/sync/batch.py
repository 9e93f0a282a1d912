"""Turning a page of mapped products into one target batch and one Redis transaction.

`prepare_page` validates, digests and drops what did not change; the caller pushes the rest in a
single `Target.apply` and then `stage_page_result` queues everything the page changes in Redis
(digests of accepted products, seen UUIDs, dead letters) on the transaction that also saves the
checkpoint, so a crash can never separate "pushed" from "recorded".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from akeneo_sync.akeneo.types import MappedProduct
from akeneo_sync.state import Counters, NewDeadLetter, Slot, StateStore, Transaction
from akeneo_sync.state.digests import pack_uuid
from akeneo_sync.sync.digest import batch_fingerprint
from akeneo_sync.sync.validate import InvalidProduct, ProductValidator, ValidProduct, validate_product
from akeneo_sync.targets.base import BatchContext, BatchResult, Target

__all__ = [
    "INVALID_PRODUCT",
    "TARGET_REJECTED",
    "PreparedPage",
    "apply_batch",
    "dead_letters_for",
    "letters_by_reason",
    "prepare_page",
    "stage_page_result",
]

# Dead-letter reason codes (a bounded set: they label `dead_letters_total`).
INVALID_PRODUCT: Final = "invalid_product"
TARGET_REJECTED: Final = "target_rejected"


@dataclass(frozen=True, slots=True)
class PreparedPage:
    """A page after validation and the digest check."""

    changed: tuple[ValidProduct, ...]
    invalid: tuple[InvalidProduct, ...]
    present: tuple[str, ...]
    skipped: int
    fingerprint: str = field(default="")
    # Changed products with no digest yet: marked `UNCONFIRMED` before the push.
    unknown: tuple[str, ...] = ()
    # `present`, packed (state keys), when the page was prepared by `prepare_page`; a page built
    # without it has its UUIDs packed when it is staged.
    present_keys: tuple[bytes, ...] = ()
    # `unknown`, packed: for `DigestStore.stage_unconfirmed_packed`, which then packs nothing again.
    unknown_keys: tuple[bytes, ...] = ()

    @property
    def upserts(self) -> list[MappedProduct]:
        """The bodies of the changed products, in page order."""
        return [product.body for product in self.changed]


def prepare_page(
    state: StateStore,
    tenant: str,
    catalog: str,
    items: Iterable[object],
    validator: ProductValidator | None = None,
) -> PreparedPage:
    """Validate a page, and keep only products whose digest differs from the one last pushed."""
    valid: dict[str, ValidProduct] = {}
    invalid: list[InvalidProduct] = []
    for item in items:
        checked = validate_product(item, validator)
        if isinstance(checked, ValidProduct):
            # A UUID twice in one page: the later copy wins, and the batch carries it once.
            valid[checked.uuid] = checked
        else:
            invalid.append(checked)
    products = list(valid.values())
    keys = [product.key for product in products]
    known = state.digests.get_packed(tenant, catalog, keys)
    changed: list[ValidProduct] = []
    unknown: list[ValidProduct] = []
    for product, digest in zip(products, known, strict=True):
        if digest != product.digest:
            changed.append(product)
            if digest is None:
                unknown.append(product)
    # An invalid item keeps its UUID only when that UUID is canonical, so packing cannot fail.
    bad_uuids = [bad.uuid for bad in invalid if bad.uuid is not None]
    return PreparedPage(
        changed=tuple(changed),
        invalid=tuple(invalid),
        present=tuple(valid) + tuple(bad_uuids),
        skipped=len(valid) - len(changed),
        fingerprint=batch_fingerprint((p.uuid, p.digest) for p in changed) if changed else "",
        unknown=tuple(p.uuid for p in unknown),
        present_keys=tuple(keys) + tuple(pack_uuid(u) for u in bad_uuids),
        unknown_keys=tuple(p.key for p in unknown),
    )


def stage_page_result(
    state: StateStore,
    pipe: Transaction,
    *,
    tenant: str,
    catalog: str,
    run_id: str,
    page: PreparedPage,
    result: BatchResult,
    seen_slot: Slot | None,
) -> tuple[Counters, dict[str, int]]:
    """Queue the page's digests, seen UUIDs and dead letters; return its counters and dead letters by reason."""
    rejected = {rejection.uuid: rejection.reason for rejection in result.rejected}
    accepted = {p.key: p.digest for p in page.changed if p.uuid not in rejected}
    state.digests.stage_set_packed(pipe, tenant, catalog, accepted)
    if seen_slot is not None:
        present = page.present_keys
        if len(present) != len(page.present):
            present = tuple(pack_uuid(u) for u in page.present)
        state.seen.stage_add_packed(pipe, tenant, catalog, seen_slot, present)
    else:
        state.seen.stage_add_if_active_packed(pipe, tenant, catalog, list(accepted))
    found = dead_letters_for(catalog, run_id, page.invalid, rejected, {p.uuid: p.body for p in page.changed})
    # An item that failed before with the same content is not news: no second letter, and it
    # counts as skipped (unchanged since its failure) rather than failed again.
    letters = state.dead_letters.unrecorded(tenant, found)
    for letter in letters:
        state.dead_letters.stage_add(pipe, tenant, letter)
    counters = Counters(upserted=len(accepted), skipped=page.skipped + len(found) - len(letters), failed=len(letters))
    return counters, letters_by_reason(letters)


def dead_letters_for(
    catalog: str,
    run_id: str,
    invalid: Sequence[InvalidProduct],
    rejected: Mapping[str, str],
    bodies: Mapping[str, object],
    *,
    attempt: int = 1,
) -> list[NewDeadLetter]:
    """The dead letters for a page's invalid products and target rejections."""
    letters = [
        NewDeadLetter(catalog, INVALID_PRODUCT, bad.detail, bad.payload, bad.uuid, run_id, attempt) for bad in invalid
    ]
    letters.extend(
        NewDeadLetter(catalog, TARGET_REJECTED, reason, bodies.get(uuid), uuid, run_id, attempt)
        for uuid, reason in rejected.items()
    )
    return letters


def letters_by_reason(letters: Iterable[NewDeadLetter]) -> dict[str, int]:
    """How many of these dead letters there are per reason (the `dead_letters_total` labels)."""
    counts: dict[str, int] = {}
    for letter in letters:
        counts[letter.reason] = counts.get(letter.reason, 0) + 1
    return counts


def apply_batch(
    target: Target, batch: BatchContext, upserts: Sequence[MappedProduct], deletes: Sequence[str]
) -> BatchResult:
    """Push one batch (each target times its own pushes in `target_push_duration_seconds`)."""
    return target.apply(batch, upserts, deletes)
