"""Handlers of the process and operator commands of `akeneo-sync` (the parser is in `cli.py`)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType

import dramatiq

from akeneo_sync.clock import SystemClock
from akeneo_sync.logging import configure_logging, get_logger
from akeneo_sync.operator import ControlPlane, print_table
from akeneo_sync.settings import Settings, load_settings
from akeneo_sync.worker.broker import DEFAULT_QUEUE
from akeneo_sync.worker.queues import queue_depths, remove_dead_message

__all__ = ["cmd_catalogs", "cmd_dead_letters", "cmd_scheduler", "cmd_sync", "cmd_tenants", "cmd_worker"]

log = get_logger(__name__)
# Where `tenants add` reads the token when --token is not given.
TOKEN_ENV = "AKENEO_SYNC_TENANT_TOKEN"  # noqa: S105 - the name of a variable, not a secret


def _settings() -> Settings:
    # Imported late: prometheus_client picks its multiprocess mode on first import, and the
    # worker command must set PROMETHEUS_MULTIPROC_DIR up before that (see worker/process.py).
    from akeneo_sync.metrics import set_tenant_labels

    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    set_tenant_labels(settings.metrics_tenant_labels)
    return settings


def cmd_worker(args: argparse.Namespace) -> int:
    """Run dramatiq worker processes in the foreground (SIGTERM: graceful; SIGKILL: nothing lost)."""
    from akeneo_sync.worker.cpus import default_processes
    from akeneo_sync.worker.process import exec_worker

    settings = load_settings()
    settings.require("encryption_key")
    exec_worker(
        processes=args.processes or default_processes(),
        threads=args.threads,
        metrics_dir=Path(args.metrics_dir),
        metrics_port=settings.metrics_port,
    )
    return 0  # pragma: no cover - exec_worker replaces the process


def cmd_scheduler(args: argparse.Namespace) -> int:
    """Run the scheduler; with two replicas one leads and the other stands by."""
    # One process serving its own registry: multiprocess mode (a PROMETHEUS_MULTIPROC_DIR meant for
    # the workers, inherited from a shared environment) would only make it write files — into a
    # directory the worker empties at start.
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    from prometheus_client import REGISTRY, start_http_server

    from akeneo_sync.metrics import QUEUE_DEPTH, tenant_label
    from akeneo_sync.observability import initialize_series
    from akeneo_sync.state.schedule import ScheduleStore
    from akeneo_sync.web.broker_enqueuer import BrokerEnqueuer
    from akeneo_sync.worker.broker import build_broker
    from akeneo_sync.worker.enqueue import StateScheduleSource
    from akeneo_sync.worker.fleet import FleetCollector, FleetRefresher, read_fleet
    from akeneo_sync.worker.scheduler import Cadence, Scheduler

    settings = _settings()
    plane = ControlPlane.open(settings)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    initialize_series()
    start_http_server(args.metrics_port or settings.metrics_port, addr=args.metrics_host)
    source = StateScheduleSource(plane.state)
    scheduler = Scheduler(
        ScheduleStore(plane.redis, plane.state.keys),
        source,
        BrokerEnqueuer(build_broker(plane.redis), enabled_catalogs=source.enabled_catalogs),
        SystemClock(),
        Cadence(
            settings.poll_interval_s,
            settings.incremental_interval_s,
            settings.reconcile_interval_s,
            settings.resume_interval_s,
        ),
        instance_id=f"{socket.gethostname()}-{os.getpid()}",
    )

    fleet = FleetCollector(tenant_label)
    REGISTRY.register(fleet)
    refresher = FleetRefresher(
        fleet, lambda: read_fleet(plane.state, SystemClock(), [DEFAULT_QUEUE]), SystemClock(), args.fleet_interval
    )

    def measure_queues() -> None:
        for queue, depth in queue_depths(plane.redis, [DEFAULT_QUEUE]).items():
            QUEUE_DEPTH.labels(queue=queue).set(depth)
        refresher.tick(leader=scheduler.lease.current_holder() == scheduler.lease.holder)

    log.info("scheduler_started", instance=scheduler.lease.holder)
    scheduler.run(stop, on_tick=measure_queues)
    return 0


def cmd_tenants(args: argparse.Namespace) -> int:
    """List tenants, register a custom app's token (`tenants add`) or re-encrypt tokens (`rotate-key`)."""
    plane = ControlPlane.open(_settings())
    if args.action == "add":
        tenant = plane.add_tenant(
            args.pim_url, _token(args), subscription_id=args.subscription_id, tenant_id=args.tenant_id
        )
        print(f"tenant {tenant} stored; app_activated enqueued")
        return 0
    if args.action == "purge":
        return _purge(plane, args)
    if args.action == "reactivate":
        print(f"app_activated enqueued for {len(plane.reactivate_all())} active tenants")
        return 0
    if args.action == "rotate-key":
        print(f"re-encrypted the tokens of {plane.rotate_key()} tenants under the first ENCRYPTION_KEY")
        return 0
    print_table(plane.tenant_rows(), as_json=args.json)
    return 0


