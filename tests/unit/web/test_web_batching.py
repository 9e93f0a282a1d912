"""Product events batched per tenant over a short window, in Redis."""

from __future__ import annotations

import pytest
import redis

from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import StateError
from akeneo_sync.web.batching import BatchKind, ProductBatcher
from akeneo_sync.web.keys import WebKeys
from akeneo_sync.web.testing import Enqueued, RecordingEnqueuer


@pytest.fixture
def batcher(fake_redis: redis.Redis, keys: WebKeys, enqueuer: RecordingEnqueuer, clock: ManualClock) -> ProductBatcher:
    return ProductBatcher(fake_redis, keys, enqueuer, clock, window_s=1.0, max_size=3)


def test_uuids_within_the_window_are_sent_as_one_message(
    batcher: ProductBatcher, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    assert not batcher.add(BatchKind.SYNC, "t1", ["u2"])
    clock.advance(0.5)
    assert not batcher.add(BatchKind.SYNC, "t1", ["u1"])
    assert batcher.flush_due() == 0
    assert enqueuer.calls == []
    clock.advance(0.5)
    assert batcher.flush_due() == 1
    assert enqueuer.calls == [Enqueued("sync_products", "t1", (("u1", "u2"),))]


def test_a_repeated_uuid_is_sent_once(batcher: ProductBatcher, enqueuer: RecordingEnqueuer, clock: ManualClock) -> None:
    batcher.add(BatchKind.SYNC, "t1", ["u1"])
    batcher.add(BatchKind.SYNC, "t1", ["u1"])
    clock.advance(1.0)
    batcher.flush_due()
    assert enqueuer.calls == [Enqueued("sync_products", "t1", (("u1",),))]


def test_later_additions_do_not_stretch_the_window(
    batcher: ProductBatcher, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    batcher.add(BatchKind.SYNC, "t1", ["u1"])
    clock.advance(0.9)
    batcher.add(BatchKind.SYNC, "t1", ["u2"])
    clock.advance(0.1)
    assert batcher.flush_due() == 1
    assert enqueuer.of("sync_products") == [Enqueued("sync_products", "t1", (("u1", "u2"),))]


def test_a_full_batch_is_due_before_its_window_ends(batcher: ProductBatcher, enqueuer: RecordingEnqueuer) -> None:
    assert not batcher.add(BatchKind.SYNC, "t1", ["u1", "u2"])
    assert batcher.add(BatchKind.SYNC, "t1", ["u3"])
    assert batcher.flush(BatchKind.SYNC, "t1")
    assert enqueuer.calls == [Enqueued("sync_products", "t1", (("u1", "u2", "u3"),))]


def test_an_addition_after_the_window_reports_the_batch_due(batcher: ProductBatcher, clock: ManualClock) -> None:
    batcher.add(BatchKind.SYNC, "t1", ["u1"])
    clock.advance(1.5)
    assert batcher.add(BatchKind.SYNC, "t1", ["u2"])


def test_tenants_and_kinds_are_batched_apart(
    batcher: ProductBatcher, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    batcher.add(BatchKind.SYNC, "t1", ["u1"])
    batcher.add(BatchKind.SYNC, "t2", ["u2"])
    batcher.add(BatchKind.DELETE, "t1", ["u3"])
    clock.advance(1.0)
    assert batcher.flush_due() == 3
    assert sorted(enqueuer.calls, key=lambda c: (c.actor, c.tenant)) == [
        Enqueued("delete_products", "t1", (("u3",),)),
        Enqueued("sync_products", "t1", (("u1",),)),
        Enqueued("sync_products", "t2", (("u2",),)),
    ]


def test_an_oversized_buffer_is_sent_in_chunks_of_the_maximum(
    fake_redis: redis.Redis, keys: WebKeys, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    # A buffer can outgrow the maximum while the broker is down and flushes keep failing.
    batcher = ProductBatcher(fake_redis, keys, enqueuer, clock, window_s=1.0, max_size=3)
    batcher.add(BatchKind.SYNC, "t1", [f"u{i}" for i in range(7)])
    batcher.flush(BatchKind.SYNC, "t1")
    sizes = [len(call.args[0]) for call in enqueuer.calls]
    assert sizes == [3, 3, 1]
    assert sorted(u for call in enqueuer.calls for u in call.args[0]) == sorted(f"u{i}" for i in range(7))


class FailingEnqueuer(RecordingEnqueuer):
    def sync_products(self, tenant: str, uuids: object) -> None:
        raise StateError("broker down")


def test_a_failed_send_keeps_the_batch_for_the_next_flush(
    fake_redis: redis.Redis, keys: WebKeys, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    failing = ProductBatcher(fake_redis, keys, FailingEnqueuer(), clock, window_s=1.0, max_size=3)
    failing.add(BatchKind.SYNC, "t1", ["u1"])
    clock.advance(1.0)
    with pytest.raises(StateError):
        failing.flush_due()
    # Another pod (or this one, once the broker is back) sends it: nothing was lost.
    healthy = ProductBatcher(fake_redis, keys, enqueuer, clock, window_s=1.0, max_size=3)
    assert healthy.flush_due() == 1
    assert enqueuer.calls == [Enqueued("sync_products", "t1", (("u1",),))]


def test_a_batch_being_flushed_elsewhere_is_not_sent_twice(
    batcher: ProductBatcher, fake_redis: redis.Redis, keys: WebKeys, enqueuer: RecordingEnqueuer
) -> None:
    batcher.add(BatchKind.SYNC, "t1", ["u1"])
    fake_redis.set(keys.flush_lock("sync", "t1"), "other-pod")
    assert not batcher.flush(BatchKind.SYNC, "t1")
    assert enqueuer.calls == []


def test_flush_all_sends_batches_whose_window_is_still_open(
    batcher: ProductBatcher, enqueuer: RecordingEnqueuer
) -> None:
    batcher.add(BatchKind.DELETE, "t1", ["u1"])
    assert batcher.flush_all() == 1
    assert enqueuer.calls == [Enqueued("delete_products", "t1", (("u1",),))]
    assert batcher.flush_all() == 0
