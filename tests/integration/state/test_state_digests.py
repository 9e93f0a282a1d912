"""Digests, seen sets, event de-duplication and dead letters, on real Redis and fakeredis."""

from __future__ import annotations

import uuid

import pytest

from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import StateError
from akeneo_sync.state import NewDeadLetter, Slot, StateStore
from akeneo_sync.state.digests import UNCONFIRMED, is_canonical_uuid, pack_uuid, unpack_uuid
from helpers import missing_from_seen

pytestmark = pytest.mark.integration

U = [str(uuid.UUID(int=(i + 1) * 0xABCDEF0123)) for i in range(2500)]


def test_digests_are_stored_per_catalog_and_read_back(store: StateStore) -> None:
    pipe = store.transaction()
    store.digests.stage_set(pipe, "t1", "c1", {U[0]: b"a" * 16, U[1]: b"b" * 16})
    store.commit(pipe)

    assert store.digests.get_many("t1", "c1", [U[0], U[1], U[2]]) == {U[0]: b"a" * 16, U[1]: b"b" * 16}
    assert store.digests.get_many("t1", "c2", [U[0]]) == {}
    assert store.digests.count("t1", "c1") == 2


def test_scanning_digests_yields_every_uuid_in_chunks(store: StateStore) -> None:
    pipe = store.transaction()
    store.digests.stage_set(pipe, "t1", "c1", dict.fromkeys(U, b"d" * 16))
    store.commit(pipe)

    chunks = list(store.digests.scan("t1", "c1", chunk=500))

    assert set().union(*chunks) == set(U)
    assert len(chunks) > 1


def test_deleted_digests_are_gone(store: StateStore) -> None:
    pipe = store.transaction()
    store.digests.stage_set(pipe, "t1", "c1", {U[0]: b"a" * 16, U[1]: b"b" * 16})
    store.digests.stage_delete(pipe, "t1", "c1", [U[0]])
    store.commit(pipe)
    assert list(store.digests.scan("t1", "c1")) == [[U[1]]]
    store.digests.clear("t1", "c1")
    assert store.digests.count("t1", "c1") == 0


def test_uuids_pack_to_sixteen_bytes_and_only_canonical_ones() -> None:
    assert unpack_uuid(pack_uuid(U[7])) == U[7]
    assert len(pack_uuid(U[7])) == 16
    assert not is_canonical_uuid(U[7].upper())
    assert not is_canonical_uuid("product-1")
    with pytest.raises(ValueError, match="canonical"):
        pack_uuid(U[7].upper())


def test_a_seen_set_holds_the_uuids_added_to_it(store: StateStore) -> None:
    pipe = store.transaction()
    store.seen.stage_start(pipe, "t1", "c1", Slot.SYNC)
    store.seen.stage_add(pipe, "t1", "c1", Slot.SYNC, U[:2])
    store.commit(pipe)

    assert missing_from_seen(store, "t1", "c1", Slot.SYNC, U[:4]) == U[2:4]
    assert store.seen.is_active("t1", "c1", Slot.SYNC)
    assert not store.seen.is_active("t1", "c1", Slot.RECONCILE)


def test_event_uuids_are_added_only_to_sets_of_runs_in_flight(store: StateStore) -> None:
    store.commit(store.seen.stage_start(store.transaction(), "t1", "c1", Slot.RECONCILE))

    store.seen.add_if_active("t1", "c1", [U[5]])

    assert missing_from_seen(store, "t1", "c1", Slot.RECONCILE, [U[5]]) == []
    assert not store.seen.is_active("t1", "c1", Slot.SYNC)
    store.commit(store.seen.stage_drop(store.transaction(), "t1", "c1", Slot.RECONCILE))
    assert not store.seen.is_active("t1", "c1", Slot.RECONCILE)


def test_packed_reads_keep_the_order_and_tell_unknown_from_stored_values(store: StateStore) -> None:
    key = store.keys.digests("t1", "c1")
    # Values of any length come back whole (the reply prefixes each with its length), even empty.
    store.redis.hset(key, mapping={pack_uuid(U[0]): b"", pack_uuid(U[2]): b"v" * 16, pack_uuid(U[3]): b"w" * 254})

    got = store.digests.get_packed("t1", "c1", [pack_uuid(u) for u in U[:4]])

    assert got == [b"", None, b"v" * 16, b"w" * 254]
    assert store.digests.get_packed("t1", "c1", []) == []


def test_a_digest_too_long_for_the_packed_reply_is_a_state_error(store: StateStore) -> None:
    store.redis.hset(store.keys.digests("t1", "c1"), pack_uuid(U[0]), b"x" * 255)
    with pytest.raises(StateError):
        store.digests.get_packed("t1", "c1", [pack_uuid(U[0])])


