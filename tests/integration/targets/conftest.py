"""Real stores for the target tests: a SQLite file, a throwaway PostgreSQL database, a local platform."""

from __future__ import annotations

import contextlib
import random
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from akeneo_sync.clock import ManualClock
from akeneo_sync.targets.http import HttpRetryPolicy, HttpTarget
from akeneo_sync.targets.postgres import PostgresTarget
from akeneo_sync.targets.sqlite import SqliteTarget
from target_platform import Harness, Platform, PlatformServer

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# Small enough that the contract tests can exceed it without building megabytes.
TEST_MAX_BODY_BYTES = 4096


@pytest.fixture(scope="session")
def platform_server() -> Iterator[PlatformServer]:
    """One platform server for the session; `platform` resets its state per test."""
    server = PlatformServer(Platform())
    thread = threading.Thread(target=server.serve_forever, name="platform", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def platform(platform_server: PlatformServer) -> Platform:
    """A fresh platform state behind the running server."""
    fresh = Platform()
    host, port = platform_server.server_address[:2]
    fresh.url = f"http://{host!s}:{port}/batches"
    platform_server.platform = fresh
    return fresh


@pytest.fixture
def http_client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=httpx.Timeout(5.0)) as client:
        yield client


@pytest.fixture
def http_target_factory(platform: Platform, clock: ManualClock, http_client: httpx.Client) -> Callable[..., HttpTarget]:
    """Builds HTTP targets aimed at the platform, on the manual clock with a seeded RNG."""

    def build(url: str | None = None, secret: str = Platform.SECRET, max_attempts: int = 4) -> HttpTarget:
        return HttpTarget(
            url or platform.url,
            secret,
            client=http_client,
            clock=clock,
            rng=random.Random(7),
            policy=HttpRetryPolicy(max_attempts=max_attempts, base_backoff_s=0.5, max_backoff_s=8.0),
            max_body_bytes=TEST_MAX_BODY_BYTES,
        )

    return build


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database of our own on the loopback PostgreSQL, dropped at the end of the session."""
    name = f"akeneo_sync_targets_test_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The test database with no products table: each test starts from nothing."""
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS akeneo_sync_products, akeneo_sync_variants, akeneo_sync_models")
    return pg_database


@pytest.fixture
def postgres_target(pg_url: str, clock: ManualClock) -> Iterator[PostgresTarget]:
    target = PostgresTarget(pg_url, clock=clock, max_body_bytes=TEST_MAX_BODY_BYTES)
    yield target
    target.close()


@pytest.fixture
def sqlite_target(tmp_path: Path, clock: ManualClock) -> Iterator[SqliteTarget]:
    target = SqliteTarget(f"sqlite:///{tmp_path / 'target.db'}", clock=clock, max_body_bytes=TEST_MAX_BODY_BYTES)
    yield target
    target.close()


@pytest.fixture(params=["sqlite", "postgres", "http"])
def harness(request: pytest.FixtureRequest) -> Harness:
    """Each target in turn, read back from its real store (the file, the database, the platform)."""
    if request.param == "sqlite":
        sqlite_target: SqliteTarget = request.getfixturevalue("sqlite_target")
        return Harness(sqlite_target, sqlite_target.products, sqlite_target.models)
    if request.param == "postgres":
        postgres_target: PostgresTarget = request.getfixturevalue("postgres_target")
        return Harness(postgres_target, postgres_target.products, postgres_target.models)
    platform: Platform = request.getfixturevalue("platform")
    build: Callable[..., HttpTarget] = request.getfixturevalue("http_target_factory")
    return Harness(build(), platform.products, platform.models)


@pytest.fixture
def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
