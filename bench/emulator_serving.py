"""The emulator's own CPU per served product, read from `/proc/<pid>/stat` of its process.

    python bench/emulator_serving.py [--quick] [--products N] [--baseline-src /path/to/other/src]

One `akeneo-sync emulator` process (100,000 products, quick: 10,000; no latency and fair use not
enforced unless said), one catalog with the bundled mapping schema, and one client paging it sequentially:
- mapped-products (limit 100) twice: a cold pass, then a warm one (what a re-sync sees);
- mapped-products over 34 `updated` windows (the shape of a windowed full sync), paged
  by one cursor, then by 4 cursor threads with 50 ms latency and fair use enforced (its shape);
- products (limit 100), product-uuids (limit 1000);
- 2,000 single mapped-product and product gets by UUID.
Each row is the emulator's CPU (user + system) for that pass divided by the products served.
`--baseline-src` runs the same passes first against an emulator importing another checkout's
`src` (e.g. main's) and prints the ratio, so before/after come from one run on one machine.
"""

from __future__ import annotations

import itertools
import os
import queue
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from _common import (
    FAIR_USE,
    Catalog,
    EmulatorProcess,
    cpu_seconds_of,
    create_catalog,
    emulator_process,
    header,
    load,
    option,
    products_arg,
    quick_mode,
    row,
)

PAGE = 100
UUID_PAGE = 1000
SINGLE_GETS = 2_000
# As bench/full_sync.py pages it: 32 `updated` windows over two years, plus two open-ended ones.
HISTORY_S = 2 * 365 * 86_400
WINDOWS = 32
CURSORS = 4
LATENCY_S = 0.05


@dataclass(frozen=True, slots=True)
class Pass:
    name: str
    served: int
    cpu_s: float
    wall_s: float

    @property
    def us_per_product(self) -> float:
        return 1e6 * self.cpu_s / self.served if self.served else 0.0


def _page_through(api: httpx.Client, path: str, limit: int, query: str = "") -> int:
    """Follow `next` links to the end; how many items came back."""
    served = 0
    url: str | None = f"{path}?limit={limit}{query}"
    while url is not None:
        response = api.get(url)
        response.raise_for_status()
        body = response.json()
        served += len(body["_embedded"]["items"])
        url = body["_links"].get("next", {}).get("href")
    return served


