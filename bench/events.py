"""Event receiver: 200 signed CloudEvents/s for 30 s (quick: 5 s) against `akeneo-sync web`.

    python bench/events.py [--quick] [--rate N] [--seconds S]

`akeneo-sync web` runs as a subprocess on Redis DB 7 with a tenant whose subscription id is the
events' `subject`; `_event_load.py`, another process on loopback, sends `product.updated` events
signed with the primary secret at a fixed rate (open loop). The web side verifies, de-duplicates
and batches them into `sync_products` messages. Figures: p50/p99 latency and errors (goal: p99 <=
50 ms, 0 errors), the web process's CPU per event and the Redis commands per event by name (from
`INFO commandstats`: commands a Lua script runs are counted too, so EVALSHA is the round trip).
`--rate` and `--seconds` change the load (e.g. to find where the receiver saturates).
Skipped (exit 0, said so) when this checkout has no web side yet.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import redis
from _common import (
    REDIS_DBS,
    START_TIMEOUT_S,
    cpu_seconds_of,
    free_port,
    header,
    load,
    option,
    quick_mode,
    redis_db,
    redis_url,
    row,
)
from cryptography.fernet import Fernet

from akeneo_sync.clock import SystemClock
from akeneo_sync.state import StateStore, StoredToken, TokenCipher

RATE = 200.0
SECRET = "bench-event-secret"  # noqa: S105 -- the fixed key of a local benchmark
SUBSCRIPTION = "01JBENCH0000000000000000000"
GOAL_P99_MS = 50.0


def command_counts(client: redis.Redis) -> Counter[str]:
    """Calls per Redis command since the server started (`INFO commandstats`)."""
    stats = client.info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()})


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def start_web(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    web = subprocess.Popen(  # noqa: S603 -- our own interpreter and CLI
        [sys.executable, "-m", "akeneo_sync", "web", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    started = time.monotonic()
    while True:
        if web.poll() is not None:
            raise RuntimeError(f"web exited: {web.stderr.read().decode()[-2000:] if web.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return web
        except httpx.TransportError:
            pass
        if time.monotonic() - started > START_TIMEOUT_S:
            raise RuntimeError("web did not start")
        time.sleep(0.1)


def main() -> int:
    quick = quick_mode()
    rate = float(option("--rate", str(RATE)))
    seconds = float(option("--seconds", "5" if quick else "30"))
    header(f"event receiver, {rate:.0f} events/s for {seconds:.0f} s", quick)
    # BENCH_WEB_SRC: run the web side from another checkout's `src` (e.g. the `web` branch's)
    # while the rest of the product comes from this one.
    web_src = os.environ.get("BENCH_WEB_SRC", "")
    available = (
        (Path(web_src) / "akeneo_sync" / "web" / "server.py").exists()
        if web_src
        else importlib.util.find_spec("akeneo_sync.web.server") is not None
    )
    if not available:
        row("skipped", "this checkout has no `akeneo-sync web` (akeneo_sync.web.server) yet")
        return 0
    key = Fernet.generate_key().decode()
    port = free_port()
    env = {
        **os.environ,
        "AKENEO_SYNC_REDIS_URL": redis_url(REDIS_DBS[1]),
        "AKENEO_SYNC_ENCRYPTION_KEY": key,
        "AKENEO_SYNC_CLIENT_ID": "akeneo-sync-bench",
        "AKENEO_SYNC_CLIENT_SECRET": "bench-client-secret",
        "AKENEO_SYNC_API_KEY": "bench-api-key",
        "AKENEO_SYNC_EVENT_SECRETS": SECRET,
        "AKENEO_SYNC_LOG_LEVEL": "WARNING",
        **({"PYTHONPATH": web_src} if web_src else {}),
    }
    with redis_db(REDIS_DBS[1]) as client:
        state = StateStore(client, cipher=TokenCipher(key), clock=SystemClock())
        state.tenants.save(
            "bench",
            pim_url="https://pim.example.com",
            token=StoredToken(access_token="bench-token"),  # noqa: S106
            subscription_id=SUBSCRIPTION,
        )
        state.catalogs.upsert("bench", "catalog", name="Bench", enabled=True)
        web = start_web(env, port)
        commands = int(client.info("stats")["total_commands_processed"])
        by_name = command_counts(client)
        web_cpu = cpu_seconds_of(web.pid)
        try:
            load_run = subprocess.run(  # noqa: S603 -- our own interpreter and script
                [
                    sys.executable,
                    str(Path(__file__).with_name("_event_load.py")),
                    f"http://127.0.0.1:{port}/events",
                    SECRET,
                    SUBSCRIPTION,
                    str(rate),
                    str(seconds),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            web_cpu = cpu_seconds_of(web.pid) - web_cpu
        finally:
            web.send_signal(signal.SIGTERM)
            web.wait(timeout=30)
        commands = int(client.info("stats")["total_commands_processed"]) - commands
        by_name = command_counts(client) - by_name
        queued = sum(int(client.llen(k)) for k in client.scan_iter("dramatiq:*") if client.type(k) == b"list")
    if load_run.returncode != 0:
        print(f"INCOMPLETE: the load process failed: {load_run.stderr[-2000:]}")
        return 1
    result = json.loads(load_run.stdout.strip().splitlines()[-1])
    service, from_due = result["service"], result["from_due"]
    errors = sum(result["errors"].values())
    p99 = percentile(service, 0.99) * 1000
    sent, elapsed = result["sent"], result["elapsed_s"]
    row("events sent", f"{sent:,} in {elapsed:.1f} s ({sent / elapsed:.0f}/s, load {load()})")
    row(
        "latency p50 / p99 / max (send -> answer)",
        f"{percentile(service, 0.5) * 1000:.1f} / {p99:.1f} / "
        f"{service[-1] * 1000:.1f} ms (mean {statistics.fmean(service) * 1000:.1f})",
    )
    row(
        "latency p50 / p99 from the due time",
        f"{percentile(from_due, 0.5) * 1000:.1f} / {percentile(from_due, 0.99) * 1000:.1f} ms",
    )
    row("errors", f"{errors} {result['errors'] or ''}")
    outcomes: dict[str, int] = result["outcomes"]
    row("receiver outcomes", ", ".join(f"{name} {count:,}" for name, count in sorted(outcomes.items())))
    row("sync_products messages queued", f"{queued}")
    row("web process CPU per event", f"{web_cpu / max(sent, 1) * 1000:.2f} ms ({web_cpu / elapsed:.2f} cores)")
    row("Redis commands per event (whole server)", f"{commands / max(sent, 1):.1f} (exact only on a private Redis)")
    row(
        "  by name, per event",
        ", ".join(f"{name} {calls / max(sent, 1):.2f}" for name, calls in by_name.most_common(8)),
    )
    row("goal p99 <= 50 ms, 0 errors", "met" if p99 <= GOAL_P99_MS and errors == 0 else "missed")
    if outcomes.get("accepted", 0) != sent or queued == 0:
        # Answered 200 but not batched (stale, unknown subject...): the figures measure nothing.
        print("INCOMPLETE: not every event was accepted and batched into sync_products messages")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
