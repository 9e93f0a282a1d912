"""Settings fit to print (URL passwords masked) and the Event Platform contact address."""

from __future__ import annotations

import json

import pytest

from akeneo_sync.cli import main as cli_main
from akeneo_sync.errors import ConfigError
from akeneo_sync.settings import load_settings


def test_the_settings_command_masks_the_userinfo_of_every_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AKENEO_SYNC_REDIS_URL", "redis://:r3dis-pass@redis.internal:6379/0")
    monkeypatch.setenv("AKENEO_SYNC_TARGET_URL", "postgresql://sync:pg-pass@db.internal:5432/shop")
    monkeypatch.setenv("AKENEO_SYNC_EVENT_PLATFORM_URL", "https://user:ep-pass@event.example.com/api/v1")
    monkeypatch.setenv("AKENEO_SYNC_TECHNICAL_EMAIL", "ops@shop.example")
    monkeypatch.setenv("AKENEO_SYNC_API_KEY", "api-key-value")

    assert cli_main(["settings"]) == 0

    out = capsys.readouterr().out
    for secret in ("r3dis-pass", "pg-pass", "ep-pass", "api-key-value", "sync:"):
        assert secret not in out
    printed = json.loads(out)
    assert printed["redis_url"] == "redis://***@redis.internal:6379/0"
    assert printed["target_url"] == "postgresql://***@db.internal:5432/shop"
    assert printed["public_url"] == "http://127.0.0.1:8000"


def test_the_event_platform_needs_a_technical_email(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKENEO_SYNC_EVENT_PLATFORM_URL", "https://event.prd.sdk.akeneo.cloud/api/v1")
    with pytest.raises(ConfigError, match="TECHNICAL_EMAIL"):
        load_settings()
    monkeypatch.setenv("AKENEO_SYNC_TECHNICAL_EMAIL", "not-an-address")
    with pytest.raises(ConfigError, match="TECHNICAL_EMAIL"):
        load_settings()
    monkeypatch.setenv("AKENEO_SYNC_TECHNICAL_EMAIL", "ops@shop.example")
    assert load_settings().technical_email == "ops@shop.example"
