"""`akeneo-sync settings` prints nothing secret: neither secret settings nor passwords inside URLs."""

from __future__ import annotations

import json

import pytest

from akeneo_sync.cli import main as cli_main


def test_the_settings_command_masks_the_userinfo_of_every_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AKENEO_SYNC_REDIS_URL", "redis://:r3dis-pass@redis.internal:6379/0")
    monkeypatch.setenv("AKENEO_SYNC_TARGET_URL", "postgresql://sync:pg-pass@db.internal:5432/shop")
    monkeypatch.setenv("AKENEO_SYNC_EVENT_PLATFORM_URL", "https://user:ep-pass@event.example.com/api/v1")
    monkeypatch.setenv("AKENEO_SYNC_API_KEY", "api-key-value")

    assert cli_main(["settings"]) == 0

    out = capsys.readouterr().out
    for secret in ("r3dis-pass", "pg-pass", "ep-pass", "api-key-value", "sync:"):
        assert secret not in out
    printed = json.loads(out)
    assert printed["redis_url"] == "redis://***@redis.internal:6379/0"
    assert printed["target_url"] == "postgresql://***@db.internal:5432/shop"
    assert printed["public_url"] == "http://127.0.0.1:8000"
