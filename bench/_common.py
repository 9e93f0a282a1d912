"""Shared plumbing of the benchmarks: the machine, an emulator process, a catalog, an engine.

Nothing here asserts: the scripts report figures and ratios; only gross breakage (an incomplete
sync) makes them exit 1.
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis
from cryptography.fernet import Fernet

from akeneo_sync.akeneo.auth import AppTokenProvider
from akeneo_sync.akeneo.client import AkeneoClient
from akeneo_sync.akeneo.http import build_http_client
from akeneo_sync.akeneo.ratelimit import FairUseLimiter, FairUsePolicy, InProcessFairUseLimiter
from akeneo_sync.clock import SystemClock
from akeneo_sync.logging import configure_logging
from akeneo_sync.settings import Settings, bundled_schema_path
from akeneo_sync.state import StateStore, TokenCipher
from akeneo_sync.sync.engine import EngineOptions, SyncEngine
from akeneo_sync.sync.ports import CatalogSource
from akeneo_sync.targets.base import Target

REDIS_DBS = (6, 7)  # the two Redis DBs the bench owns; flushed before and after each use
TENANT = "bench"
CLIENT_ID = "akeneo-sync-bench"
# Akeneo's documented fair-use limits, enforced by the emulator like the real PIM.
FAIR_USE = {"max_concurrent_per_token": 4, "max_requests_per_s": 100, "enforce": True}
ROOT = Path(__file__).resolve().parent.parent
# Bounded polls on real processes (startup, completion) — never a sleep standing in for work.
START_TIMEOUT_S = 600.0


def quick_mode(argv: Sequence[str] | None = None) -> bool:
    """`--quick` on the command line or `BENCH_QUICK=1` in the environment."""
    args = sys.argv[1:] if argv is None else argv
    return "--quick" in args or os.environ.get("BENCH_QUICK", "") not in ("", "0")


def option(name: str, default: str) -> str:
    """The value after `name` on the command line, or `default`."""
    args = sys.argv[1:]
    if name in args and args.index(name) + 1 < len(args):
        return args[args.index(name) + 1]
    return default


def products_arg(default: int) -> int:
    """`--products N` overrides a script's catalog size (for trying things out)."""
    return int(option("--products", str(default)))


def machine() -> str:
    """CPU model, core count, load average and Python version, for the report header."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, load {load()}"


def load() -> str:
    """The 1/5/15-minute load averages (the machine is shared: figures move with it)."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}/{five:.2f}/{fifteen:.2f}"


def header(title: str, quick: bool) -> None:
    """Print the title and the machine; quiet the product's logs (the figures are the output)."""
    configure_logging("console", "WARNING")
    print(f"== {title}{' (quick)' if quick else ''}")
    print(f"machine: {machine()}")


