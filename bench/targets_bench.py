"""Rows per second each target sustains for page-sized batches: insert, update, then delete.

    .venv/bin/python bench/targets_bench.py [--products 20000] [--batch 1000]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]

SQLite writes a file in a temporary directory; PostgreSQL gets a throwaway database (created and
dropped here); HTTP posts to a local stdlib server that verifies each signature and parses the
body, so the figure includes signing, serializing and one loopback round trip per batch.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg

from akeneo_sync.targets.base import BatchContext, Target
from akeneo_sync.targets.factory import build_target

SECRET = "bench-secret"  # noqa: S105 -- the fixed key of a local benchmark server


def mapped_product(i: int, version: int) -> dict[str, Any]:
    """A flat mapped product of about 1 KiB, shaped like the bundled mapping schema's output."""
    return {
        "uuid": f"00000000-0000-4000-8000-{i:012d}",
        "sku": f"SKU-{i:07d}",
        "title": f"Ergonomic chair model {i} v{version}",
        "description": ("A comfortable chair with lumbar support. " * 12).strip(),
        "price": [{"amount": f"{100 + i % 900}.99", "currency": "EUR"}],
        "categories": ["furniture", "office", f"range-{i % 20}"],
        "images": [f"https://cdn.example.com/p/{i}/{n}.jpg" for n in range(3)],
        "weight_kg": 7.5,
        "enabled": True,
        "updated": "2026-11-23T10:00:00+00:00",
    }


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(expected, self.headers.get("X-Akeneo-Sync-Signature", ""))
        json.loads(body)
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@contextlib.contextmanager
def http_platform() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/batches"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    name = f"akeneo_sync_targets_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def measure(target: Target, products: int, batch_size: int) -> dict[str, float]:
    """Rows/s for inserting every product, re-upserting them changed, then deleting them."""
    starts = range(0, products, batch_size)
    # Built before the clock starts: the figure is the target's, not the product factory's.
    phases: dict[str, list[tuple[list[dict[str, Any]], list[str]]]] = {
        "insert": [([mapped_product(i, 1) for i in range(s, min(s + batch_size, products))], []) for s in starts],
        "update": [([mapped_product(i, 2) for i in range(s, min(s + batch_size, products))], []) for s in starts],
        "delete": [
            ([], [mapped_product(i, 0)["uuid"] for i in range(s, min(s + batch_size, products))]) for s in starts
        ],
    }
    figures: dict[str, float] = {}
    for name, batches in phases.items():
        started = time.perf_counter()
        for page, (upserts, deletes) in enumerate(batches, start=1):
            result = target.apply(_ctx(page), upserts, deletes)
            if result.rejected:
                raise SystemExit(f"unexpected rejections: {result.rejected[:3]}")
        figures[name] = products / (time.perf_counter() - started)
    return figures


def _ctx(page: int) -> BatchContext:
    return BatchContext(tenant="bench", catalog="catalog-1", run_id="bench-run", page=page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, http_platform() as http_url, postgres_database(args.postgres_url) as pg:
        urls = {
            "sqlite (file, WAL)": f"sqlite:///{Path(tmp) / 'bench.db'}",
            "sqlite (:memory:)": "sqlite:///:memory:",
            "postgres": pg,
            "http (loopback)": http_url,
            "null": "null:",
        }
        print(f"{args.products} products of ~1 KiB in batches of {args.batch}; rows/s")
        print(f"{'target':<20} {'insert':>10} {'update':>10} {'delete':>10}")
        for label, url in urls.items():
            target = build_target(url, SECRET)
            try:
                figures = measure(target, args.products, args.batch)
            finally:
                target.close()
            print(f"{label:<20} {figures['insert']:>10,.0f} {figures['update']:>10,.0f} {figures['delete']:>10,.0f}")


if __name__ == "__main__":
    main()
