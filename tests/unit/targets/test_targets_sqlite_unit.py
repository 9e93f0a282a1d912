"""The SQLite target's URL rules and its in-memory mode."""

from __future__ import annotations

import pytest

from akeneo_sync.errors import ConfigError, TargetError
from akeneo_sync.targets.base import BatchContext
from akeneo_sync.targets.sqlite import SqliteTarget


def test_an_in_memory_database_stores_and_reads_back() -> None:
    target = SqliteTarget("sqlite:///:memory:")

    target.apply(BatchContext("t1", "c1", "run-1", 1), [{"uuid": "u1", "n": 1}], [])

    assert target.journal_mode() == "memory"
    assert target.products("t1", "c1") == {"u1": {"uuid": "u1", "n": 1}}
    target.close()


@pytest.mark.parametrize("url", ["sqlite:///", "sqlite://relative.db", "sqlite:relative.db", "postgresql://x/y"])
def test_a_malformed_sqlite_url_is_a_config_error_naming_the_setting(url: str) -> None:
    with pytest.raises(ConfigError, match="AKENEO_SYNC_TARGET_URL"):
        SqliteTarget(url)


def test_a_closed_target_fails_with_a_target_error_not_a_sqlite_one() -> None:
    target = SqliteTarget("sqlite:///:memory:")
    target.close()

    with pytest.raises(TargetError) as caught:
        target.apply(BatchContext("t1", "c1", "run-1", 1), [{"uuid": "u1"}], [])

    assert not caught.value.retryable