def test_packed_writes_and_reads_of_more_uuids_than_one_script_chunk(store: StateStore) -> None:
    packed = [pack_uuid(u) for u in U]  # 2,500: the scripts call Redis 1,000 arguments at a time
    pipe = store.transaction()
    store.digests.stage_set_packed(pipe, "t1", "c1", {p: p for p in packed})
    store.seen.stage_start(pipe, "t1", "c1", Slot.SYNC)
    store.seen.stage_add_packed(pipe, "t1", "c1", Slot.SYNC, packed[:2000])
    store.commit(pipe)

    assert store.digests.get_packed("t1", "c1", packed) == packed
    assert store.digests.get_many("t1", "c1", U[:2]) == {U[0]: packed[0], U[1]: packed[1]}
    assert missing_from_seen(store, "t1", "c1", Slot.SYNC, U) == U[2000:]
    assert sorted(u for chunk in store.digests.scan("t1", "c1", chunk=700) for u in chunk) == sorted(set(U))


def test_unconfirmed_marks_only_products_without_a_digest_in_one_command(store: StateStore) -> None:
    pipe = store.transaction()
    store.digests.stage_set(pipe, "t1", "c1", {U[0]: b"a" * 16})
    store.commit(pipe)

    pipe = store.transaction()
    store.digests.stage_unconfirmed(pipe, "t1", "c1", U[:150])
    assert len(pipe) == 1
    store.commit(pipe)

    got = store.digests.get_many("t1", "c1", U[:151])
    assert got == {U[0]: b"a" * 16} | dict.fromkeys(U[1:150], UNCONFIRMED)


def test_a_digest_field_that_is_not_a_packed_uuid_fails_the_scan(store: StateStore) -> None:
    store.redis.hset(store.keys.digests("t1", "c1"), b"short", b"d" * 16)
    with pytest.raises(StateError):
        list(store.digests.scan("t1", "c1"))


def test_event_uuids_reach_only_the_sets_of_runs_in_flight_when_packed(store: StateStore) -> None:
    pipe = store.transaction()
    store.seen.stage_start(pipe, "t1", "c1", Slot.SYNC)
    store.seen.stage_add_if_active_packed(pipe, "t1", "c1", [pack_uuid(u) for u in U[:1200]])
    store.commit(pipe)

    assert missing_from_seen(store, "t1", "c1", Slot.SYNC, U[:1201]) == [U[1200]]
    assert not store.seen.is_active("t1", "c1", Slot.RECONCILE)


def test_an_event_id_is_first_seen_once(store: StateStore) -> None:
    assert store.dedupe.first_seen("evt-1")
    assert not store.dedupe.first_seen("evt-1")
    store.dedupe.forget("evt-1")
    assert store.dedupe.first_seen("evt-1")


def test_dead_letters_are_listed_read_and_deleted(store: StateStore, clock: ManualClock) -> None:
    first = store.dead_letters.add(
        "t1",
        NewDeadLetter(
            catalog="c1", reason="invalid_product", detail="no uuid", payload={"sku": "x"}, run_id="r1", attempt=2
        ),
    )
    pipe = store.transaction()
    store.dead_letters.stage_add(
        pipe, "t1", NewDeadLetter(catalog="c2", reason="target_rejected", detail="too long", payload={}, uuid=U[0])
    )
    store.commit(pipe)

    letters = store.dead_letters.list("t1")
    assert [(d.catalog, d.reason, d.uuid) for d in letters] == [
        ("c1", "invalid_product", None),
        ("c2", "target_rejected", U[0]),
    ]
    one = store.dead_letters.get("t1", first)
    assert one is not None
    assert (one.payload_json(), one.attempt, one.run_id, one.time) == ({"sku": "x"}, 2, "r1", clock.now())
    assert [d.catalog for d in store.dead_letters.list("t1", catalog="c2")] == ["c2"]
    assert [d.catalog for d in store.dead_letters.list("t1", after=first)] == ["c2"]
    assert store.dead_letters.list("t2") == []

    assert store.dead_letters.delete("t1", first)
    assert not store.dead_letters.delete("t1", first)
    assert store.dead_letters.get("t1", first) is None
    assert store.dead_letters.count("t1") == 1


def test_listing_dead_letters_by_catalog_reads_past_other_catalogs(store: StateStore) -> None:
    for i in range(150):
        store.dead_letters.add("t1", NewDeadLetter(catalog="noise", reason="r", detail="", payload=i))
    store.dead_letters.add("t1", NewDeadLetter(catalog="c1", reason="r", detail="", payload="mine"))

    assert [d.payload_json() for d in store.dead_letters.list("t1", catalog="c1", count=5)] == ["mine"]
