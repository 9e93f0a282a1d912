"""Dead letters are news once: the same item failing again with the same content adds nothing."""

from __future__ import annotations

from akeneo_sync.state import NewDeadLetter, StateStore

UUID = "0b9f2a44-2c1e-4c7a-9a57-3f0f4f6f1a01"


def letter(payload: object, *, detail: str = "sku: required by the mapping schema but missing") -> NewDeadLetter:
    return NewDeadLetter("cat-1", "invalid_product", detail, payload, UUID, "run-1")


def test_an_item_already_dead_lettered_with_the_same_content_is_not_recorded_again(store: StateStore) -> None:
    first = letter({"uuid": UUID, "name": "No SKU"})
    assert store.dead_letters.unrecorded("t1", [first]) == [first]
    pipe = store.transaction()
    store.dead_letters.stage_add(pipe, "t1", first)
    store.commit(pipe)

    same_again = letter({"name": "No SKU", "uuid": UUID})  # same content, keys in another order
    changed = letter({"uuid": UUID, "name": "Still no SKU"})
    other_tenant = letter({"uuid": UUID, "name": "No SKU"})

    assert store.dead_letters.unrecorded("t1", [same_again]) == []
    assert store.dead_letters.unrecorded("t1", [changed]) == [changed]
    assert store.dead_letters.unrecorded("t2", [other_tenant]) == [other_tenant]


def test_deleting_a_letter_after_its_replay_makes_a_new_failure_news_again(store: StateStore) -> None:
    first = letter({"uuid": UUID, "name": "No SKU"})
    pipe = store.transaction()
    store.dead_letters.stage_add(pipe, "t1", first)
    store.commit(pipe)
    [stored] = store.dead_letters.list("t1")

    assert store.dead_letters.delete("t1", stored.id)

    assert store.dead_letters.unrecorded("t1", [first]) == [first]
