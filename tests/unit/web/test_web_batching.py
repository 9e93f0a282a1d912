"""Product events batched per tenant over a short window, in Redis."""

from __future__ import annotations

from collections import Counter

import fakeredis
import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.backoff import NoBackoff
from redis.retry import Retry

from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import StateError
from akeneo_sync.state.batches import EventBatches
from akeneo_sync.state.keys import Keys
from akeneo_sync.web.app import BatchFlusher
from akeneo_sync.web.batching import BatchKind, Buffered, ProductBatcher
from akeneo_sync.web.testing import Enqueued, RecordingEnqueuer
from helpers import flush_batches, wait_until


@pytest.fixture
def batcher(fake_redis: redis.Redis, keys: Keys, enqueuer: RecordingEnqueuer, clock: ManualClock) -> ProductBatcher:
    return ProductBatcher(EventBatches(fake_redis, keys), enqueuer, clock, window_s=1.0, max_size=3)


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


def test_add_event_buffers_a_first_seen_event_and_reports_it_due_when_full(
    batcher: ProductBatcher, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    def add(event_id: str, uuid: str) -> Buffered:
        return batcher.add_event(BatchKind.SYNC, "t1", uuid, dedupe_key=f"dedupe:{event_id}", dedupe_ttl_s=60)

    assert add("e1", "u1") == Buffered(first_seen=True, is_due=False)
    assert add("e1", "u9") == Buffered(first_seen=False, is_due=False)  # a redelivery buffers nothing
    assert add("e2", "u2") == Buffered(first_seen=True, is_due=False)
    assert add("e3", "u3") == Buffered(first_seen=True, is_due=True)  # max_size reached
    assert batcher.flush(BatchKind.SYNC, "t1")
    assert enqueuer.calls == [Enqueued("sync_products", "t1", (("u1", "u2", "u3"),))]


def test_add_event_reports_the_batch_due_once_its_window_passed(batcher: ProductBatcher, clock: ManualClock) -> None:
    batcher.add_event(BatchKind.DELETE, "t1", "u1", dedupe_key="dedupe:e1", dedupe_ttl_s=60)
    clock.advance(1.0)
    assert batcher.add_event(BatchKind.DELETE, "t1", "u2", dedupe_key="dedupe:e2", dedupe_ttl_s=60).is_due


def test_add_event_remembers_the_event_id_for_its_ttl(batcher: ProductBatcher, fake_redis: redis.Redis) -> None:
    batcher.add_event(BatchKind.SYNC, "t1", "u1", dedupe_key="dedupe:e1", dedupe_ttl_s=60)
    assert 0 < fake_redis.ttl("dedupe:e1") <= 60


def test_add_event_raises_state_error_when_redis_fails(
    keys: Keys, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    # Nothing listens on port 1: every command fails with a connection error.
    down = redis.Redis(port=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    batcher = ProductBatcher(EventBatches(down, keys), enqueuer, clock)
    with pytest.raises(StateError):
        batcher.add_event(BatchKind.SYNC, "t1", "u1", dedupe_key="dedupe:e1", dedupe_ttl_s=60)


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
    fake_redis: redis.Redis, keys: Keys, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    # A buffer can outgrow the maximum while the broker is down and flushes keep failing.
    batcher = ProductBatcher(EventBatches(fake_redis, keys), enqueuer, clock, window_s=1.0, max_size=3)
    batcher.add(BatchKind.SYNC, "t1", [f"u{i}" for i in range(7)])
    batcher.flush(BatchKind.SYNC, "t1")
    sizes = [len(call.args[0]) for call in enqueuer.calls]
    assert sizes == [3, 3, 1]
    assert sorted(u for call in enqueuer.calls for u in call.args[0]) == sorted(f"u{i}" for i in range(7))


class FailingEnqueuer(RecordingEnqueuer):
    def sync_products(self, tenant: str, uuids: object) -> None:
        raise StateError("broker down")


def test_a_failed_send_keeps_the_batch_for_the_next_flush(
    fake_redis: redis.Redis, keys: Keys, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    failing = ProductBatcher(EventBatches(fake_redis, keys), FailingEnqueuer(), clock, window_s=1.0, max_size=3)
    failing.add(BatchKind.SYNC, "t1", ["u1"])
    clock.advance(1.0)
    with pytest.raises(StateError):
        failing.flush_due()
    # Another pod (or this one, once the broker is back) sends it: nothing was lost.
    healthy = ProductBatcher(EventBatches(fake_redis, keys), enqueuer, clock, window_s=1.0, max_size=3)
    assert healthy.flush_due() == 1
    assert enqueuer.calls == [Enqueued("sync_products", "t1", (("u1",),))]


def test_a_batch_being_flushed_elsewhere_is_not_sent_twice(
    batcher: ProductBatcher, fake_redis: redis.Redis, keys: Keys, enqueuer: RecordingEnqueuer
) -> None:
    batcher.add(BatchKind.SYNC, "t1", ["u1"])
    fake_redis.set(keys.flush_lock("sync", "t1"), "other-pod")
    assert not batcher.flush(BatchKind.SYNC, "t1")
    assert enqueuer.calls == []


def test_a_batch_left_by_a_dead_pod_is_sent_by_another(
    fake_redis: redis.Redis, keys: Keys, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    dead_pod = ProductBatcher(EventBatches(fake_redis, keys), RecordingEnqueuer(), clock, window_s=1.0, max_size=3)
    dead_pod.add(BatchKind.SYNC, "t1", ["u1"])
    del dead_pod  # the web process is killed before its window ends: nothing was held in its memory
    clock.advance(1.0)
    other_pod = ProductBatcher(EventBatches(fake_redis, keys), enqueuer, clock, window_s=1.0, max_size=3)
    assert other_pod.flush_due() == 1
    assert enqueuer.calls == [Enqueued("sync_products", "t1", (("u1",),))]


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(
                st.just("add"),
                st.sampled_from([BatchKind.SYNC, BatchKind.DELETE]),
                st.sampled_from(["t1", "t2"]),
                st.lists(st.sampled_from([f"u{i}" for i in range(8)]), min_size=1, max_size=4),
            ),
            st.tuples(st.just("tick"), st.floats(min_value=0, max_value=2)),
            st.tuples(st.just("flush_due")),
        ),
        max_size=30,
    )
)
def test_every_buffered_uuid_is_sent_and_no_batch_is_sent_twice(steps: list[tuple[object, ...]]) -> None:
    clock, enqueuer = ManualClock(), RecordingEnqueuer()
    batcher = ProductBatcher(
        EventBatches(fakeredis.FakeRedis(), Keys("prop")), enqueuer, clock, window_s=1.0, max_size=3
    )
    added: Counter[tuple[str, str, str]] = Counter()
    for step in steps:
        if step[0] == "add":
            _, kind, tenant, uuids = step
            assert isinstance(kind, BatchKind)
            assert isinstance(tenant, str)
            assert isinstance(uuids, list)
            if batcher.add(kind, tenant, uuids):
                batcher.flush(kind, tenant)
            added.update({(kind.value, tenant, uuid) for uuid in uuids})
        elif step[0] == "tick":
            assert isinstance(step[1], float)
            clock.advance(step[1])
        else:
            batcher.flush_due()
    flush_batches(batcher, *{tenant for _kind, tenant, _uuid in added})
    actors = {"sync_products": "sync", "delete_products": "delete"}
    sent = Counter((actors[call.actor], call.tenant, uuid) for call in enqueuer.calls for uuid in call.args[0])
    assert set(sent) == set(added)
    # Never more sends of a UUID than additions of it (a re-add after a send is sent again).
    assert all(sent[key] <= added[key] for key in sent)
    assert all(len(call.args[0]) <= 3 for call in enqueuer.calls)


def test_the_background_flusher_sends_a_batch_no_request_came_to_flush(
    batcher: ProductBatcher, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    batcher.add(BatchKind.SYNC, "t1", ["u1"])
    clock.advance(1.0)
    flusher = BatchFlusher(batcher, interval_s=0.01)
    flusher.start()
    try:
        # A bounded poll for the flusher thread's next pass (the batch's window already passed).
        wait_until(lambda: enqueuer.calls, 5, what="the flusher enqueued the batch")
    finally:
        flusher.stop()
    assert enqueuer.calls == [Enqueued("sync_products", "t1", (("u1",),))]


def test_the_background_flusher_sends_a_requested_batch_before_its_window_ends(
    batcher: ProductBatcher, enqueuer: RecordingEnqueuer
) -> None:
    batcher.add(BatchKind.SYNC, "t1", ["u1", "u2", "u3"])
    # An interval far longer than the poll below: only the request can make it send.
    flusher = BatchFlusher(batcher, interval_s=600)
    flusher.start()
    try:
        assert flusher.is_running
        flusher.request_flush(BatchKind.SYNC, "t1")
        wait_until(lambda: enqueuer.calls, 5, what="the flusher enqueued the batch")
    finally:
        flusher.stop()
    assert not flusher.is_running
    assert enqueuer.calls == [Enqueued("sync_products", "t1", (("u1", "u2", "u3"),))]
