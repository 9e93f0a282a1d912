"""Choosing a target from AKENEO_SYNC_TARGET_URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from akeneo_sync.errors import ConfigError
from akeneo_sync.targets.factory import build_target
from akeneo_sync.targets.http import HttpTarget
from akeneo_sync.targets.null import NullTarget
from akeneo_sync.targets.postgres import PostgresTarget
from akeneo_sync.targets.sqlite import SqliteTarget


@pytest.mark.parametrize(
    ("url", "cls"),
    [
        ("sqlite:///:memory:", SqliteTarget),
        ("postgresql://user@db.example.com/shop", PostgresTarget),
        ("postgres://user@db.example.com/shop", PostgresTarget),
        ("https://shop.example.com/akeneo/batches", HttpTarget),
        ("http://127.0.0.1:8080/batches", HttpTarget),
        ("null:", NullTarget),
    ],
)
def test_the_url_scheme_picks_the_target(url: str, cls: type[object]) -> None:
    target = build_target(url, "secret")

    assert isinstance(target, cls)
    target.close()


def test_the_sqlite_file_is_created_where_the_url_says(tmp_path: Path) -> None:
    target = build_target(f"sqlite:///{tmp_path / 'shop.db'}")
    target.close()

    assert (tmp_path / "shop.db").is_file()


@pytest.mark.parametrize("url", ["mysql://db/shop", "ftp://x", "shop.db", ""])
def test_an_unknown_scheme_is_a_config_error_naming_the_setting(url: str) -> None:
    with pytest.raises(ConfigError, match="AKENEO_SYNC_TARGET_URL"):
        build_target(url)


def test_an_http_target_without_a_secret_is_a_config_error_naming_the_secret_setting() -> None:
    with pytest.raises(ConfigError, match="AKENEO_SYNC_TARGET_SECRET"):
        build_target("https://shop.example.com/batches")


def test_a_postgres_password_is_not_echoed_in_config_errors() -> None:
    with pytest.raises(ConfigError) as caught:
        build_target("postgresq://user:hunter2@db/shop")

    assert "hunter2" not in str(caught.value)
