"""A page's UUIDs are packed once, and a page built by hand (without them) is recorded all the same."""

from __future__ import annotations

import dataclasses

from sync_fakes import CATALOG, TENANT, product_uuid

from akeneo_sync.state import Slot, StateStore
from akeneo_sync.state.digests import pack_uuid
from akeneo_sync.sync.batch import prepare_page, stage_page_result
from akeneo_sync.targets.base import BatchResult, Rejection
from helpers import missing_from_seen

GOOD = [{"uuid": product_uuid(i), "price": i} for i in range(3)]
# Invalid but with a canonical UUID (the validator refuses it): still seen by the diff.
REFUSED = {"uuid": product_uuid(9), "price": -1}


def no_negative_price(product: dict[str, object]) -> str | None:
    return "negative price" if product.get("price") == -1 else None


def test_a_prepared_page_carries_the_packed_form_of_every_present_uuid(state: StateStore) -> None:
    page = prepare_page(state, TENANT, CATALOG, [*GOOD, REFUSED, "junk"], no_negative_price)

    assert page.present == (*(p["uuid"] for p in GOOD), REFUSED["uuid"])
    assert page.present_keys == tuple(pack_uuid(u) for u in page.present)
    assert [p.packed for p in page.changed] == [pack_uuid(p["uuid"]) for p in GOOD]
    assert page.unknown == tuple(p["uuid"] for p in GOOD)
    assert page.unknown_keys == tuple(pack_uuid(u) for u in page.unknown)


def test_staging_records_digests_and_seen_uuids_with_or_without_packed_keys(state: StateStore) -> None:
    for with_keys in (True, False):
        catalog = f"{CATALOG}-{with_keys}"
        page = prepare_page(state, TENANT, catalog, [*GOOD, REFUSED], no_negative_price)
        if not with_keys:
            page = dataclasses.replace(page, present_keys=())
        pipe = state.transaction()
        state.seen.stage_start(pipe, TENANT, catalog, Slot.SYNC)
        result = BatchResult(rejected=(Rejection(product_uuid(1), "no"),))
        counters, _ = stage_page_result(
            state, pipe, tenant=TENANT, catalog=catalog, run_id="r", page=page, result=result, seen_slot=Slot.SYNC
        )
        state.commit(pipe)

        assert counters.upserted == 2
        known = state.digests.get_many(TENANT, catalog, [p["uuid"] for p in GOOD])
        assert known == {p.uuid: p.digest for p in page.changed if p.uuid != product_uuid(1)}
        seen_probe = [*page.present, product_uuid(7)]
        assert missing_from_seen(state, TENANT, catalog, Slot.SYNC, seen_probe) == [product_uuid(7)]
        assert prepare_page(state, TENANT, catalog, GOOD).skipped == 2


def test_an_incremental_page_adds_accepted_uuids_only_to_runs_in_flight(state: StateStore) -> None:
    state.commit(state.seen.stage_start(state.transaction(), TENANT, CATALOG, Slot.RECONCILE))
    page = prepare_page(state, TENANT, CATALOG, GOOD)
    pipe = state.transaction()
    stage_page_result(
        state, pipe, tenant=TENANT, catalog=CATALOG, run_id="r", page=page, result=BatchResult(), seen_slot=None
    )
    state.commit(pipe)

    assert missing_from_seen(state, TENANT, CATALOG, Slot.RECONCILE, [p["uuid"] for p in GOOD]) == []
    assert not state.seen.is_active(TENANT, CATALOG, Slot.SYNC)
