"""`akeneo-sync demo`: the whole product in one process, with nothing installed.

The bundled PIM emulator (10,000 seeded products) on a loopback socket, an in-process Redis
(fakeredis) under the real Redis broker, state store and actors, a real dramatiq worker with
threads, and a SQLite target. It activates the app through the OAuth exchange, lets the app
create its two catalogs, enables one, syncs it in full with a progress bar, changes and deletes a
few products, runs an incremental sync and a reconcile, prints a summary, and exits non-zero if
the target does not equal the catalog.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TextIO
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography.fernet import Fernet
from prometheus_client import REGISTRY

from akeneo_sync.akeneo.oauth import authorize_url, exchange_code, new_state
from akeneo_sync.clock import SystemClock
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.testing import EmulatorHandle, running_emulator
from akeneo_sync.errors import AkeneoSyncError
from akeneo_sync.logging import configure_logging
from akeneo_sync.settings import CatalogSpec, Settings
from akeneo_sync.state import Slot, StoredToken
from akeneo_sync.state.connect import in_process_redis
from akeneo_sync.targets.sqlite import SqliteTarget
from akeneo_sync.tenancy import tenant_id_for
from akeneo_sync.worker.broker import build_broker
from akeneo_sync.worker.embedded import EmbeddedWorker
from akeneo_sync.worker.runtime import Runtime, build_runtime
from akeneo_sync.worker.shutdown import StopFlag

__all__ = ["DemoOptions", "DemoStack", "demo_stack", "run_demo"]

CLIENT_ID: Final = "akeneo-sync-demo"
CLIENT_SECRET: Final = "demo-secret-not-for-production"  # noqa: S105 -- the emulator's demo app
CALLBACK: Final = "http://127.0.0.1:8000/callback"


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """What the demo runs on."""

    products: int = 10_000
    seed: int = 42
    database: Path = Path("akeneo-sync-demo.db")
    threads: int = 4
    changes: int = 5
    deletions: int = 3
    # `--variants`: the catalog in products-with-variants mode, over `models` seeded product models.
    variants: bool = False
    models: int = 0


class _Demo:
    def __init__(self, options: DemoOptions, pim: EmulatorHandle, out: TextIO) -> None:
        self.options = options
        self.pim = pim
        self.out = out

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.pim.admin.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def activate(self) -> str:
        """Play the PIM user's Connect click: authorize, approve, callback, code exchange."""
        self.admin(
            "POST",
            "/_emulator/apps",
            json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "callback_url": CALLBACK},
        )
        state = new_state()
        url = authorize_url(self.pim.base_url, client_id=CLIENT_ID, scopes=Settings().scopes, state=state)
        with httpx.Client(timeout=10) as browser:
            redirect = browser.get(url, follow_redirects=False)
            query = parse_qs(urlsplit(redirect.headers["location"]).query)
            if query.get("state") != [state]:
                raise AkeneoSyncError("the PIM echoed a different OAuth state")
            grant = exchange_code(
                browser, self.pim.base_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=query["code"][0]
            )
        self.say(f"  activated: app token received (scopes: {' '.join(grant.scope)})")
        return grant.access_token

    def follow(
        self, worker: EmbeddedWorker, runtime: Runtime, tenant: str, catalog: str, total: int, *, unit: str = "products"
    ) -> float:
        """Drain the queue while drawing a progress bar of the catalog's running sync."""
        started = time.monotonic()
        drained = threading.Event()
        failure: list[BaseException] = []

        def drain() -> None:
            try:
                worker.drain(timeout_s=600)
            except BaseException as exc:  # reported in the main thread
                failure.append(exc)
            finally:
                drained.set()

        threading.Thread(target=drain, daemon=True).start()
        done = 0
        while not drained.wait(0.2):
            checkpoint = runtime.state.checkpoints.load(tenant, catalog, Slot.SYNC)
            if checkpoint is not None:
                counters = checkpoint.counters
                done = counters.upserted + counters.skipped + counters.failed
            self._bar(done, total, time.monotonic() - started, unit)
        self._bar(total, total, time.monotonic() - started, unit)
        self.out.write("\n")
        if failure:
            raise failure[0]
        return time.monotonic() - started

    def _bar(self, done: int, total: int, elapsed_s: float, unit: str) -> None:
        width = 40
        ratio = min(done / total, 1.0) if total else 1.0
        filled = int(width * ratio)
        rate = done / elapsed_s if elapsed_s > 0 else 0.0
        self.out.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done:>6}/{total} {unit}  {rate:7.0f}/s")
        self.out.flush()


