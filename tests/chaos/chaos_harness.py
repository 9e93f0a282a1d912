"""Shared machinery of the fault-injection suite: real processes, real sockets, bounded polls.

- `serve_emulator`: the emulator on a loopback port, behind a `RequestLog` that records every API
  call (URL with its query string, token, status, order), so a test can tell how often one page
  was fetched and what a token did after its first 401.
- `WorkerProcess`: `akeneo-sync worker` in its own process group, SIGKILLed or SIGTERMed whole.
- `RedisServer`: a private `redis-server` on its own port, crashed and restarted by a test.
- `RecordingTarget`: an HTTP platform that checks each batch's signature and applies it.
- `Compared`: the target against `/_emulator/catalogs/{id}/expected`, as lost/stale/extra counts.

Every wait is a bounded poll on a real process or socket (`wait_until`); none stands in for time
passing in the code under test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

import httpx
import redis
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from akeneo_sync.emulator.app import create_app
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.runtime import Emulator
from akeneo_sync.emulator.stats import token_key
from akeneo_sync.settings import bundled_schema_path
from akeneo_sync.state import CatalogStatus, Slot, StateStore

CHAOS_DB: Final = 8
FULL: Final = os.environ.get("CHAOS_FULL") == "1"
PAGE_SIZE: Final = 100
START_TIMEOUT_S: Final = 30.0


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def poll_until(predicate: Callable[[], bool], *, timeout_s: float, interval_s: float = 0.05) -> float | None:
    """Poll `predicate` until true: the seconds it took, or None when `timeout_s` passed first."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout_s:
            return None
        time.sleep(interval_s)
    return time.monotonic() - started


def wait_until(
    predicate: Callable[[], bool], *, timeout_s: float, what: str, log: Path | None = None, interval_s: float = 0.05
) -> float:
    """Poll `predicate` until true (returns the seconds it took); fail with `what` and the log tail."""
    took = poll_until(predicate, timeout_s=timeout_s, interval_s=interval_s)
    if took is None:
        tail = log.read_text(errors="replace")[-4000:] if log is not None and log.exists() else ""
        raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}\n{tail}")
    return took


# -- the emulator, with a per-URL request log ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One API call as the PIM saw it; `status` None = no answer (dropped, or the client left)."""

    seq: int
    method: str
    url: str
    token: str
    status: int | None
    answered_seq: int


@dataclass
class RequestLog:
    """Every API call in arrival order, filled by `RequestLogMiddleware`."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _seq: int = 0
    entries: list[LoggedRequest] = field(default_factory=list)

    def arrive(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def record(self, seq: int, method: str, url: str, token: str, status: int | None) -> None:
        with self._lock:
            self._seq += 1
            self.entries.append(LoggedRequest(seq, method, url, token, status, self._seq))

    def snapshot(self) -> list[LoggedRequest]:
        with self._lock:
            return sorted(self.entries, key=lambda entry: entry.seq)

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()

    def position(self) -> int:
        """The sequence number of the last arrival (a mark to split the log at)."""
        with self._lock:
            return self._seq

    def page_requests(self, catalog: str) -> list[LoggedRequest]:
        """Every mapped-products page request of `catalog`, in arrival order."""
        marker = f"/api/rest/v1/catalogs/{catalog}/mapped-products"
        return [e for e in self.snapshot() if e.method == "GET" and e.url.startswith(marker)]

    def page_fetches(self, catalog: str) -> Counter[str]:
        """How many times each mapped-products page URL of `catalog` was requested."""
        return Counter(e.url for e in self.page_requests(catalog))


class RequestLogMiddleware:
    """Records method, full URL, token handle and status of every call outside `/_emulator`."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self._app = app
        self._log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self._app(scope, receive, send)
            return
        seq = self._log.arrive()
        query = scope.get("query_string", b"").decode("latin-1")
        url = scope["path"] + (f"?{query}" if query else "")
        headers = dict(scope.get("headers", []))
        token = token_key(headers.get(b"authorization", b"").decode("latin-1"))
        recorder = _StatusRecorder(send)
        try:
            await self._app(scope, receive, recorder.send)
        finally:
            self._log.record(seq, scope["method"], url, token, recorder.status)


