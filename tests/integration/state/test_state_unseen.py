"""The deletion diff's query, on real Redis and on fakeredis: known products a run did not see."""

from __future__ import annotations

import uuid

import pytest

from akeneo_sync.state import Slot, StateStore

pytestmark = pytest.mark.integration


def _uuids(n: int, seed: int) -> list[str]:
    return [str(uuid.UUID(int=(seed << 64) + i, version=4)) for i in range(n)]


@pytest.mark.parametrize("chunk", [7, 5000])
def test_every_known_product_the_run_did_not_see_is_found_once_or_more(store: StateStore, chunk: int) -> None:
    known = _uuids(12_000, seed=1)
    pipe = store.transaction()
    store.digests.stage_set(pipe, "t1", "c1", dict.fromkeys(known, b"d" * 16))
    store.seen.stage_add(pipe, "t1", "c1", Slot.SYNC, [u for i, u in enumerate(known) if i % 97])
    # Another catalog's and another slot's sets do not count.
    store.seen.stage_add(pipe, "t1", "c2", Slot.SYNC, known)
    store.seen.stage_add(pipe, "t1", "c1", Slot.RECONCILE, known)
    store.commit(pipe)

    found = [u for batch in store.unseen.scan("t1", "c1", Slot.SYNC, chunk=chunk) for u in batch]

    assert set(found) == {u for i, u in enumerate(known) if i % 97 == 0}
    assert all(batch for batch in store.unseen.scan("t1", "c1", Slot.SYNC, chunk=chunk)), "no empty batches"


def test_nothing_is_unseen_in_an_empty_catalog_or_a_fully_seen_one(store: StateStore) -> None:
    assert list(store.unseen.scan("t1", "empty", Slot.SYNC)) == []
    known = _uuids(300, seed=2)
    pipe = store.transaction()
    store.digests.stage_set(pipe, "t1", "c1", dict.fromkeys(known, b"d" * 16))
    store.seen.stage_add(pipe, "t1", "c1", Slot.SYNC, known)
    store.commit(pipe)

    assert list(store.unseen.scan("t1", "c1", Slot.SYNC)) == []