def _metric(name: str, **labels: str) -> float:
    """Sum of a metric's samples whose labels include `labels` (this process's registry)."""
    total = 0.0
    for family in REGISTRY.collect():
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def run_demo(options: DemoOptions | None = None, out: TextIO = sys.stdout) -> int:
    """Run the demo; returns 0 when the target equals the catalog, 1 otherwise."""
    options = options or DemoOptions()
    if options.variants:
        from akeneo_sync.demo_variants import run_variants_demo

        return run_variants_demo(options, out)
    out.write(f"akeneo-sync demo: PIM emulator with {options.products:,} products, in-process Redis, SQLite target\n")
    catalogs = (CatalogSpec(name="Store EU"), CatalogSpec(name="Store US"))
    with demo_stack(options, out, catalogs) as stack:
        demo, runtime, worker, tenant = stack.demo, stack.runtime, stack.worker, stack.tenant
        from akeneo_sync.worker import actors

        eu = stack.catalogs["Store EU"]
        demo.admin("PUT", f"/_emulator/catalogs/{eu}/selection", json={"enabled_only": True})
        # Only `uuid` is mapped by the PIM; the user maps the other targets before enabling.
        demo.admin("POST", f"/_emulator/catalogs/{eu}/product-mapping/by-name")
        demo.admin("POST", f"/_emulator/catalogs/{eu}/enable")
        total = len(demo.admin("GET", f"/_emulator/catalogs/{eu}/expected")["uuids"])
        demo.say(
            f"3. The PIM user maps the targets and enables Store EU ({total:,} products selected): poll -> full sync"
        )
        actors.poll_catalogs.send(tenant)
        full_s = demo.follow(worker, runtime, tenant, eu, total)

        uuids = sorted(demo.admin("GET", f"/_emulator/catalogs/{eu}/expected")["uuids"])
        for uuid in uuids[: options.changes]:
            demo.admin("PATCH", f"/_emulator/products/{uuid}", json={"values": {"name": f"Renamed {uuid[:8]}"}})
        for uuid in uuids[options.changes : options.changes + options.deletions]:
            demo.admin("DELETE", f"/_emulator/products/{uuid}")
        demo.say(
            f"4. {options.changes} products change and {options.deletions} are deleted in the PIM: "
            "incremental sync, then reconcile"
        )
        actors.sync_catalog.send(tenant, eu, "incremental")
        worker.drain(timeout_s=120)
        actors.reconcile_catalog.send(tenant, eu)
        worker.drain(timeout_s=120)

        expected = demo.admin("GET", f"/_emulator/catalogs/{eu}/expected")["mapped_products"]
        actual = stack.target.products(tenant, eu)
        letters = runtime.state.dead_letters.count(tenant)

    return _report(out, expected, actual, letters=letters, total=total, full_s=full_s, database=stack.database)


@dataclass(frozen=True, slots=True)
class DemoStack:
    """The running demo: the PIM, the app's runtime on its worker, the tenant and its catalogs by name."""

    demo: _Demo
    runtime: Runtime
    worker: EmbeddedWorker
    target: SqliteTarget
    tenant: str
    catalogs: dict[str, str]
    database: Path


@contextmanager
def demo_stack(options: DemoOptions, out: TextIO, catalogs: tuple[CatalogSpec, ...]) -> Iterator[DemoStack]:
    """Steps 1 and 2 of every demo: the emulator, the Connect click, and the app creating `catalogs`."""
    configure_logging("console", "WARNING")
    database = options.database.resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    settings = Settings(
        encryption_key=Fernet.generate_key().decode(),
        target_url=f"sqlite:///{database}",
        allow_private_pim=True,
        client_id=CLIENT_ID,
        catalogs=catalogs,
    )
    config = EmulatorConfig(products=options.products, seed=options.seed, models=options.models)
    with running_emulator(config=config) as pim:
        demo = _Demo(options, pim, out)
        # Akeneo's documented fair-use limits, enforced like the real PIM (429 + Retry-After).
        demo.admin(
            "PUT",
            "/_emulator/fair-use",
            json={"max_concurrent_per_token": 4, "max_requests_per_s": 100, "enforce": True},
        )
        demo.say(f"1. Connect: {pim.base_url} sends the user to the app, which exchanges the code")
        token = demo.activate()

        redis_client = in_process_redis()
        target = SqliteTarget(settings.target_url)
        runtime = build_runtime(
            settings, redis_client, clock=SystemClock(), stop=StopFlag(), target=target, fleet_wide_limits=False
        )
        tenant = tenant_id_for(pim.base_url)
        runtime.state.tenants.save(tenant, pim_url=pim.base_url, token=StoredToken(access_token=token))
        try:
            with EmbeddedWorker(runtime, build_broker(redis_client), threads=options.threads) as worker:
                from akeneo_sync.worker import actors

                demo.say("2. app_activated: the app creates its catalogs and pushes its mapping schema")
                actors.app_activated.send(tenant)
                worker.drain(timeout_s=120)
                by_name = {record.name: record.id for record in runtime.state.catalogs.list(tenant)}
                for name, catalog_id in sorted(by_name.items()):
                    demo.say(f"  {name}: {catalog_id} (disabled until a PIM user enables it)")
                yield DemoStack(demo, runtime, worker, target, tenant, by_name, database)
        finally:
            runtime.close()


def _report(
    out: TextIO,
    expected: dict[str, Any],
    actual: dict[str, Any],
    *,
    letters: int,
    total: int,
    full_s: float,
    database: Path,
) -> int:
    """Print the summary; 0 when the target equals the catalog."""
    pages = _metric("akeneo_sync_pim_requests_total", endpoint="mapped-products")
    rows = [
        ("products upserted", f"{_metric('akeneo_sync_products_total', action='upserted'):,.0f}"),
        ("products skipped (unchanged)", f"{_metric('akeneo_sync_products_total', action='skipped'):,.0f}"),
        ("products deleted downstream", f"{_metric('akeneo_sync_products_total', action='deleted'):,.0f}"),
        ("dead letters", f"{letters}"),
        ("pages fetched (mapped products)", f"{pages:,.0f}"),
        ("429 answers honoured", f"{_metric('akeneo_sync_rate_limited_total'):,.0f}"),
        ("full sync throughput", f"{total / full_s:,.0f} products/s ({full_s:.1f} s)"),
        ("SQLite target", str(database)),
    ]
    out.write("\nSummary\n")
    for label, value in rows:
        out.write(f"  {label:<34} {value}\n")
    missing = set(expected) - set(actual)
    extra = set(actual) - set(expected)
    stale = [uuid for uuid in set(expected) & set(actual) if expected[uuid] != actual[uuid]]
    if missing or stale or extra:
        out.write(f"MISMATCH: {len(missing)} missing, {len(stale)} stale, {len(extra)} extra downstream\n")
        return 1
    out.write(f"OK: the target holds exactly the {len(expected):,} products of the enabled catalog.\n")
    return 0
