"""The `akeneo-sync` command line: the composition root of every process.

Settings are read here, once, and passed down; a `ConfigError` ends the process with exit code 2
and a message naming the settings at fault.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from akeneo_sync import __version__
from akeneo_sync.errors import ConfigError
from akeneo_sync.settings import Settings, load_settings

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]


def _cmd_settings(_args: argparse.Namespace) -> int:
    """Print the effective settings as JSON, secrets masked."""
    settings: Settings = load_settings()
    print(json.dumps(settings.model_dump(mode="json"), indent=2, sort_keys=True, default=str))
    return 0


def _cmd_emulator(args: argparse.Namespace) -> int:
    """Serve the bundled PIM emulator until interrupted."""
    import uvicorn

    from akeneo_sync.emulator.app import create_app
    from akeneo_sync.emulator.config import EmulatorConfig

    config = EmulatorConfig(products=args.products, seed=args.seed, latency_s=args.latency_ms / 1000)
    print(f"akeneo-sync emulator: {args.products} products (seed {args.seed}) on http://{args.host}:{args.port}",
          file=sys.stderr)
    uvicorn.run(create_app(config), host=args.host, port=args.port, http="h11", log_level="warning")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="akeneo-sync", description=__doc__)
    parser.add_argument("--version", action="version", version=f"akeneo-sync {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    settings = commands.add_parser("settings", help="print the effective settings (secrets masked)")
    settings.set_defaults(handler=_cmd_settings)

    emulator = commands.add_parser("emulator", help="serve the bundled Akeneo PIM emulator")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8081)
    emulator.add_argument("--products", type=int, default=1_000, help="how many seeded products")
    emulator.add_argument("--seed", type=int, default=1, help="seed of the product generator")
    emulator.add_argument("--latency-ms", type=float, default=0.0, help="latency added to every API call")
    emulator.set_defaults(handler=_cmd_emulator)
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
