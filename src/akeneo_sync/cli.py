"""The `akeneo-sync` command line: the composition root of every process.

Settings are read here, once, and passed down; a `ConfigError` ends the process with exit code 2
and a message naming the settings at fault.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable, Sequence

from akeneo_sync import __version__
from akeneo_sync.commands import add_commands
from akeneo_sync.errors import ConfigError
from akeneo_sync.logging import configure_logging
from akeneo_sync.settings import Settings, load_settings, masked_settings

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]


def _cmd_settings(_args: argparse.Namespace) -> int:
    """Print the effective settings as JSON, secrets masked."""
    settings: Settings = load_settings()
    print(json.dumps(masked_settings(settings), indent=2, sort_keys=True, default=str))
    return 0


def _cmd_emulator(args: argparse.Namespace) -> int:
    """Serve the bundled PIM emulator until interrupted."""
    import uvicorn

    from akeneo_sync.emulator.app import create_app
    from akeneo_sync.emulator.config import EmulatorConfig

    config = EmulatorConfig(
        products=args.products,
        seed=args.seed,
        latency_s=args.latency_ms / 1000,
        date_profile=args.dates,
        models=args.models,
    )
    models = f" and {args.models} product models" if args.models else ""
    print(
        f"akeneo-sync emulator: {args.products} products{models} (seed {args.seed}) on http://{args.host}:{args.port}",
        file=sys.stderr,
    )
    uvicorn.run(create_app(config), host=args.host, port=args.port, http="h11", log_level="warning")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    """Run the embedded demo (emulator, in-process broker and Redis, SQLite target)."""
    from pathlib import Path

    from akeneo_sync.demo import DemoOptions, run_demo

    if args.variants:
        models = 1_000 if args.models is None else args.models
        return run_demo(DemoOptions(products=args.products, database=Path(args.database), variants=True, models=models))
    return run_demo(DemoOptions(products=args.products, database=Path(args.database)))


def _cmd_web(args: argparse.Namespace) -> int:
    """Serve the web side (activation, events, API, probes) with uvicorn until stopped."""
    settings: Settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    # Imported late: the web stack (FastAPI, the broker) is not needed by the other commands.
    from akeneo_sync.web.server import serve
    from akeneo_sync.worker.broker import build_broker

    # uvicorn shuts down gracefully on SIGTERM, then restores the previous handler and raises the
    # signal again: with the default handler the process dies of it (exit -15 / 143), which reads
    # as a crash in the pod's last state. A no-op handler makes a requested stop exit 0.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: None)
    return serve(settings, broker=build_broker, host=args.host, port=args.port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="akeneo-sync", description=__doc__)
    parser.add_argument("--version", action="version", version=f"akeneo-sync {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    settings = commands.add_parser("settings", help="print the effective settings (secrets masked)")
    settings.set_defaults(handler=_cmd_settings)

    web = commands.add_parser("web", help="serve /activate, /callback, /events, the API and the probes")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    web.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    web.set_defaults(handler=_cmd_web)

    emulator = commands.add_parser("emulator", help="serve the bundled Akeneo PIM emulator")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8081)
    emulator.add_argument("--products", type=int, default=1_000, help="how many seeded products")
    emulator.add_argument("--seed", type=int, default=1, help="seed of the product generator")
    emulator.add_argument(
        "--models",
        type=int,
        default=0,
        help="how many seeded product models (2-6 variant products each, besides --products)",
    )
    emulator.add_argument("--latency-ms", type=float, default=0.0, help="latency added to every API call")
    emulator.add_argument(
        "--dates",
        choices=("even", "bulk-import"),
        default="even",
        help="how seeded `updated` dates are spread (bulk-import: 60 %% saved by one import)",
    )
    emulator.set_defaults(handler=_cmd_emulator)

    demo = commands.add_parser("demo", help="run the whole product in one process on the bundled emulator")
    demo.add_argument("--products", type=int, default=10_000)
    demo.add_argument("--database", default="akeneo-sync-demo.db", help="where the SQLite target is written")
    demo.add_argument(
        "--variants",
        action="store_true",
        help="a catalog in products-with-variants mode: product models with their variants",
    )
    demo.add_argument("--models", type=int, default=None, help="how many product models with --variants (1,000)")
    demo.set_defaults(handler=_cmd_demo)

    add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"akeneo-sync: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