def time_windows(lo: int, hi: int, count: int) -> list[tuple[int | None, int | None]]:
    """`count` equal `updated` windows over [lo, hi) plus open-ended ones before and after, newest
    first: the shape of a windowed full sync (the engine plans its own by count)."""
    step = max(1, (hi - lo) // count)
    edges = [*range(lo, hi, step), hi]
    windows: list[tuple[int | None, int | None]] = [(None, edges[0])]
    windows += [(a - 1, b) for a, b in itertools.pairwise(edges)]
    windows.append((hi - 1, None))
    return list(reversed(windows))


def _window_queries() -> list[str]:
    """The query strings of the windows of `time_windows`."""
    now = int(time.time())
    queries = []
    for after, before in time_windows(now - HISTORY_S, now, WINDOWS):
        query = ""
        if after is not None:
            query += f"&updated_after={_atom(after)}"
        if before is not None:
            query += f"&updated_before={_atom(before)}"
        queries.append(query.replace("+", "%2B"))
    return queries


def _windowed(api: httpx.Client, path: str) -> int:
    """Every window, one after the other."""
    return sum(_page_through(api, path, PAGE, query) for query in _window_queries())


def _cursors(pim: EmulatorProcess, api: httpx.Client, path: str) -> int:
    """The windows paged by `CURSORS` threads, one request in flight each, with the full-sync
    benchmark's 50 ms latency and fair use enforced: the emulator's side of its windowed runs."""
    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for query in _window_queries():
        todo.put(query)

    def cursor() -> int:
        served = 0
        while True:
            try:
                query = todo.get_nowait()
            except queue.Empty:
                return served
            served += _page_through(api, path, PAGE, query)

    pim.call("PUT", "/_emulator/faults", json={"latency_s": LATENCY_S})
    pim.call("PUT", "/_emulator/fair-use", json=FAIR_USE)
    try:
        with ThreadPoolExecutor(CURSORS) as pool:
            return sum(pool.map(lambda _: cursor(), range(CURSORS)))
    finally:
        pim.call("PUT", "/_emulator/faults", json={"latency_s": 0.0})
        pim.call("PUT", "/_emulator/fair-use", json={**FAIR_USE, "enforce": False})


def _atom(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def _measure(pid: int, name: str, work: Callable[[], int]) -> Pass:
    cpu, wall = cpu_seconds_of(pid), time.perf_counter()
    served = work()
    return Pass(name, served, cpu_seconds_of(pid) - cpu, time.perf_counter() - wall)


def _passes(products: int) -> list[Pass]:
    with emulator_process(products) as pim:
        catalog: Catalog = create_catalog(pim.base_url, pim.admin)
        base = f"{pim.base_url}/api/rest/v1/catalogs/{catalog.catalog_id}"
        headers = {"Authorization": f"Bearer {catalog.token}"}
        with httpx.Client(headers=headers, timeout=120.0) as api:
            uuids: list[str] = pim.call(
                "GET", f"/_emulator/catalogs/{catalog.catalog_id}/expected", params={"mapped": "false"}
            )["uuids"]
            sample = uuids[:: max(len(uuids) // SINGLE_GETS, 1)][:SINGLE_GETS]

            def singles(kind: str) -> Callable[[], int]:
                def run() -> int:
                    for uuid in sample:
                        api.get(f"{base}/{kind}/{uuid}").raise_for_status()
                    return len(sample)

                return run

            return [
                _measure(pim.pid, "mapped-products, cold", lambda: _page_through(api, f"{base}/mapped-products", PAGE)),
                _measure(pim.pid, "mapped-products, warm", lambda: _page_through(api, f"{base}/mapped-products", PAGE)),
                _measure(
                    pim.pid,
                    f"mapped-products, {WINDOWS + 2} updated windows",
                    lambda: _windowed(api, f"{base}/mapped-products"),
                ),
                _measure(
                    pim.pid,
                    f"same, {CURSORS} cursors, 50 ms, fair use",
                    lambda: _cursors(pim, api, f"{base}/mapped-products"),
                ),
                _measure(pim.pid, "products", lambda: _page_through(api, f"{base}/products", PAGE)),
                _measure(pim.pid, "product-uuids", lambda: _page_through(api, f"{base}/product-uuids", UUID_PAGE)),
                _measure(pim.pid, "mapped-products/{uuid}", singles("mapped-products")),
                _measure(pim.pid, "products/{uuid}", singles("products")),
            ]


def _report(title: str, passes: list[Pass]) -> None:
    print(f"-- {title} (load {load()})")
    for p in passes:
        row(p.name, f"{p.us_per_product:8.1f} us/product  ({p.served:,} in {p.cpu_s:.2f} CPU-s, {p.wall_s:.1f} s wall)")


def main() -> int:
    quick = quick_mode()
    products = products_arg(10_000 if quick else 100_000)
    header(f"emulator CPU per served product, {products:,} products", quick)
    baseline_src = option("--baseline-src", "")
    before: list[Pass] = []
    if baseline_src:
        # The child inherits PYTHONPATH, which wins over the installed (editable) package.
        previous = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = baseline_src
        try:
            before = _passes(products)
        finally:
            if previous is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = previous
        _report(f"baseline: {baseline_src}", before)
    after = _passes(products)
    _report("this checkout", after)
    if before:
        print("-- ratio (baseline / this checkout, CPU per product)")
        for old, new in zip(before, after, strict=True):
            row(old.name, f"{old.us_per_product / new.us_per_product:.2f}x" if new.us_per_product else "n/a")
    return 0


if __name__ == "__main__":
    sys.exit(main())
