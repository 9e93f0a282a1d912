"""Choosing a target from `AKENEO_SYNC_TARGET_URL` by its scheme."""

from __future__ import annotations

import random

import httpx

from akeneo_sync.clock import Clock, SystemClock
from akeneo_sync.errors import ConfigError
from akeneo_sync.targets.base import Target
from akeneo_sync.targets.http import HttpTarget
from akeneo_sync.targets.null import NullTarget
from akeneo_sync.targets.postgres import SCHEMES as POSTGRES_SCHEMES
from akeneo_sync.targets.postgres import PostgresTarget
from akeneo_sync.targets.sqlite import SqliteTarget

__all__ = ["build_target"]


def build_target(
    url: str,
    secret: str | None = None,
    *,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    http_client: httpx.Client | None = None,
) -> Target:
    """The target `url` names: `sqlite:///…`, `postgresql://…`, `https://…` (needs `secret`) or `null:`."""
    clock = clock or SystemClock()
    if url.startswith("sqlite:"):
        return SqliteTarget(url, clock=clock)
    if url.startswith(POSTGRES_SCHEMES):
        return PostgresTarget(url, clock=clock)
    if url.startswith(("https://", "http://")):
        return HttpTarget(url, secret or "", client=http_client, clock=clock, rng=rng)
    if url.startswith("null:"):
        return NullTarget()
    scheme = url.partition(":")[0] if ":" in url else url
    raise ConfigError(
        f"AKENEO_SYNC_TARGET_URL: unknown target scheme {scheme!r}; "
        "use sqlite:///path.db, postgresql://…, https://… or null:"
    )