class _StatusRecorder:
    """Wraps the server's `send` and notes the status; looks like uvicorn's cycle to the emulator.

    The emulator drops a connection by closing `send.__self__.transport` (faults._drop_connection),
    so the wrapper's owner exposes the real cycle's transport and forwards `disconnected` to it.
    """

    def __init__(self, send: Send) -> None:
        self._inner = send
        self._cycle = getattr(send, "__self__", None)
        self.status: int | None = None

    @property
    def transport(self) -> Any:
        return getattr(self._cycle, "transport", None)

    @property
    def disconnected(self) -> bool:
        return bool(getattr(self._cycle, "disconnected", False))

    @disconnected.setter
    def disconnected(self, value: bool) -> None:
        setattr(self._cycle, "disconnected", value)  # noqa: B010 -- the cycle is untyped

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self._inner(message)


@dataclass(frozen=True, slots=True)
class Pim:
    """A running emulator: its URL, an admin client, its live state and the request log."""

    base_url: str
    admin: httpx.Client
    emulator: Emulator
    log: RequestLog

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """An admin call that must succeed; its JSON body (None when empty)."""
        response = self.admin.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def expected(self, catalog: str) -> dict[str, Any]:
        """The ground truth: every mapped product the catalog holds now, by UUID."""
        mapped: dict[str, Any] = self.call("GET", f"/_emulator/catalogs/{catalog}/expected")["mapped_products"]
        return mapped

    def new_catalog(self, client_id: str, name: str = "Chaos") -> tuple[str, str]:
        """Register an app, mint its token, create and enable a catalog with the bundled mapping."""
        self.call("POST", "/_emulator/apps", json={"client_id": client_id, "client_secret": "s"})
        token: str = self.call("POST", "/_emulator/tokens", json={"client_id": client_id})["access_token"]
        with httpx.Client(
            base_url=f"{self.base_url}/api/rest/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30.0
        ) as api:
            created = api.post("/catalogs", json={"name": name})
            created.raise_for_status()
            catalog: str = created.json()["id"]
            api.put(
                f"/catalogs/{catalog}/mapping-schemas/product",
                content=bundled_schema_path().read_bytes(),
                headers={"Content-Type": "application/json"},
            ).raise_for_status()
        self.call("POST", f"/_emulator/catalogs/{catalog}/product-mapping/by-name")
        self.call("POST", f"/_emulator/catalogs/{catalog}/enable")
        return token, catalog


@contextmanager
def serve_emulator(products: int, seed: int) -> Iterator[Pim]:
    """The emulator on a free loopback port in a background thread, with a request log in front."""
    # Counts on: today's windowed planner needs them to run several cursors (a real PIM gives none).
    emulator = Emulator.build(EmulatorConfig(products=products, seed=seed, serve_counts=True))
    log = RequestLog()
    app = RequestLogMiddleware(create_app(emulator=emulator), log)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, http="h11", lifespan="on", log_level="warning", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, name=f"chaos-emulator-{port}", daemon=True)
    thread.start()
    wait_until(lambda: server.started or not thread.is_alive(), timeout_s=START_TIMEOUT_S, what="the emulator")
    assert server.started, "the emulator did not start"
    base_url = f"http://127.0.0.1:{port}"
    admin = httpx.Client(base_url=base_url, timeout=30.0)
    try:
        yield Pim(base_url=base_url, admin=admin, emulator=emulator, log=log)
    finally:
        admin.close()
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT_S)


# -- worker processes ----------------------------------------------------------------------------


