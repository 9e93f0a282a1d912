"""Digests, validation, prefetching and run planning in isolation."""

from __future__ import annotations

import math
import threading

import pytest
from sync_fakes import CATALOG, TENANT, product_uuid

from akeneo_sync.akeneo.types import Page
from akeneo_sync.errors import CatalogDisabledError, ConfigError, PimError
from akeneo_sync.state import Checkpoint, Phase, RunMode, Slot, StateStore
from akeneo_sync.sync.checkpoint import plan_run
from akeneo_sync.sync.digest import batch_fingerprint, product_digest
from akeneo_sync.sync.engine import EngineOptions
from akeneo_sync.sync.pages import PagePrefetcher
from akeneo_sync.sync.validate import InvalidProduct, ValidProduct, validate_product

U = product_uuid(1)


def test_the_digest_ignores_key_order_and_sees_any_value_change() -> None:
    assert product_digest({"uuid": U, "a": 1, "b": [1, 2]}) == product_digest({"b": [1, 2], "a": 1, "uuid": U})
    assert product_digest({"uuid": U, "a": 1}) != product_digest({"uuid": U, "a": 1.5})
    assert len(product_digest({"uuid": U})) == 16


def test_a_batch_fingerprint_depends_on_content_and_order() -> None:
    a, b = (U, b"1" * 16), (product_uuid(2), b"2" * 16)
    assert batch_fingerprint([a, b]) == batch_fingerprint([a, b])
    assert batch_fingerprint([a, b]) != batch_fingerprint([b, a])


@pytest.mark.parametrize(
    ("item", "detail"),
    [
        ("a string", "not a JSON object"),
        ({"name": "x"}, "uuid"),
        ({"uuid": ""}, "uuid"),
        ({"uuid": 42}, "uuid"),
        ({"uuid": U.upper()}, "canonical"),
        ({"uuid": U, "price": math.nan}, "JSON"),
    ],
)
def test_items_without_a_usable_envelope_are_invalid_with_a_reason(item: object, detail: str) -> None:
    checked = validate_product(item)

    assert isinstance(checked, InvalidProduct)
    assert detail in checked.detail


def test_a_custom_validator_can_refuse_a_product() -> None:
    checked = validate_product({"uuid": U}, lambda p: None if "name" in p else "name is required")

    assert isinstance(checked, InvalidProduct)
    assert (checked.uuid, checked.detail) == (U, "name is required")
    assert isinstance(validate_product({"uuid": U, "name": "x"}), ValidProduct)


def _pages(n: int) -> dict[str | None, Page[int]]:
    urls: list[str | None] = [None, *[f"p{i}" for i in range(1, n)]]
    return {
        url: Page(items=[i], next_url=urls[i + 1] if i + 1 < n else None, url=url or "p0") for i, url in enumerate(urls)
    }


@pytest.mark.parametrize("prefetch", [True, False])
def test_the_prefetcher_yields_every_page_in_order(prefetch: bool) -> None:
    pages = _pages(4)
    with PagePrefetcher(pages.__getitem__, None, prefetch=prefetch) as prefetcher:
        assert [p.items[0] for p in prefetcher] == [0, 1, 2, 3]


def test_the_prefetcher_fetches_the_next_page_while_the_current_one_is_processed() -> None:
    pages = _pages(3)
    fetched_ahead = threading.Event()

    def fetch(url: str | None) -> Page[int]:
        if url == "p1":
            fetched_ahead.set()
        return pages[url]

    with PagePrefetcher(fetch, None) as prefetcher:
        iterator = iter(prefetcher)
        next(iterator)
        assert fetched_ahead.wait(timeout=5), "page 2 was requested while page 1 was in hand"


@pytest.mark.parametrize("prefetch", [True, False])
def test_the_prefetcher_refuses_a_next_link_back_to_a_page_already_read(prefetch: bool) -> None:
    # p0 -> p1 -> p0: a looping PIM (or proxy) would otherwise keep a run paging forever.
    pages = {None: Page(items=[0], next_url="p1", url="p0"), "p1": Page(items=[1], next_url="p0", url="p1")}
    with PagePrefetcher(pages.__getitem__, None, prefetch=prefetch) as prefetcher:
        iterator = iter(prefetcher)
        assert next(iterator).items == [0]
        with pytest.raises(PimError, match="already read"):
            next(iterator)  # p1 is refused whole: its next link would start the loop again


def test_the_prefetcher_reraises_the_fetch_error_when_the_page_is_reached() -> None:
    def fetch(url: str | None) -> Page[int]:
        if url is None:
            return Page(items=[0], next_url="p1", url="p0")
        raise CatalogDisabledError("disabled", status=200)

    with PagePrefetcher(fetch, None) as prefetcher:
        iterator = iter(prefetcher)
        assert next(iterator).items == [0]
        with pytest.raises(CatalogDisabledError):
            next(iterator)


def _plan(state: StateStore, mode: RunMode) -> tuple[Slot, RunMode, bool, tuple[Slot, ...]]:
    plan = plan_run(state, TENANT, CATALOG, mode, now=100.0, overlap_s=10, new_run_id=lambda: "new")
    return plan.slot, plan.checkpoint.mode, plan.resumed, plan.discard


def _checkpoint(mode: RunMode) -> Checkpoint:
    return Checkpoint(run_id="old", mode=mode, phase=Phase.PAGES, started_at=1.0)


def test_a_full_request_supersedes_an_incremental_in_flight(state: StateStore) -> None:
    state.checkpoints.save(TENANT, CATALOG, Slot.SYNC, _checkpoint(RunMode.INCREMENTAL))

    assert _plan(state, RunMode.FULL) == (Slot.SYNC, RunMode.FULL, False, (Slot.SYNC, Slot.RECONCILE))


def test_an_incremental_request_resumes_a_full_run_in_flight(state: StateStore) -> None:
    state.checkpoints.save(TENANT, CATALOG, Slot.SYNC, _checkpoint(RunMode.FULL))

    assert _plan(state, RunMode.INCREMENTAL) == (Slot.SYNC, RunMode.FULL, True, ())


def test_a_reconcile_request_resumes_a_full_run_since_it_ends_with_the_same_diff(state: StateStore) -> None:
    state.checkpoints.save(TENANT, CATALOG, Slot.SYNC, _checkpoint(RunMode.FULL))
    state.checkpoints.save(TENANT, CATALOG, Slot.RECONCILE, _checkpoint(RunMode.RECONCILE))

    assert _plan(state, RunMode.RECONCILE) == (Slot.SYNC, RunMode.FULL, True, (Slot.RECONCILE,))


def test_an_incremental_starts_at_the_watermark_minus_the_overlap(state: StateStore) -> None:
    pipe = state.transaction()
    state.catalogs.stage_run_result(
        pipe,
        TENANT,
        CATALOG,
        run_id="r",
        outcome="success",
        status=state.catalogs.require(TENANT, CATALOG).status,
        counts={},
        watermark=50.0,
    )
    state.commit(pipe)

    plan = plan_run(state, TENANT, CATALOG, RunMode.INCREMENTAL, now=100.0, overlap_s=10, new_run_id=lambda: "n")

    assert (plan.checkpoint.mode, plan.checkpoint.updated_after, plan.checkpoint.started_at) == (
        RunMode.INCREMENTAL,
        40.0,
        100.0,
    )


@pytest.mark.parametrize("options", [{"page_size": 0}, {"diff_chunk": -1}, {"overlap_s": -1.0}])
def test_engine_options_out_of_range_are_a_config_error(options: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="engine options"):
        EngineOptions(**options)  # type: ignore[arg-type]
