"""Bad data never stops a page: invalid and rejected products become dead letters, the rest goes on."""

from __future__ import annotations

import math

from prometheus_client import REGISTRY
from sync_fakes import CATALOG, TENANT, DictTarget, MemorySource, product_uuid

from akeneo_sync.clock import ManualClock
from akeneo_sync.state import StateStore
from akeneo_sync.sync.engine import SyncEngine
from akeneo_sync.sync.summary import Outcome


def _letters(state: StateStore) -> list[tuple[str, str | None]]:
    return [(d.reason, d.uuid) for d in state.dead_letters.list(TENANT)]


def test_an_invalid_product_becomes_a_dead_letter_and_the_rest_of_the_page_is_synced(
    engine: SyncEngine, source: MemorySource, target: DictTarget, state: StateStore
) -> None:
    bad = product_uuid(5)
    source.products[bad] = {"uuid": bad, "price": math.nan}
    no_uuid = product_uuid(6)
    source.products[no_uuid] = {"name": "lost its uuid"}
    before = REGISTRY.get_sample_value("akeneo_sync_dead_letters_total", {"reason": "invalid_product"}) or 0

    summary = engine.full_sync(CATALOG)

    assert summary.outcome is Outcome.SUCCESS
    assert sorted(_letters(state), key=str) == sorted([("invalid_product", bad), ("invalid_product", None)], key=str)
    assert set(target.products) == set(source.products) - {bad, no_uuid}
    assert summary.counters.failed == 2
    assert REGISTRY.get_sample_value("akeneo_sync_dead_letters_total", {"reason": "invalid_product"}) == before + 2
    details = {d.uuid: d.detail for d in state.dead_letters.list(TENANT)}
    assert "JSON" in details[bad]
    assert "uuid" in details[None]


def test_a_product_the_target_rejects_becomes_a_dead_letter_with_the_targets_reason(
    engine: SyncEngine, source: MemorySource, target: DictTarget, state: StateStore
) -> None:
    refused = product_uuid(120)
    target.reject[refused] = "name too long for the storefront"

    summary = engine.full_sync(CATALOG)

    (letter,) = state.dead_letters.list(TENANT)
    assert (letter.reason, letter.uuid, letter.detail) == ("target_rejected", refused, target.reject[refused])
    assert letter.payload_json() == source.products[refused]
    assert letter.run_id == summary.run_id
    assert (summary.counters.upserted, summary.counters.failed) == (249, 1)
    assert set(target.products) == set(source.products) - {refused}


def test_a_rejected_product_is_retried_by_the_next_run_since_its_digest_was_not_recorded(
    engine: SyncEngine, source: MemorySource, target: DictTarget
) -> None:
    refused = product_uuid(9)
    target.reject[refused] = "no"
    engine.full_sync(CATALOG)
    target.reject.clear()

    summary = engine.full_sync(CATALOG)

    assert summary.counters.upserted == 1
    assert target.products == source.products


def test_replaying_dead_letters_pushes_fixed_products_and_deletes_their_letters(
    engine: SyncEngine, source: MemorySource, target: DictTarget, state: StateStore, clock: ManualClock
) -> None:
    refused, broken, stubborn = product_uuid(1), product_uuid(2), product_uuid(3)
    target.reject.update({refused: "blocked", stubborn: "still blocked"})
    source.products[broken] = {"uuid": broken, "price": math.inf}
    source.products["not-a-uuid"] = {"uuid": "not-a-uuid"}
    engine.full_sync(CATALOG)
    assert state.dead_letters.count(TENANT) == 4
    # Fixed at the source (the PIM) and downstream.
    del target.reject[refused]
    source.put(2, price=2)

    report = engine.replay_dead_letters(CATALOG)

    assert (report.replayed, report.failed_again, report.kept) == (2, 1, 1)
    assert {refused, broken} <= set(target.products)
    remaining = state.dead_letters.list(TENANT)
    assert sorted((d.uuid or "", d.attempt) for d in remaining) == [("", 1), (stubborn, 2)]


def test_a_product_that_fails_its_replay_the_same_way_keeps_a_letter_and_stays_held(
    engine: SyncEngine, target: DictTarget, state: StateStore
) -> None:
    stubborn = product_uuid(3)
    target.reject[stubborn] = "blocked"
    engine.full_sync(CATALOG)

    report = engine.replay_dead_letters(CATALOG)

    assert report.failed_again == 1
    [letter] = state.dead_letters.list(TENANT)
    assert (letter.uuid, letter.attempt, letter.detail) == (stubborn, 2, "blocked")
    assert state.dead_letters.held(TENANT, CATALOG, [stubborn]) == {stubborn}


def test_syncing_by_uuid_pushes_changes_and_deletes_what_left_the_catalog(
    engine: SyncEngine, source: MemorySource, target: DictTarget, state: StateStore
) -> None:
    engine.full_sync(CATALOG)
    source.put(10, price="new")
    source.remove(11)
    unchanged = product_uuid(12)

    summary = engine.sync_uuids(CATALOG, [product_uuid(10), product_uuid(11), unchanged, product_uuid(10)])

    counters = summary.counters
    assert (counters.upserted, counters.deleted, counters.skipped) == (1, 1, 1)
    assert target.products == source.products
    assert target.batches[-1][1:] == ([product_uuid(10)], [product_uuid(11)])
    assert state.digests.count(TENANT, CATALOG) == 249


def test_a_malformed_uuid_in_an_event_becomes_a_dead_letter(engine: SyncEngine, state: StateStore) -> None:
    summary = engine.sync_uuids(CATALOG, ["NOT-A-UUID"])

    assert summary.counters.failed == 1
    assert _letters(state) == [("invalid_product", None)]