def row(label: str, value: str) -> None:
    print(f"  {label:<44} {value}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class EmulatorProcess:
    """`akeneo-sync emulator` in its own process: where it listens and how long it took to start."""

    base_url: str
    admin: httpx.Client
    pid: int
    startup_s: float

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.admin.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.call("GET", "/_emulator/stats")
        return stats


@contextmanager
def emulator_process(products: int, seed: int = 7, dates: str = "even", models: int = 0) -> Iterator[EmulatorProcess]:
    """Start `python -m akeneo_sync emulator` and wait (bounded) until it answers; stop it by pid.

    `dates` is the seeded `updated` profile (`--dates`: even or bulk-import); `models` seeds that
    many product models (`--models`, 2-6 variants each) besides the products.
    """
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(  # noqa: S603 -- our own interpreter and module
        [
            sys.executable,
            "-m",
            "akeneo_sync",
            "emulator",
            "--port",
            str(port),
            "--products",
            str(products),
            "--seed",
            str(seed),
            "--dates",
            dates,
            "--models",
            str(models),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    admin = httpx.Client(base_url=base_url, timeout=120.0)
    try:
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"emulator exited with {proc.returncode}: {err[-2000:]}")
            try:
                if admin.get("/_emulator/stats").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() - started > START_TIMEOUT_S:
                raise RuntimeError("emulator did not start")
            time.sleep(0.1)
        yield EmulatorProcess(base_url, admin, proc.pid, time.monotonic() - started)
    finally:
        admin.close()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds a process has used so far (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_of(pid: int) -> int:
    """Resident set size of a process in bytes (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


@dataclass(frozen=True, slots=True)
class Catalog:
    """A catalog created through the API, with its mapping schema, enabled."""

    base_url: str
    token: str
    catalog_id: str


def create_catalog(
    base_url: str, admin: httpx.Client, name: str = "Bench", client_id: str = CLIENT_ID, schema: Path | None = None
) -> Catalog:
    """Register the app (once), mint a token, create a catalog with `schema` (default: the bundled one), enable it."""
    apps = admin.post("/_emulator/apps", json={"client_id": client_id, "client_secret": "bench"})
    if apps.status_code not in (200, 201, 409):
        apps.raise_for_status()
    token = admin.post("/_emulator/tokens", json={"client_id": client_id}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{base_url}/api/rest/v1", headers=headers, timeout=60) as api:
        created = api.post("/catalogs", json={"name": name})
        created.raise_for_status()
        catalog = created.json()["id"]
        api.put(
            f"/catalogs/{catalog}/mapping-schemas/product",
            content=(schema or bundled_schema_path()).read_bytes(),
            headers={"Content-Type": "application/json"},
        ).raise_for_status()
    # Map every target to its same-named attribute, as a PIM user would (an emulator that maps
    # them by itself has no such endpoint: 404).
    mapped = admin.post(f"/_emulator/catalogs/{catalog}/product-mapping/by-name")
    if mapped.status_code != 404:
        mapped.raise_for_status()
    admin.post(f"/_emulator/catalogs/{catalog}/enable").raise_for_status()
    return Catalog(base_url, token, catalog)


def catalog_size(admin: httpx.Client, catalog_id: str) -> int:
    """How many products the catalog holds, by paging its UUIDs through the admin-free API count."""
    expected = admin.get(f"/_emulator/catalogs/{catalog_id}/expected")
    expected.raise_for_status()
    return len(expected.json()["uuids"])


def redis_url(db: int) -> str:
    """The bench's Redis DB (`BENCH_REDIS_PORT` points at another server, e.g. a private one)."""
    return f"redis://127.0.0.1:{os.environ.get('BENCH_REDIS_PORT', '6379')}/{db}"


@contextmanager
def redis_db(db: int) -> Iterator[redis.Redis]:
    """A real Redis DB owned by the bench, flushed before and after."""
    client = redis.Redis.from_url(redis_url(db))
    client.ping()
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def state_store(client: redis.Redis) -> StateStore:
    return StateStore(client, cipher=TokenCipher(Fernet.generate_key().decode()), clock=SystemClock())


def limiter() -> FairUseLimiter:
    """The worker's fair-use limiter with the settings' limits (4 concurrent, 100 req/s)."""
    return InProcessFairUseLimiter(policy=FairUsePolicy.from_settings(Settings()), clock=SystemClock())


def pim_client(
    catalog: Catalog, shared_limiter: FairUseLimiter | None = None, transport: httpx.BaseTransport | None = None
) -> AkeneoClient:
    """The production client on its own pooled `httpx.Client`, as a worker builds it."""
    import random

    return AkeneoClient(
        catalog.base_url,
        http=build_http_client(timeout_s=60.0, transport=transport),
        tokens=AppTokenProvider(catalog.token),
        limiter=shared_limiter or limiter(),
        clock=SystemClock(),
        rng=random.Random(1),  # noqa: S311 -- retry jitter, not a secret
        tenant=TENANT,
    )


def shipped_options() -> EngineOptions:
    """The engine options a worker runs with the default settings (4 cursors for full syncs)."""
    cursors = Settings().sync_cursors
    return EngineOptions(cursors=cursors, prefetch=cursors > 1)


def engine(
    source: CatalogSource, target: Target, state: StateStore, catalog_id: str, options: EngineOptions | None = None
) -> SyncEngine:
    """A `SyncEngine` for the bench tenant, with the catalog recorded as enabled."""
    state.catalogs.upsert(TENANT, catalog_id, name="Bench", enabled=True)
    return SyncEngine(source, target, state, SystemClock(), tenant=TENANT, options=options)


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline > 0 else "n/a"
