"""Property tests of a full sync that splits busy `updated` windows, on random date distributions.

The PIM is modelled as Akeneo's code pages (docs/akeneo.md): products sorted by UUID,
`search_after` the last UUID of a page, `next` on every full page, no count, one bound strict,
both bounds either a strict pair (the old emulator) or an inclusive BETWEEN (Akeneo). The engine,
its cursors, its checkpoint and the deletion diff are the real ones (state on fakeredis).
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import fakeredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sync_fakes import CATALOG, TENANT, DictTarget

from akeneo_sync.akeneo.models import atom
from akeneo_sync.akeneo.types import CatalogInfo, MappedProduct, Page
from akeneo_sync.clock import ManualClock, to_utc_datetime
from akeneo_sync.errors import TargetUnavailableError
from akeneo_sync.state import Checkpoint, StateStore, TokenCipher
from akeneo_sync.sync.engine import EngineOptions, SyncEngine
from akeneo_sync.targets.base import BatchContext

NOW = 1_780_000_000
YEAR = 365 * 86_400
PAGE = 10


class ModelPim:
    """One catalog paged as Akeneo pages it (implements `CatalogSource`), thread-safe."""

    def __init__(self, updated: dict[str, int], *, inclusive: bool) -> None:
        self.updated = dict(updated)
        self.version = dict.fromkeys(updated, 0)
        self.inclusive = inclusive
        self.lock = threading.Lock()
        self.emitted: set[str] = set()  # every search_after the PIM wrote in a next link
        self.invented: list[str] = []  # search_after values asked that it never wrote
        self.delivered: dict[str, int] = {}
        self.requests = 0

    def edit(self, product: str, at: int) -> None:
        with self.lock:
            self.updated[product] = at
            self.version[product] += 1

    def expected(self) -> dict[str, MappedProduct]:
        return {u: self._render(u) for u in self.updated}

    def get_catalog(self, catalog_id: str) -> CatalogInfo:
        return CatalogInfo(id=catalog_id, name="Catalog", enabled=True)

    def count_products(self, catalog_id: str, **_filters: Any) -> int | None:
        return None  # Akeneo ignores `with_count`

    def mapped_products_page(
        self,
        catalog_id: str,
        *,
        next_url: str | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        limit: int = 100,
    ) -> Page[MappedProduct]:
        url, items = self._page("mapped-products", next_url, updated_after, updated_before, limit)
        with self.lock:
            for u in items:
                self.delivered[u] = self.delivered.get(u, 0) + 1
            products = [self._render(u) for u in items]
        return Page(items=products, next_url=self._next(url, items, limit), url=url)

    def product_uuids_page(
        self,
        catalog_id: str,
        *,
        next_url: str | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        limit: int = 1000,
    ) -> Page[str]:
        url, items = self._page("product-uuids", next_url, updated_after, updated_before, limit)
        return Page(items=items, next_url=self._next(url, items, limit), url=url)

    def products_page(
        self,
        catalog_id: str,
        *,
        next_url: str | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        limit: int = 100,
    ) -> Page[dict[str, Any]]:
        url, items = self._page("products", next_url, updated_after, updated_before, limit)
        with self.lock:
            products = [{"uuid": u, "updated": atom(to_utc_datetime(self.updated[u]))} for u in items]
        return Page(items=products, next_url=self._next(url, items, limit), url=url)

    def get_mapped_product(self, catalog_id: str, product_uuid: str) -> MappedProduct | None:
        with self.lock:
            return self._render(product_uuid) if product_uuid in self.updated else None

    def _render(self, u: str) -> MappedProduct:
        return {"uuid": u, "name": f"{u[:8]} v{self.version[u]}"}

    def _page(
        self, kind: str, next_url: str | None, after: datetime | None, before: datetime | None, limit: int
    ) -> tuple[str, list[str]]:
        if next_url is None:
            query: dict[str, str] = {"limit": str(limit)}
            for key, value in (("updated_after", after), ("updated_before", before)):
                if value is not None:
                    query[key] = value.isoformat()
            url = f"http://pim/api/rest/v1/catalogs/{CATALOG}/{kind}?{urlencode(query)}"
        else:
            url = next_url
        params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        search_after = params.get("search_after", "")
        lo = int(datetime.fromisoformat(params["updated_after"]).timestamp()) if "updated_after" in params else None
        hi = int(datetime.fromisoformat(params["updated_before"]).timestamp()) if "updated_before" in params else None
        with self.lock:
            self.requests += 1
            if search_after and search_after not in self.emitted:
                self.invented.append(search_after)
            both_inclusive = self.inclusive and lo is not None and hi is not None
            matching = sorted(
                u
                for u, t in self.updated.items()
                if u > search_after
                and (lo is None or (t >= lo if both_inclusive else t > lo))
                and (hi is None or (t <= hi if both_inclusive else t < hi))
            )
        return url, matching[: int(params["limit"])]

    def _next(self, url: str, items: list[str], limit: int) -> str | None:
        if len(items) < limit:
            return None
        parts = urlsplit(url)
        kept = [p for p in parts.query.split("&") if not p.startswith("search_after=")]
        with self.lock:
            self.emitted.add(items[-1])
        return parts._replace(query="&".join([*kept, f"search_after={items[-1]}"])).geturl()


# -- random `updated` distributions -----------------------------------------------------------


@st.composite
def distributions(draw: st.DrawFn) -> list[int]:
    """`updated` seconds of a catalog: one second, one import, spread, bunches, or a mix."""
    n = draw(st.integers(0, 700))
    kind = draw(st.sampled_from(["one-second", "one-import", "spread", "bunches", "bulk-import"]))
    rng = random.Random(draw(st.integers(0, 2**32)))
    end = NOW - draw(st.integers(0, 30 * 86_400))
    if kind == "one-second":
        return [end] * n
    if kind == "one-import":
        rate = draw(st.integers(1, 600))
        return [end - i // rate for i in range(n)]
    if kind == "spread":
        span = draw(st.integers(1, 3 * YEAR))
        return [end - rng.randrange(span) for _ in range(n)]
    if kind == "bunches":
        centres = [end - rng.randrange(2 * YEAR) for _ in range(draw(st.integers(1, 5)))]
        return [rng.choice(centres) - rng.randrange(draw(st.integers(1, 120))) for _ in range(n)]
    import_end = end - 7 * 86_400
    dates = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.25:
            dates.append(import_end - rng.randrange(2 * YEAR))
        elif roll < 0.85:
            dates.append(import_end - i // 50)
        else:
            dates.append(import_end + rng.randrange(7 * 86_400))
    return dates


def catalog_of(dates: list[int], seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    return {str(uuid.UUID(int=rng.getrandbits(128), version=4)): t for t in dates}


def engine_on(pim: ModelPim, target: DictTarget, clock: ManualClock) -> tuple[SyncEngine, Callable[[], None]]:
    client = fakeredis.FakeRedis()
    state = StateStore(client, cipher=TokenCipher.generate(), clock=clock)
    options = EngineOptions(page_size=PAGE, cursors=4, window_min_products=20)
    return SyncEngine(pim, target, state, clock, tenant=TENANT, options=options), client.close


SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    dates=distributions(),
    inclusive=st.booleans(),
    seed=st.integers(0, 2**16),
    kill_at=st.none() | st.integers(1, 60),
)
def test_every_product_is_seen_once_from_a_search_after_the_pim_wrote(
    dates: list[int], inclusive: bool, seed: int, kill_at: int | None
) -> None:
    clock = ManualClock(start=float(NOW))
    pim, target = ModelPim(catalog_of(dates, seed), inclusive=inclusive), DictTarget()
    engine, close = engine_on(pim, target, clock)

    def die(call: int, _batch: BatchContext) -> None:
        if call == kill_at:
            target.before_apply = None
            raise TargetUnavailableError("the run dies here; the next one resumes its checkpoint")

    target.before_apply = die
    try:
        try:
            summary = engine.full_sync(CATALOG)
        except TargetUnavailableError:
            summary = engine.full_sync(CATALOG)
            assert summary.resumed
    finally:
        close()

    assert target.products == pim.expected()
    assert pim.invented == []
    if kill_at is None:
        assert summary.counters.upserted == len(pim.updated)
    if not inclusive and kill_at is None:
        # Strict bounds: the pieces of a window partition its seconds after its cursor's UUID.
        assert set(pim.delivered.values()) <= {1}


@SETTINGS
@given(
    dates=distributions(),
    inclusive=st.booleans(),
    seed=st.integers(0, 2**16),
    removed=st.floats(0.0, 0.3),
    edits=st.lists(st.tuples(st.integers(1, 40), st.integers(0, 10_000)), max_size=6),
)
def test_a_second_full_sync_deletes_only_what_left_even_with_products_edited_mid_run(
    dates: list[int], inclusive: bool, seed: int, removed: float, edits: list[tuple[int, int]]
) -> None:
    clock = ManualClock(start=float(NOW))
    pim, target = ModelPim(catalog_of(dates, seed), inclusive=inclusive), DictTarget()
    engine, close = engine_on(pim, target, clock)
    try:
        engine.full_sync(CATALOG)
        rng = random.Random(seed)
        gone = [u for u in sorted(pim.updated) if rng.random() < removed]
        for u in gone:
            del pim.updated[u]
        clock.advance(3_600)
        plan, first_call = dict(edits), len(target.batches)
        edited: set[str] = set()

        def edit_mid_run(call: int, _batch: BatchContext) -> None:
            # At the n-th push, a product (chosen by the draw) is saved again in the PIM: it moves
            # to the run's tail window, wherever the cursors stand.
            call -= first_call
            if call in plan and pim.updated:
                products = sorted(pim.updated)
                edited.add(products[plan[call] % len(products)])
                pim.edit(products[plan[call] % len(products)], int(clock.now()) + call)

        target.before_apply = edit_mid_run
        summary = engine.full_sync(CATALOG)
    finally:
        close()

    # Nothing live is deleted; a product edited after the tail's cursor passed it keeps its
    # previous version until the next incremental run, every other one is as in the PIM.
    assert set(target.products) == set(pim.updated)
    truth = pim.expected()
    assert {u: p for u, p in target.products.items() if u not in edited} == {
        u: p for u, p in truth.items() if u not in edited
    }
    assert summary.counters.deleted == len(gone)
    assert pim.invented == []


def test_a_checkpoint_written_before_bounds_were_recorded_reads_as_not_proven() -> None:
    old = (
        '{"run_id":"r","mode":"full","phase":"pages","started_at":1780000000.0,"pages":3,'
        '"windows":[{"lo":null,"hi":1779990000,"next_url":"http://pim/x?updated_before=a&search_after=b",'
        '"started":true,"done":false,"tail":false,"planned":40},{"lo":1779990000,"hi":null,"tail":true}]}'
    )
    checkpoint = Checkpoint.from_json(old)

    assert checkpoint.bounds_inclusive is False
    assert [w.next_url for w in checkpoint.windows] == ["http://pim/x?updated_before=a&search_after=b", None]
    assert Checkpoint.from_json(checkpoint.evolve(bounds_inclusive=True).to_json()).bounds_inclusive is True