def worker_env(
    tmp_path: Path,
    *,
    redis_url: str,
    encryption_key: str,
    target_url: str,
    metrics_port: int | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a worker that recovers from kills within seconds (see broker.py)."""
    return {
        **os.environ,
        "AKENEO_SYNC_REDIS_URL": redis_url,
        "AKENEO_SYNC_ENCRYPTION_KEY": encryption_key,
        "AKENEO_SYNC_TARGET_URL": target_url,
        "AKENEO_SYNC_ALLOW_PRIVATE_PIM": "true",
        "AKENEO_SYNC_METRICS_PORT": str(metrics_port or free_port()),
        "AKENEO_SYNC_CATALOG_LOCK_TTL_S": "2",
        "AKENEO_SYNC_BROKER_HEARTBEAT_TIMEOUT_S": "2",
        "AKENEO_SYNC_BROKER_MAINTENANCE_CHANCE": "1000000",
        # CHAOS_LOG_LEVEL=INFO shows every run, coalesced trigger and resume in worker.log.
        "AKENEO_SYNC_LOG_LEVEL": os.environ.get("CHAOS_LOG_LEVEL", "WARNING"),
        "AKENEO_SYNC_LOG_FORMAT": "console",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        # Fast dramatiq consumer restarts after a broker connection error (default 3 s).
        "dramatiq_restart_delay": "500",
        **(extra or {}),
    }


class WorkerProcess:
    """`akeneo-sync worker --processes 1` in its own process group (master and children die together)."""

    def __init__(self, env: Mapping[str, str], log: Path, *, threads: int = 2) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "akeneo_sync", "worker", "--processes", "1", "--threads", str(threads)],
                env=dict(env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL the whole group, as a node failure would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM (graceful: running syncs checkpoint), SIGKILL if it has not exited in 60 s."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()


class SchedulerProcess:
    """`akeneo-sync scheduler` (the leader that also resumes runs left in flight), in its own group."""

    def __init__(self, env: Mapping[str, str], log: Path) -> None:
        scheduler_env = {
            **env,
            "AKENEO_SYNC_METRICS_PORT": str(free_port()),
            # Only the stalled-run sweep matters here: no polls or incremental runs of its own.
            "AKENEO_SYNC_RESUME_INTERVAL_S": "2",
            "AKENEO_SYNC_POLL_INTERVAL_S": "3600",
            "AKENEO_SYNC_INCREMENTAL_INTERVAL_S": "3600",
        }
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "akeneo_sync", "scheduler", "--metrics-host", "127.0.0.1"],
                env=scheduler_env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited in 30 s."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


# -- sync progress as the state store records it ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncProbe:
    """Reads a catalog's checkpoint and record from Redis."""

    state: StateStore
    tenant: str
    catalog: str

    def pages(self) -> int:
        checkpoint = self.state.checkpoints.load(self.tenant, self.catalog, Slot.SYNC)
        return 0 if checkpoint is None else checkpoint.pages

    def finished(self) -> bool:
        record = self.state.catalogs.get(self.tenant, self.catalog)
        return (
            record is not None
            and record.last_outcome == "success"
            and record.status is CatalogStatus.IDLE
            and self.state.checkpoints.load(self.tenant, self.catalog, Slot.SYNC) is None
        )


def broker_backlog(client: redis.Redis, queue: str = "default") -> dict[str, int]:
    """Messages left in dramatiq's Redis keys: ready, delayed, dead-lettered, fetched-not-acked."""
    unacked = sum(int(client.scard(key)) for key in client.scan_iter(match=f"dramatiq:__acks__.*.{queue}*"))
    return {
        "ready": int(client.hlen(f"dramatiq:{queue}.msgs")),
        "delayed": int(client.hlen(f"dramatiq:{queue}.DQ.msgs")),
        "dead": int(client.hlen(f"dramatiq:{queue}.XQ.msgs")),
        "unacked": unacked,
    }


# -- the outcome -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compared:
    """The target against the catalog's ground truth."""

    expected: int
    actual: int
    lost: int
    stale: int
    extra: int

    @classmethod
    def of(cls, expected: Mapping[str, Any], actual: Mapping[str, Any]) -> Compared:
        common = expected.keys() & actual.keys()
        return cls(
            expected=len(expected),
            actual=len(actual),
            lost=len(expected.keys() - actual.keys()),
            stale=sum(1 for uuid in common if expected[uuid] != actual[uuid]),
            extra=len(actual.keys() - expected.keys()),
        )

    @property
    def exact(self) -> bool:
        return self.lost == 0 and self.stale == 0 and self.extra == 0

    def __str__(self) -> str:
        return f"{self.actual}/{self.expected} products, lost {self.lost}, stale {self.stale}, extra {self.extra}"


def pages_of(products: int) -> int:
    """How many mapped-products pages a catalog of `products` has."""
    return max(1, math.ceil(products / PAGE_SIZE))


def scrape(port: int) -> dict[str, float]:
    """A Prometheus exposition as {`name{label="v",…}`: value} (labels sorted)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10.0).text
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def total(samples: Mapping[str, float], name: str) -> float:
    """The sum of every sample of metric `name` (all label sets)."""
    return sum(value for key, value in samples.items() if key.split("{", 1)[0] == name)


# -- a private Redis -------------------------------------------------------------------------------


class RedisServer:
    """A `redis-server` of our own on a free port whose data survives a crash (AOF, fsync always)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{CHAOS_DB}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                "/usr/bin/redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        probe = redis.Redis(port=self.port, socket_connect_timeout=0.2)

        def ready() -> bool:
            try:
                return bool(probe.ping())
            except redis.RedisError:
                return False

        wait_until(
            ready, timeout_s=START_TIMEOUT_S, what=f"redis-server on port {self.port}", log=self.directory / "redis.log"
        )
        probe.close()

    def crash(self) -> None:
        """SIGKILL the server: no shutdown save, only what the AOF holds survives."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None


# -- an HTTP platform ------------------------------------------------------------------------------


class RecordingTarget:
    """A platform endpoint: verifies `X-Akeneo-Sync-Signature`, applies batches, can go down and return.

    It behaves as the README asks of a receiver: a request whose body ends before its
    `Content-Length` (the sender died mid-request) is refused before its signature is even read,
    and counted in `truncated`; a complete body must carry a good signature or it is refused.
    """

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.port = free_port()
        self.rows: dict[str, Any] = {}
        self.keys: Counter[str] = Counter()
        # What each Idempotency-Key carried, and under which keys each distinct batch came.
        self.batches_by_key: dict[str, set[str]] = {}
        self.keys_by_batch: dict[str, set[str]] = {}
        self.bad_signatures = 0
        self.truncated = 0
        self.batch_times: list[float] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/batches"

    def apply(self, body: bytes, signature: str, key: str) -> int:
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        with self._lock:
            if not hmac.compare_digest(expected, signature):
                self.bad_signatures += 1
                return 401
            batch = json.loads(body)
            for product in batch["upserts"]:
                self.rows[product["uuid"]] = product
            for uuid in batch["deletes"]:
                self.rows.pop(uuid, None)
            self.keys[key] += 1
            digest = hashlib.sha256(body).hexdigest()
            self.batches_by_key.setdefault(key, set()).add(digest)
            self.keys_by_batch.setdefault(digest, set()).add(key)
            self.batch_times.append(time.monotonic())
            return 200

    def start(self) -> None:
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:
                    with target._lock:
                        target.truncated += 1
                    status = 400
                else:
                    status = target.apply(
                        body, self.headers.get("X-Akeneo-Sync-Signature", ""), self.headers.get("Idempotency-Key", "")
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="chaos-target", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the listening socket: connections are refused until `start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def batches_since(self, moment: float) -> int:
        with self._lock:
            return sum(1 for at in self.batch_times if at >= moment)

    def first_batch_after(self, moment: float) -> float | None:
        with self._lock:
            later = [at for at in self.batch_times if at >= moment]
            return min(later) if later else None

    def products(self) -> dict[str, Any]:
        with self._lock:
            return dict(self.rows)


def enqueue_sync(client: redis.Redis, tenant: str, catalog: str, mode: str = "full") -> None:
    """Send `sync_catalog(tenant, catalog, mode)` to the broker on `client`, as the scheduler would."""
    from akeneo_sync.worker.broker import build_broker
    from akeneo_sync.worker.embedded import bind_actors

    bind_actors(build_broker(client))
    from akeneo_sync.worker import actors

    actors.sync_catalog.send(tenant, catalog, mode)
