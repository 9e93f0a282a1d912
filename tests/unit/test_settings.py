"""Settings: the contract names, their parsing, and errors that name the variable at fault."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from akeneo_sync.errors import ConfigError
from akeneo_sync.settings import Settings, load_settings


def test_defaults_match_the_design_contract() -> None:
    settings = Settings()
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.target_url == "sqlite:///akeneo-sync.db"
    assert settings.scopes == ("read_catalogs", "write_catalogs", "delete_catalogs", "read_products")
    assert (settings.poll_interval_s, settings.incremental_interval_s) == (60, 300)
    assert (settings.reconcile_interval_s, settings.watermark_overlap_s) == (86400, 300)
    assert (settings.max_concurrency_per_token, settings.max_requests_per_s_per_pim) == (4, 100)
    assert settings.metrics_port == 9191
    assert settings.log_format == "json"


def test_scopes_are_space_separated_and_event_secrets_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKENEO_SYNC_SCOPES", "read_catalogs  read_products openid")
    monkeypatch.setenv("AKENEO_SYNC_EVENT_SECRETS", "first-secret, second-secret")
    settings = load_settings()
    assert settings.scopes == ("read_catalogs", "read_products", "openid")
    assert [s.get_secret_value() for s in settings.event_secrets] == ["first-secret", "second-secret"]


def test_catalogs_are_json_and_default_to_the_bundled_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKENEO_SYNC_CATALOGS", '[{"name": "Store EU"}, {"name": "Store US"}]')
    settings = load_settings()
    assert [c.name for c in settings.catalogs] == ["Store EU", "Store US"]
    schema = settings.catalogs[0].load_schema()
    assert schema["$schema"] == "https://api.akeneo.com/mapping/product/1.0.3/schema"
    assert schema["properties"]["uuid"] == {"type": "string"}


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("AKENEO_SYNC_ENCRYPTION_KEY", "not-a-fernet-key", "AKENEO_SYNC_ENCRYPTION_KEY"),
        ("AKENEO_SYNC_POLL_INTERVAL_S", "0", "AKENEO_SYNC_POLL_INTERVAL_S"),
        ("AKENEO_SYNC_PIM_URL_ALLOWLIST", "([unclosed", "AKENEO_SYNC_PIM_URL_ALLOWLIST"),
        ("AKENEO_SYNC_LOG_FORMAT", "xml", "AKENEO_SYNC_LOG_FORMAT"),
        ("AKENEO_SYNC_EVENT_SECRETS", "a,b,c", "AKENEO_SYNC_EVENT_SECRETS"),
    ],
)
def test_invalid_values_raise_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_require_names_every_missing_setting() -> None:
    settings = Settings(encryption_key=Fernet.generate_key().decode())
    settings.require("encryption_key")
    with pytest.raises(ConfigError, match="AKENEO_SYNC_API_KEY, AKENEO_SYNC_CLIENT_ID"):
        settings.require("encryption_key", "api_key", "client_id")
