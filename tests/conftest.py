"""Fixtures shared by every test tier."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from akeneo_sync.clock import ManualClock


@pytest.fixture(autouse=True)
def _restore_environ() -> Iterator[None]:
    """Tests may set AKENEO_SYNC_* variables; each test starts from the same environment."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock: tests move time, nothing sleeps (a conftest below may start it elsewhere)."""
    return ManualClock()
