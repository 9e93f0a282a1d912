"""Property: whatever the edits and crashes, a run that finishes leaves the target exact."""

from __future__ import annotations

import fakeredis
from hypothesis import given, settings
from hypothesis import strategies as st
from sync_fakes import CATALOG, DictTarget, MemorySource, product_uuid

from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import TargetUnavailableError
from akeneo_sync.state import RunMode, Slot, StateStore, TokenCipher
from akeneo_sync.sync.engine import EngineOptions, SyncEngine
from akeneo_sync.targets.base import BatchContext

TENANT = "tenant-1"

edits = st.lists(st.tuples(st.sampled_from(["put", "remove"]), st.integers(min_value=0, max_value=59)), max_size=12)
runs = st.tuples(
    st.sampled_from([RunMode.FULL, RunMode.INCREMENTAL, RunMode.RECONCILE, RunMode.UUIDS]),
    # The push that fails (0: none), and whether it fails before or after reaching the target.
    st.integers(min_value=0, max_value=4),
    st.booleans(),
)
steps = st.lists(st.tuples(edits, runs), min_size=1, max_size=6)


def _crash_on(call_no: int, after: bool, target: DictTarget) -> None:
    def hook(call: int, _batch: BatchContext) -> None:
        if call == call_no:
            raise TargetUnavailableError("crash")

    target.before_apply = None if after else hook
    target.after_apply = hook if after else None


@settings(max_examples=30, deadline=None)
@given(steps=steps, prefetch=st.booleans())
def test_after_any_edits_and_crashes_a_finished_run_leaves_the_target_exact(
    steps: list[tuple[list[tuple[str, int]], tuple[RunMode, int, bool]]], prefetch: bool
) -> None:
    clock = ManualClock()
    source = MemorySource(clock)
    for i in range(40):
        source.put(i)
    clock.advance(1000)
    target = DictTarget()
    state = StateStore(fakeredis.FakeRedis(), cipher=TokenCipher.generate(), clock=clock)
    engine = SyncEngine(
        source,
        target,
        state,
        clock,
        tenant=TENANT,
        options=EngineOptions(page_size=7, uuid_page_size=9, diff_chunk=5, prefetch=prefetch),
    )

    removed_at: dict[str, float] = {}
    for edit_list, (mode, crash_call, after) in steps:
        for action, i in edit_list:
            if action == "put":
                source.put(i, version=clock.now())
                removed_at.pop(product_uuid(i), None)
            elif product_uuid(i) in source.products:
                source.remove(i)
                removed_at[product_uuid(i)] = clock.now()
        clock.advance(1000)
        _crash_on(crash_call, after, target)
        in_flight = {slot: cp.started_at for _, slot, cp in state.checkpoints.in_flight(TENANT)}
        edited = [product_uuid(i) for _, i in edit_list]
        try:
            summary = engine.sync_uuids(CATALOG, edited) if mode is RunMode.UUIDS else engine.run(CATALOG, mode)
        except TargetUnavailableError:
            continue
        finally:
            target.before_apply = target.after_apply = None
        assert summary.is_success
        if summary.mode is RunMode.UUIDS:
            # Events: each named product is downstream exactly as the PIM has it, or gone.
            assert all(target.products.get(u) == source.products.get(u) for u in edited)
            continue
        if summary.mode in (RunMode.FULL, RunMode.INCREMENTAL):
            # The watermark is the run's start, however often it was resumed: every product
            # last changed before it is downstream exactly as the PIM has it.
            start = state.catalogs.require(TENANT, CATALOG).watermark
            assert start is not None
            wrong = {u for u, p in source.products.items() if source.updated[u] < start and target.products.get(u) != p}
            assert not wrong
        else:
            start = in_flight.get(Slot.RECONCILE, clock.now())
        if summary.mode in (RunMode.FULL, RunMode.RECONCILE):
            # Only a product deleted after the run started may still be downstream.
            stale = {u for u in target.products if u not in source.products and removed_at[u] < start}
            assert not stale

    # Finishing whatever was resumed, then one increment (changes since that run's start) and one
    # reconciliation (deletions after it paged past) leave the target exactly equal to the PIM.
    clock.advance(1000)
    for run in (engine.full_sync, engine.incremental_sync, engine.reconcile):
        assert run(CATALOG).is_success
    assert target.products == source.products
