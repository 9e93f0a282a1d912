"""`WebConfig` taken from `Settings`."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from akeneo_sync.errors import ConfigError
from akeneo_sync.settings import Settings
from akeneo_sync.web import WebConfig


def complete(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "client_id": "app",
        "client_secret": "secret",
        "api_key": "key",
        "event_secrets": "p,s",
        "encryption_key": Fernet.generate_key().decode(),
        "public_url": "https://app.example.com/",
        "pim_url_allowlist": r"https://[a-z]+\.cloud\.akeneo\.com",
    }
    values.update(overrides)
    return Settings(**values)


def test_the_web_configuration_is_read_from_settings() -> None:
    config = WebConfig.from_settings(complete())
    assert (config.client_id, config.client_secret, config.api_key) == ("app", "secret", "key")
    assert config.event_secrets == ("p", "s")
    assert config.public_url == "https://app.example.com"
    assert config.pim_url_allowlist is not None
    assert config.pim_url_allowlist.fullmatch("https://acme.cloud.akeneo.com")


def test_its_repr_shows_no_secret() -> None:
    text = repr(WebConfig.from_settings(complete()))
    assert "secret" not in text
    assert "key" not in text


@pytest.mark.parametrize("missing", ["client_secret", "api_key", "event_secrets", "encryption_key"])
def test_a_missing_web_setting_is_a_config_error_naming_it(missing: str) -> None:
    with pytest.raises(ConfigError, match=f"AKENEO_SYNC_{missing.upper()}"):
        WebConfig.from_settings(complete(**{missing: None if missing != "event_secrets" else ""}))
