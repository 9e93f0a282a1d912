"""`make observe`: a real Prometheus scrapes web + worker + scheduler during a sync, then every
dashboard query and alert expression is evaluated against it and the main graphs are screenshotted.

The scenario: a 20,000-product emulator slowed so the full sync spans many scrapes, a tenant
registered with `akeneo-sync tenants add`, its catalog enabled through the emulator admin API (the
scheduler's poll starts the sync), a few products with a broken image URL (dead letters: the mapping schema
wants a URI), 429s injected during part of the sync (back-off), an unsigned event posted to the web
side, a second tenant whose token is revoked (tenant revoked) and a message no retry can fix
(errors and rejects). Then the fleet phase: 12 tenants of a second emulator enable a small catalog
each at once (fleet.py), so KEDA's backlog rises while the ready list stays near 0. Exit code 1
when a check fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx
import queries
import redis
from cryptography.fernet import Fernet
from stack import Processes, free_port, http_ok, wait_until

from akeneo_sync.clock import SystemClock
from akeneo_sync.settings import Settings
from akeneo_sync.state import CatalogStatus, StateStore, TokenCipher
from akeneo_sync.worker.broker import build_broker
from akeneo_sync.worker.embedded import bind_actors
from akeneo_sync.worker.scheduler import DUE_KEY

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 11
TENANT = "observe-demo"
REVOKED_TENANT = "observe-revoked"
DEAD_LETTER_PRODUCTS = 5
# The fleet phase (fleet.py): one small catalog per tenant, all enabled at once, on a PIM of their
# own. 12 catalogs for 8 worker threads and 16 prefetched messages: 4 sync messages wait in a
# worker, none in the ready list.
FLEET_PREFIX = "observe-fleet-"
FLEET_TENANTS = 12
FLEET_PRODUCTS = 10_000
DEFAULT_POLL_S = Settings.model_fields["poll_interval_s"].default
DEFAULT_INCREMENTAL_S = Settings.model_fields["incremental_interval_s"].default
# (title, expression) of the graphs saved as PNGs under docs/observability/.
SCREENSHOTS = {
    "throughput": "sum by (action) (rate(akeneo_sync_products_total[15s]))",
    "pim-latency": "histogram_quantile(0.95, sum by (le, endpoint) "
    "(rate(akeneo_sync_pim_request_duration_seconds_bucket[15s])))",
    "rate-limited": "sum by (tenant) (rate(akeneo_sync_rate_limited_total[15s]))",
    "backoff": "sum by (reason) (rate(akeneo_sync_backoff_seconds_total[15s]))",
    "queue-depth": "max by (queue) (akeneo_sync_queue_depth)",
    # KEDA's signal (ready + delayed + in flight, from Redis) against the ready list it replaced.
    "backlog": 'label_replace(sum(akeneo_sync_fleet_backlog_messages), "curve", "backlog", "", "")'
    ' or label_replace(max(akeneo_sync_queue_depth{queue="default"}), "curve", "ready list", "", "")',
}
# The Redis of the run: AKENEO_SYNC_TEST_REDIS_PORT when set (a private server beside other suites).
REDIS_PORT = int(os.environ.get("AKENEO_SYNC_TEST_REDIS_PORT", "6379"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--screenshots", type=Path, default=ROOT / "docs" / "observability")
    parser.add_argument("--deadline-s", type=float, default=170.0)
    parser.add_argument("--fleet-tenants", type=int, default=FLEET_TENANTS)
    parser.add_argument("--fleet-products", type=int, default=FLEET_PRODUCTS)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="akeneo-sync-observe-"))
    procs = Processes(logs=work)
    client = redis.Redis(host="127.0.0.1", port=REDIS_PORT, db=REDIS_DB)
    client.flushdb()
    started = time.monotonic()
    # `timeout` (scripts/observe.sh) sends SIGTERM: unwind so `finally` stops what we started.
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        return _run(args, work, procs, client)
    except (RuntimeError, TimeoutError, httpx.HTTPError, KeyboardInterrupt) as exc:
        print(f"observe: FAILED: {exc}", file=sys.stderr)
        print(f"observe: logs in {work}", file=sys.stderr)
        return 1
    finally:
        procs.stop_all()
        client.flushdb()
        print(f"observe: all processes stopped; {time.monotonic() - started:.0f} s in total")


def _interrupted(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt("stopped by SIGTERM (time limit)")


@dataclass
class Stack:
    """What the run started and talks to."""

    env: dict[str, str]
    ports: dict[str, int]
    admin: httpx.Client
    api: httpx.Client
    key: str

    @property
    def pim_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['pim']}"


def _run(args: argparse.Namespace, work: Path, procs: Processes, client: redis.Redis) -> int:
    t0 = time.monotonic()
    stack = _start_stack(args, work, procs)
    print(
        f"observe: stack up in {time.monotonic() - t0:.1f} s (emulator {args.products} products, web, "
        f"worker 2 processes x 4 threads, scheduler, prometheus {stack.api.base_url})"
    )
    _scenario(args, stack, procs, client, budget_s=args.deadline_s - (time.monotonic() - t0) - 70)
    _fleet_phase(args, stack, procs, client)
    failures = _evaluate_everything(stack.api)
    _screenshots(str(stack.api.base_url).rstrip("/"), args.screenshots, work)
    stats = stack.admin.get("/_emulator/stats").json()
    print(f"observe: emulator saw {stats['requests']} requests, by status {stats['by_status']}")
    return 1 if failures else 0


def _start_stack(args: argparse.Namespace, work: Path, procs: Processes) -> Stack:
    """Emulator, web, worker, scheduler and Prometheus on free loopback ports, one Redis DB."""
    key = Fernet.generate_key().decode()
    ports = {name: free_port() for name in ("pim", "fleet-pim", "web", "worker", "scheduler", "prometheus")}
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AKENEO_SYNC_", "PROMETHEUS_", "dramatiq_"))},
        "AKENEO_SYNC_REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/{REDIS_DB}",
        "AKENEO_SYNC_ENCRYPTION_KEY": key,
        "AKENEO_SYNC_TARGET_URL": f"sqlite:///{work / 'target.db'}",
        "AKENEO_SYNC_ALLOW_PRIVATE_PIM": "true",
        "AKENEO_SYNC_POLL_INTERVAL_S": "2",
        "AKENEO_SYNC_INCREMENTAL_INTERVAL_S": "3",
        "AKENEO_SYNC_LOG_LEVEL": "WARNING",
        "AKENEO_SYNC_CLIENT_ID": "observe",
        "AKENEO_SYNC_CLIENT_SECRET": "observe-secret",
        "AKENEO_SYNC_API_KEY": "observe-api-key",
        "AKENEO_SYNC_EVENT_SECRETS": "observe-event-secret",
        "AKENEO_SYNC_PUBLIC_URL": f"http://127.0.0.1:{ports['web']}",
    }
    procs.akeneo_sync(
        "emulator",
        [
            "emulator",
            "--products",
            str(args.products),
            "--port",
            str(ports["pim"]),
            "--latency-ms",
            str(args.latency_ms),
        ],
        env,
    )
    procs.akeneo_sync(
        "fleet-pim",
        [
            "emulator",
            "--products",
            str(args.fleet_products),
            "--port",
            str(ports["fleet-pim"]),
            "--latency-ms",
            str(args.latency_ms),
        ],
        env,
    )
    procs.akeneo_sync("web", ["web", "--host", "127.0.0.1", "--port", str(ports["web"])], env)
    worker_env = {**env, "AKENEO_SYNC_METRICS_PORT": str(ports["worker"])}
    procs.akeneo_sync(
        "worker",
        ["worker", "--processes", "2", "--threads", "4", "--metrics-dir", str(work / "worker-metrics")],
        worker_env,
    )
    _start_scheduler(procs, env, ports)
    prometheus = _start_prometheus(procs, work, ports)
    probes = {
        "emulator": f"http://127.0.0.1:{ports['pim']}/_emulator/stats",
        "fleet emulator": f"http://127.0.0.1:{ports['fleet-pim']}/_emulator/stats",
        "web": f"http://127.0.0.1:{ports['web']}/metrics",
        "worker": f"http://127.0.0.1:{ports['worker']}/",
        "scheduler": f"http://127.0.0.1:{ports['scheduler']}/",
        "prometheus": f"{prometheus}/-/ready",
    }
    for name, url in probes.items():
        wait_until(name, http_ok(url), 60, alive=procs.check_alive)
    return Stack(
        env,
        ports,
        httpx.Client(base_url=f"http://127.0.0.1:{ports['pim']}", timeout=30),
        httpx.Client(base_url=prometheus, timeout=30),
        key,
    )


def _scenario(args: argparse.Namespace, stack: Stack, procs: Processes, client: redis.Redis, budget_s: float) -> None:
    """Tenants, the catalog enabled, dead letters, a poison message, 429s; returns after the sync."""
    admin = stack.admin
    admin.post("/_emulator/apps", json={"client_id": "observe", "client_secret": "observe-secret"}).raise_for_status()
    token = admin.post("/_emulator/tokens", json={"client_id": "observe"}).json()["access_token"]
    revoked = admin.post("/_emulator/tokens", json={"client_id": "observe"}).json()["access_token"]
    _cli(["tenants", "add", "--pim-url", stack.pim_url, "--token", token, "--tenant-id", TENANT], stack.env)
    admin.post("/_emulator/tokens/revoke", json={"access_token": revoked}).raise_for_status()
    _cli(["tenants", "add", "--pim-url", stack.pim_url, "--token", revoked, "--tenant-id", REVOKED_TENANT], stack.env)
    state = StateStore(client, cipher=TokenCipher(stack.key), clock=SystemClock())
    wait_until(
        "the catalog created at activation", lambda: bool(state.catalogs.list(TENANT)), 30, alive=procs.check_alive
    )
    catalog = state.catalogs.list(TENANT)[0].id
    _break_image_urls(admin, catalog)
    admin.post(f"/_emulator/catalogs/{catalog}/product-mapping/by-name").raise_for_status()
    admin.post(f"/_emulator/catalogs/{catalog}/enable").raise_for_status()
    _poison_and_unsigned_event(stack, client, catalog)

    def status() -> tuple[CatalogStatus | None, str | None]:
        record = state.catalogs.get(TENANT, catalog)
        return (None, None) if record is None else (record.status, record.last_outcome)

    wait_until("the full sync to start", lambda: status()[0] is CatalogStatus.RUNNING, 30, alive=procs.check_alive)
    sync_start = time.monotonic()
    time.sleep(3)  # a few scrapes of undisturbed throughput before the 429s
    latency = args.latency_ms / 1000
    admin.put(
        "/_emulator/faults", json={"latency_s": latency, "rate_429": 0.05, "retry_after_s": None, "seed": 6}
    ).raise_for_status()
    time.sleep(6)
    admin.put("/_emulator/faults", json={"latency_s": latency}).raise_for_status()
    wait_until(
        "the full sync to finish",
        lambda: status()[0] is CatalogStatus.IDLE and status()[1] is not None,
        budget_s,
        every_s=0.5,
        alive=procs.check_alive,
    )
    expected = len(admin.get(f"/_emulator/catalogs/{catalog}/expected").json()["uuids"])
    took = time.monotonic() - sync_start
    print(f"observe: full sync of {expected} products took {took:.1f} s, outcome {status()[1]}")
    _backlog_peaks(stack.api, took, "the full sync")
    # A run's histogram series is born with its first run, which rate() cannot see: let an
    # incremental run follow the full one so "sync duration" has an increase to show.
    wait_until(
        "a second (incremental) run seen by Prometheus",
        _prometheus_says(stack.api, "sum(akeneo_sync_sync_runs_total) >= 2"),
        20,
        alive=procs.check_alive,
    )
    # Twice: a series is born with its first event, which rate() cannot see; the second shows.
    _poison_and_unsigned_event(stack, client, catalog)
    time.sleep(3)  # a few more scrapes: counters' last increase lands, queue depth back to 0
    upserted = stack.api.get("/api/v1/query", params={"query": 'sum(akeneo_sync_products_total{action="upserted"})'})
    count = upserted.json()["data"]["result"][0]["value"][1]
    print(
        f"observe: Prometheus sees {count} products upserted "
        f"({DEAD_LETTER_PRODUCTS} with a broken image URL are dead letters)"
    )


def _start_scheduler(procs: Processes, env: dict[str, str], ports: dict[str, int]) -> None:
    procs.akeneo_sync(
        "scheduler",
        [
            "scheduler",
            "--metrics-port",
            str(ports["scheduler"]),
            "--metrics-host",
            "127.0.0.1",
            "--fleet-interval",
            "1",
        ],
        env,
    )


def _fleet_phase(args: argparse.Namespace, stack: Stack, procs: Processes, client: redis.Redis) -> None:
    """Many small catalogs enabled at once (fleet.py): the backlog rises, the ready list does not."""
    pim = f"http://127.0.0.1:{stack.ports['fleet-pim']}"
    admin = httpx.Client(base_url=pim, timeout=30)
    tenants = [f"{FLEET_PREFIX}{n:02d}" for n in range(args.fleet_tenants)]
    tokens = []
    for tenant in tenants:
        # An app of its own per tenant, as on as many PIMs: one app would list every tenant's catalog.
        admin.post("/_emulator/apps", json={"client_id": tenant, "client_secret": "observe-secret"}).raise_for_status()
        tokens.append(admin.post("/_emulator/tokens", json={"client_id": tenant}).json()["access_token"])
    added = subprocess.run(  # noqa: S603 -- our interpreter and script
        [sys.executable, str(Path(__file__).with_name("fleet.py")), pim, FLEET_PREFIX, *tokens],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if added.returncode != 0:
        raise RuntimeError(f"fleet tenants add failed: {added.stderr[-1000:]}")
    state = StateStore(client, cipher=TokenCipher(stack.key), clock=SystemClock())
    wait_until(
        "the fleet's catalogs created at activation",
        lambda: all(state.catalogs.list(t) for t in tenants),
        30,
        alive=procs.check_alive,
    )
    catalogs = [(t, state.catalogs.list(t)[0].id) for t in tenants]
    for _tenant, catalog in catalogs:
        admin.post(f"/_emulator/catalogs/{catalog}/product-mapping/by-name").raise_for_status()
    # The stack's cadences (a poll per tenant every 2 s, an incremental per catalog every 3 s) keep
    # the first part short; for this part they would fill the ready list with polls waiting behind
    # the syncs, 100 times as often as the defaults would. So the scheduler is restarted with the
    # defaults once it knows the new tenants: each tenant's poll, due within 2 s, fires once.
    wait_until(
        "the scheduler to know the fleet's tenants",
        lambda: all(client.hexists(DUE_KEY, f"poll:{t}") for t in tenants),
        30,
        alive=procs.check_alive,
    )
    procs.stop("scheduler")
    started = time.monotonic()
    for _tenant, catalog in catalogs:
        admin.post(f"/_emulator/catalogs/{catalog}/enable").raise_for_status()
    _start_scheduler(
        procs,
        {
            **stack.env,
            "AKENEO_SYNC_POLL_INTERVAL_S": str(DEFAULT_POLL_S),
            "AKENEO_SYNC_INCREMENTAL_INTERVAL_S": str(DEFAULT_INCREMENTAL_S),
        },
        stack.ports,
    )

    def synced() -> bool:
        records = [state.catalogs.get(t, c) for t, c in catalogs]
        return all(r is not None and r.status is CatalogStatus.IDLE and r.last_outcome is not None for r in records)

    wait_until("every fleet catalog's full sync", synced, 60, every_s=0.25, alive=procs.check_alive)
    took, done = time.monotonic() - started, time.time()
    size = len(admin.get(f"/_emulator/catalogs/{catalogs[0][1]}/expected").json()["uuids"])
    print(f"observe: fleet: {len(catalogs)} catalogs of {size} products enabled at once, all synced in {took:.1f} s")
    time.sleep(2)  # the fleet collector's last reading scraped
    _backlog_peaks(stack.api, took, "the fleet's full syncs (catalogs enabled -> all synced)", end=done)


def _backlog_peaks(api: httpx.Client, window_s: float, what: str, end: float | None = None) -> None:
    """The peaks, over `window_s` back from `end` (wall clock; default now), of KEDA's backlog signal
    and of the ready list it replaced."""
    window = f"{int(window_s) + 1}s" if end is not None else f"{int(window_s) + 5}s"
    at = {} if end is None else {"time": f"{end + 1:.3f}"}
    peaks = {}
    for name, expr in {
        "backlog (ready + delayed + in flight)": "sum(akeneo_sync_fleet_backlog_messages)",
        "in flight": 'sum(akeneo_sync_fleet_backlog_messages{state="in_flight"})',
        "ready list dramatiq:default": 'max(akeneo_sync_queue_depth{queue="default"})',
    }.items():
        values = []
        for over_time in ("max_over_time", "avg_over_time"):
            answer = api.get("/api/v1/query", params={"query": f"{over_time}(({expr})[{window}:1s])", **at}).json()
            result = answer["data"]["result"]
            values.append(f"{float(result[0]['value'][1]):.2f}" if result else "no data")
        above = api.get("/api/v1/query", params={"query": f"count_over_time((({expr}) > 1)[{window}:1s])", **at})
        seconds = above.json()["data"]["result"]
        values.append(seconds[0]["value"][1] if seconds else "0")
        peaks[name] = "peak {} mean {} (above 1 for {} s)".format(*values)
    print(f"observe: during {what}: " + "; ".join(f"{k} {v}" for k, v in peaks.items()))


def _break_image_urls(admin: httpx.Client, catalog: str) -> None:
    """Products whose image URL is no URI fail the mapping schema (format: uri): they become dead
    letters. (An empty required source would not: the PIM leaves such a product out.)"""
    uuids = admin.get(f"/_emulator/catalogs/{catalog}/expected").json()["uuids"]
    for uuid in uuids[:DEAD_LETTER_PRODUCTS]:
        admin.patch(f"/_emulator/products/{uuid}", json={"values": {"image_url": "no link"}}).raise_for_status()


def _poison_and_unsigned_event(stack: Stack, client: redis.Redis, catalog: str) -> None:
    """A message no retry can fix (an unknown run mode: fails once, dead-lettered) and a bad event."""
    bind_actors(build_broker(client))
    from akeneo_sync.worker import actors

    actors.sync_catalog.send(TENANT, catalog, "no-such-mode")
    httpx.post(
        f"http://127.0.0.1:{stack.ports['web']}/events",
        content=b'{"unsigned": true}',
        headers={"Content-Type": "application/json"},
    )


def _prometheus_says(api: httpx.Client, expr: str) -> Callable[[], bool]:
    def probe() -> bool:
        return bool(api.get("/api/v1/query", params={"query": expr}).json()["data"]["result"])

    return probe


def _cli(args: list[str], env: dict[str, str]) -> None:
    argv = [sys.executable, "-m", "akeneo_sync", *args]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"akeneo-sync {' '.join(args[:2])} failed: {done.stderr[-1000:]}")


def _start_prometheus(procs: Processes, work: Path, ports: dict[str, int]) -> str:
    rules = queries.plain_rules(ROOT / "deploy" / "base" / "prometheus-rules.yaml", work / "rules.yaml")
    jobs = {
        "akeneo-sync-web": ("web", "/metrics"),
        "akeneo-sync-worker": ("worker", "/"),
        "akeneo-sync-scheduler": ("scheduler", "/"),
    }
    config = [
        "global:",
        "  scrape_interval: 1s",
        "  evaluation_interval: 1s",
        "rule_files:",
        f"  - {rules}",
        "scrape_configs:",
    ]
    for job, (name, path) in jobs.items():
        config += [
            f"  - job_name: {job}",
            f"    metrics_path: {path}",
            "    static_configs:",
            f"      - targets: ['127.0.0.1:{ports[name]}']",
        ]
    (work / "prometheus.yml").write_text("\n".join(config) + "\n")
    promtool, server = shutil.which("promtool"), shutil.which("prometheus")
    if promtool is None or server is None:
        raise RuntimeError("prometheus/promtool are not installed (scripts/observe.sh installs them)")
    check = subprocess.run(  # noqa: S603 -- fixed argv
        [promtool, "check", "config", str(work / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        raise RuntimeError(f"promtool check config: {check.stdout}{check.stderr}")
    procs.start(
        "prometheus",
        [
            server,
            f"--config.file={work / 'prometheus.yml'}",
            f"--storage.tsdb.path={work / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
            "--log.level=warn",
        ],
        dict(os.environ),
    )
    return f"http://127.0.0.1:{ports['prometheus']}"


# Queries whose empty result is the right answer in this scenario (nothing of the kind happened).
LEGITIMATELY_EMPTY = {
    "Token refreshes and revocations": "a custom app's token never refreshes (only OAuth connections do)",
}


def _evaluate_everything(api: httpx.Client) -> list[str]:
    dashboards = ROOT / "grafana" / "dashboards"
    variables = queries.resolve_variables(api, queries.template_variables(dashboards))
    print(f"observe: template variables {variables}")
    failures: list[str] = []
    print("observe: dashboard queries (evaluated now, $__rate_interval=1m)")
    for query in queries.dashboard_queries(dashboards):
        outcome = queries.evaluate(api, query, variables)
        # ZERO: series exist but every value is 0 (e.g. rate() of a series born with its first event).
        status = ("DATA " if outcome.nonzero else "ZERO ") if outcome.has_data else ("EMPTY" if outcome.ok else "ERROR")
        print(
            f"  {status} {query.source} / {query.title}: {query.expr}\n        -> {outcome.series} series "
            f"{outcome.sample}{outcome.error}"
        )
        if not outcome.ok:
            failures.append(f"{query.title}: {outcome.error}")
        elif not outcome.has_data and query.title not in LEGITIMATELY_EMPTY:
            failures.append(f"{query.title}: no data")
    print("observe: alert expressions (must parse; firing ones shown)")
    for query in queries.alert_queries(ROOT / "deploy" / "base" / "prometheus-rules.yaml"):
        outcome = queries.evaluate(api, query, variables)
        status = "FIRES" if outcome.has_data else ("quiet" if outcome.ok else "ERROR")
        print(f"  {status} {query.title} -> {outcome.series} series {outcome.sample}{outcome.error}")
        if not outcome.ok:
            failures.append(f"alert {query.title}: {outcome.error}")
    rules = api.get("/api/v1/rules").json()["data"]["groups"]
    unhealthy = [r["name"] for g in rules for r in g["rules"] if r.get("health") not in ("ok", "unknown")]
    if unhealthy:
        failures.append(f"rules unhealthy in Prometheus: {unhealthy}")
    for failure in failures:
        print(f"observe: CHECK FAILED: {failure}", file=sys.stderr)
    return failures


def _screenshots(prometheus: str, out: Path, work: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise RuntimeError("chromium is not installed (scripts/observe.sh installs it)")
    out.mkdir(parents=True, exist_ok=True)
    for name, expr in SCREENSHOTS.items():
        url = f"{prometheus}/classic/graph?g0.expr={urllib.parse.quote(expr)}&g0.tab=0&g0.range_input=2m"
        png = out / f"{name}.png"
        subprocess.run(  # noqa: S603 -- fixed argv, our own URL
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={work / 'chromium'}",
                "--window-size=1200,900",
                "--virtual-time-budget=5000",
                f"--screenshot={png}",
                url,
            ],
            capture_output=True,
            timeout=60,
            check=True,
        )
        print(f"observe: screenshot {png} ({png.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    sys.exit(main())