def _purge(plane: ControlPlane, args: argparse.Namespace) -> int:
    if not args.tenant:
        print("akeneo-sync: tenants purge needs the tenant id: tenants purge TENANT --yes", file=sys.stderr)
        return 2
    if not args.yes:
        print(
            f"akeneo-sync: this deletes every product of tenant {args.tenant} from the target and all its "
            "state in Redis, for good; run again with --yes to confirm",
            file=sys.stderr,
        )
        return 2
    from akeneo_sync.targets.factory import build_target  # late: it loads the metrics

    settings = plane.settings
    secret = settings.target_secret.get_secret_value() if settings.target_secret else None
    target = build_target(settings.target_url, secret)
    try:
        report = plane.purge_tenant(args.tenant, target)
    finally:
        target.close()
    print(
        f"tenant {args.tenant} purged: {report.deleted} products deleted from the target, "
        f"{report.dead_letters} dead letters dropped"
    )
    return 0


def cmd_catalogs(args: argparse.Namespace) -> int:
    """Show the status of every catalog."""
    plane = ControlPlane.open(_settings())
    print_table(plane.catalog_rows(args.tenant), as_json=args.json)
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    """Enqueue a sync of one catalog (incremental, full with --full, refresh with --refresh)."""
    plane = ControlPlane.open(_settings())
    if plane.state.tenants.get(args.tenant) is None:
        print(f"akeneo-sync: unknown tenant {args.tenant!r}", file=sys.stderr)
        return 1
    from akeneo_sync.worker import actors

    mode = "refresh" if args.refresh else "full" if args.full else "incremental"
    message = actors.sync_catalog.send(args.tenant, args.catalog, mode)
    print(f"enqueued {mode} sync of {args.tenant}/{args.catalog} (message {message.message_id})")
    return 0


def cmd_dead_letters(args: argparse.Namespace) -> int:
    """List dead letters (products and messages) or replay them."""
    settings = _settings()
    plane = ControlPlane.open(settings)
    tenants = [args.tenant] if args.tenant else [t.id for t in plane.state.tenants.list()]
    if args.action == "list":
        rows = [
            {
                "kind": "product",
                "tenant": letter.tenant,
                "catalog": letter.catalog,
                "id": letter.id,
                "uuid": letter.uuid or "",
                "reason": letter.reason,
                "detail": letter.detail[:80],
                "attempt": letter.attempt,
            }
            for tenant in tenants
            for letter in plane.state.dead_letters.list(tenant, count=args.limit, catalog=args.catalog)
        ]
        rows += [
            {
                "kind": "message",
                "tenant": str(m.args[0]) if m.args else "",
                "catalog": str(m.args[1]) if len(m.args) > 1 and m.actor != "sync_products" else "",
                "id": m.message_id,
                "uuid": "",
                "reason": m.actor,
                "detail": m.error[:80],
                "attempt": m.retries,
            }
            for m in plane.dead_message_rows()
        ]
        print_table(rows, as_json=args.json)
        return 0
    return _replay(settings, plane, tenants, args.catalog)


