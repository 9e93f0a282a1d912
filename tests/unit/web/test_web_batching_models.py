"""Product-model codes batched per tenant: one `sync_models` message per window, whatever the count."""

from __future__ import annotations

import fakeredis
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from akeneo_sync.clock import ManualClock
from akeneo_sync.state.batches import EventBatches
from akeneo_sync.state.keys import Keys
from akeneo_sync.web.batching import BatchKind, ProductBatcher
from akeneo_sync.web.testing import Enqueued, RecordingEnqueuer


def test_ten_thousand_codes_in_one_window_are_one_message_and_leave_nothing_behind(
    fake_redis: redis.Redis, keys: Keys, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    batcher = ProductBatcher(EventBatches(fake_redis, keys), enqueuer, clock, window_s=1.0, max_size=100)
    # Far past `max_size`, yet not due: a models batch waits for its window.
    assert not batcher.add(BatchKind.MODELS, "t1", [f"model_{n}" for n in range(10_000)])
    assert batcher.flush_due() == 0
    clock.advance(1.0)
    assert batcher.flush_due() == 1
    assert enqueuer.calls == [Enqueued("sync_models", "t1")]
    assert fake_redis.scard(keys.batch(BatchKind.MODELS, "t1")) == 0
    assert fake_redis.zcard(keys.batches_pending()) == 0
    assert batcher.flush_due() == 0


def test_models_and_products_of_one_tenant_are_separate_batches(
    fake_redis: redis.Redis, keys: Keys, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    batcher = ProductBatcher(EventBatches(fake_redis, keys), enqueuer, clock, window_s=1.0, max_size=3)
    batcher.add(BatchKind.MODELS, "t1", ["boot"])
    batcher.add(BatchKind.SYNC, "t1", ["u1"])
    clock.advance(1.0)
    assert batcher.flush_due() == 2
    assert sorted(enqueuer.calls, key=lambda call: call.actor) == [
        Enqueued("sync_models", "t1"),
        Enqueued("sync_products", "t1", (("u1",),)),
    ]


def test_codes_that_arrive_during_a_send_wait_a_whole_window(
    fake_redis: redis.Redis, keys: Keys, clock: ManualClock
) -> None:
    class LateArrival(RecordingEnqueuer):
        def sync_models(self, tenant: str) -> None:
            super().sync_models(tenant)
            if len(self.calls) == 1:
                batcher.add(BatchKind.MODELS, tenant, ["late"])  # an event lands while the message is sent

    enqueuer = LateArrival()
    batcher = ProductBatcher(EventBatches(fake_redis, keys), enqueuer, clock, window_s=1.0, max_size=3)
    batcher.add(BatchKind.MODELS, "t1", ["early"])
    clock.advance(1.0)
    assert batcher.flush_due() == 1
    assert fake_redis.smembers(keys.batch(BatchKind.MODELS, "t1")) == {b"late"}
    # The late code opened a new window: not due at once (a steady stream would otherwise flush
    # on every pass), due a window later.
    assert batcher.flush_due() == 0
    clock.advance(1.0)
    assert batcher.flush_due() == 1
    assert enqueuer.calls == [Enqueued("sync_models", "t1"), Enqueued("sync_models", "t1")]


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("add"), st.sampled_from(["t1", "t2"]), st.integers(min_value=1, max_value=7)),
            st.tuples(st.just("tick"), st.floats(min_value=0, max_value=2)),
            st.tuples(st.just("flush_due")),
        ),
        max_size=30,
    )
)
def test_every_window_with_codes_sends_one_message_and_none_is_left(steps: list[tuple[object, ...]]) -> None:
    clock, enqueuer, keys = ManualClock(), RecordingEnqueuer(), Keys("prop")
    client = fakeredis.FakeRedis()
    batcher = ProductBatcher(EventBatches(client, keys), enqueuer, clock, window_s=1.0, max_size=3)
    adds = {"t1": 0, "t2": 0}
    for step in steps:
        if step[0] == "add":
            _, tenant, count = step
            assert isinstance(tenant, str)
            assert isinstance(count, int)
            if batcher.add(BatchKind.MODELS, tenant, [f"m{n}" for n in range(count)]):
                batcher.flush(BatchKind.MODELS, tenant)
            adds[tenant] += 1
        elif step[0] == "tick":
            assert isinstance(step[1], float)
            clock.advance(step[1])
        else:
            batcher.flush_due()
    clock.advance(1.0)
    batcher.flush_due()
    for tenant, added in adds.items():
        sent = [call for call in enqueuer.calls if call.tenant == tenant]
        assert all(call == Enqueued("sync_models", tenant) for call in sent)
        # At least one message for a tenant with codes, never more than one per addition.
        assert (len(sent) >= 1) == (added >= 1)
        assert len(sent) <= added
        assert client.scard(keys.batch(BatchKind.MODELS, tenant)) == 0
    assert client.zcard(keys.batches_pending()) == 0