def _replay(settings: Settings, plane: ControlPlane, tenants: list[str], catalog: str | None) -> int:
    from akeneo_sync.worker import jobs
    from akeneo_sync.worker.runtime import build_runtime
    from akeneo_sync.worker.shutdown import StopFlag

    runtime = build_runtime(settings, plane.redis, clock=SystemClock(), stop=StopFlag())
    try:
        for tenant_id in tenants:
            tenant = plane.state.tenants.get(tenant_id)
            if tenant is None or not tenant.is_active:
                continue
            engines = [catalog] if catalog else [r.id for r in plane.state.catalogs.list(tenant_id)]
            for catalog_id in engines:
                report = jobs.build_engine(runtime, tenant, catalog_id).replay_dead_letters(catalog_id)
                summary = ", ".join(f"{k} {v}" for k, v in dataclasses.asdict(report).items())
                print(f"{tenant_id}/{catalog_id}: {summary}")
        broker = dramatiq.get_broker()
        for message in plane.dead_message_rows():
            # A copy of the message, retries reset; the dead one is forgotten once re-sent.
            broker.get_actor(message.actor).send(*message.args, **message.kwargs)
            remove_dead_message(plane.redis, message.queue, message.message_id)
            print(f"re-enqueued {message.actor}{message.args}")
    finally:
        runtime.close()
    return 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the process and operator sub-commands."""
    worker = commands.add_parser("worker", help="run dramatiq worker processes (foreground)")
    worker.add_argument(
        "--processes", type=_positive, default=None, help="default: the container's CPU quota (cgroup), else its cores"
    )
    worker.add_argument("--threads", type=int, default=8)
    worker.add_argument("--metrics-dir", default=os.environ.get("PROMETHEUS_MULTIPROC_DIR", "/tmp/akeneo-sync-metrics"))  # noqa: S108
    worker.set_defaults(handler=cmd_worker)

    scheduler = commands.add_parser("scheduler", help="enqueue polls, incremental syncs and reconciliations")
    scheduler.add_argument("--metrics-port", type=int, default=0, help="default: AKENEO_SYNC_METRICS_PORT")
    scheduler.add_argument("--metrics-host", default="0.0.0.0")  # noqa: S104 -- scraped from other pods
    scheduler.add_argument(
        "--fleet-interval",
        type=float,
        default=15.0,
        help="seconds between two reads of the fleet's health from Redis by the leader (default 15)",
    )
    scheduler.set_defaults(handler=cmd_scheduler)

    tenants = commands.add_parser("tenants", help="list tenants; `tenants add` registers a custom app's token")
    tenants.add_argument(
        "action", nargs="?", choices=["list", "add", "rotate-key", "reactivate", "purge"], default="list"
    )
    tenants.add_argument("tenant", nargs="?", help="with `purge`: the tenant to purge")
    tenants.add_argument("--yes", action="store_true", help="with `purge`: confirm (nothing is purged without it)")
    tenants.add_argument("--pim-url")
    tenants.add_argument(
        "--token", help=f"the token; `-` reads it from stdin; default: ${TOKEN_ENV} (keeps it out of `ps`)"
    )
    tenants.add_argument("--subscription-id")
    tenants.add_argument("--tenant-id", help="default: derived from the PIM host")
    tenants.add_argument("--json", action="store_true")
    tenants.set_defaults(handler=_tenants_checked)

    catalogs = commands.add_parser("catalogs", help="status table of every catalog")
    catalogs.add_argument("--tenant")
    catalogs.add_argument("--json", action="store_true")
    catalogs.set_defaults(handler=cmd_catalogs)

    sync = commands.add_parser("sync", help="enqueue a sync of one catalog")
    sync.add_argument("tenant")
    sync.add_argument("catalog")
    how = sync.add_mutually_exclusive_group()
    how.add_argument("--full", action="store_true", help="a full sync instead of an incremental one")
    how.add_argument(
        "--refresh",
        action="store_true",
        help="a refresh: a full read that pushes only what changed and deletes what left",
    )
    sync.set_defaults(handler=cmd_sync)

    dead = commands.add_parser("dead-letters", help="list or replay dead letters")
    dead.add_argument("action", choices=["list", "replay"])
    dead.add_argument("--tenant")
    dead.add_argument("--catalog")
    dead.add_argument("--limit", type=int, default=100)
    dead.add_argument("--json", action="store_true")
    dead.set_defaults(handler=cmd_dead_letters)


def _token(args: argparse.Namespace) -> str:
    # A token in the arguments is visible to every user of the machine (`ps`): stdin or the
    # environment keep it out of there.
    if args.token == "-":  # noqa: S105 - stdin, not a password
        return sys.stdin.read().strip()
    return str(args.token or os.environ.get(TOKEN_ENV, ""))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _tenants_checked(args: argparse.Namespace) -> int:
    if args.action == "add" and not (args.pim_url and (args.token or os.environ.get(TOKEN_ENV))):
        print(
            f"akeneo-sync: tenants add needs --pim-url and a token (--token -, ${TOKEN_ENV} or --token)",
            file=sys.stderr,
        )
        return 2
    return cmd_tenants(args)
