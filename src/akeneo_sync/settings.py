"""Settings: one pydantic-settings class, read once in the CLI and passed down.

The names (env prefix ``AKENEO_SYNC_``) are a contract shared with operators; the README's
settings table is kept in sync with this class by a test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from cryptography.fernet import Fernet
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from akeneo_sync.errors import ConfigError

__all__ = ["CatalogSpec", "Settings", "bundled_schema_path", "load_settings", "masked_settings"]

DEFAULT_SCOPES = ("read_catalogs", "write_catalogs", "delete_catalogs", "read_products")
# Akeneo's Python sample warns that the scope string must stay within 254 characters.
MAX_SCOPE_CHARS = 254


def bundled_schema_path() -> Path:
    """The product mapping schema shipped with the package."""
    return Path(__file__).parent / "schemas" / "product-mapping.json"


class CatalogSpec(BaseModel):
    """A catalog the app creates at activation, with the mapping schema it pushes."""

    name: str = Field(min_length=1, max_length=255)
    mapping_schema: Path | None = None

    def load_schema(self) -> dict[str, Any]:
        """The mapping schema as JSON; the bundled one when none is configured."""
        path = self.mapping_schema or bundled_schema_path()
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"AKENEO_SYNC_CATALOGS: cannot read mapping schema {path}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"AKENEO_SYNC_CATALOGS: mapping schema {path} is not a JSON object")
        return loaded


class Settings(BaseSettings):
    """Every setting of every process; see the README table for meanings and defaults."""

    model_config = SettingsConfigDict(env_prefix="AKENEO_SYNC_", extra="ignore", frozen=True)

    redis_url: str = "redis://127.0.0.1:6379/0"
    target_url: str = "sqlite:///akeneo-sync.db"
    target_secret: SecretStr | None = None
    client_id: str = ""
    client_secret: SecretStr | None = None
    public_url: str = "http://127.0.0.1:8000"
    scopes: Annotated[tuple[str, ...], NoDecode] = DEFAULT_SCOPES
    encryption_key: SecretStr | None = None
    api_key: SecretStr | None = None
    event_secrets: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    event_platform_url: str = ""
    technical_email: str = Field(default="", max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+$")
    pim_url_allowlist: str = ""
    allow_private_pim: bool = False
    catalogs: tuple[CatalogSpec, ...] = (CatalogSpec(name="akeneo-sync"),)
    poll_interval_s: int = Field(default=60, gt=0)
    incremental_interval_s: int = Field(default=300, gt=0)
    reconcile_interval_s: int = Field(default=86400, gt=0)
    refresh_interval_s: int = Field(default=86400, gt=0)
    drift_probe: bool = True
    watermark_overlap_s: int = Field(default=300, ge=0)
    resume_interval_s: int = Field(default=30, gt=0)
    max_concurrency_per_token: int = Field(default=4, gt=0)
    # Cursors a full sync pages at once over `updated` windows; 1 = one cursor, nothing fetched
    # ahead (a killed worker then fetches again at most the page it was pushing).
    sync_cursors: int = Field(default=4, gt=0)
    max_requests_per_s_per_pim: int = Field(default=100, gt=0)
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    metrics_port: int = Field(default=9191, gt=0, lt=65536)
    metrics_tenant_labels: bool = True
    pim_timeout_s: float = Field(default=30.0, gt=0)
    pim_max_attempts: int = Field(default=6, gt=0)
    pim_retry_deadline_s: float = Field(default=120.0, gt=0)
    catalog_lock_ttl_s: float = Field(default=15.0, ge=1)
    broker_heartbeat_timeout_s: float = Field(default=15.0, ge=1)
    broker_maintenance_chance: int = Field(default=1_000_000, ge=1, le=1_000_000)
    # How long a catalog deleted in the PIM keeps its products downstream; None ("keep") = forever.
    deleted_catalog_grace_s: float | None = Field(default=86_400.0, ge=0)

    @field_validator("deleted_catalog_grace_s", mode="before")
    @classmethod
    def _keep_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() == "keep" else value

    @field_validator("scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(value.split())
        return value

    @field_validator("scopes")
    @classmethod
    def _check_scopes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(" ".join(value)) > MAX_SCOPE_CHARS:
            raise ValueError(f"the scope string must stay within {MAX_SCOPE_CHARS} characters")
        return value

    @field_validator("event_secrets", mode="before")
    @classmethod
    def _split_secrets(cls, value: object) -> object:
        if isinstance(value, str):
            parts = tuple(part.strip() for part in value.split(",") if part.strip())
            if len(parts) > 2:
                raise ValueError("expected primary[,secondary]")
            return parts
        return value

    @field_validator("pim_url_allowlist")
    @classmethod
    def _check_regex(cls, value: str) -> str:
        if value:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    @field_validator("encryption_key")
    @classmethod
    def _check_fernet(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            # Comma-separated, newest first: the first encrypts, all decrypt (key rotation).
            keys = [part.strip() for part in value.get_secret_value().split(",") if part.strip()]
            try:
                for key in keys or [""]:
                    Fernet(key.encode())
            except ValueError as exc:
                raise ValueError("must be Fernet keys (32 url-safe base64-encoded bytes), comma-separated") from exc
        return value

    @model_validator(mode="after")
    def _event_platform_contact(self) -> Settings:
        # The platform e-mails this address when a subscription is suspended or revoked.
        if self.event_platform_url and not self.technical_email:
            raise ValueError("AKENEO_SYNC_TECHNICAL_EMAIL is required when AKENEO_SYNC_EVENT_PLATFORM_URL is set")
        return self

    def require(self, *names: str) -> None:
        """Raise `ConfigError` naming every listed setting that is empty."""
        missing = [name for name in names if not getattr(self, name)]
        if missing:
            env = ", ".join(f"AKENEO_SYNC_{name.upper()}" for name in missing)
            raise ConfigError(f"missing required settings: {env}")

    def secret(self, name: str) -> str:
        """The value of a required secret setting; `ConfigError` naming it when empty."""
        self.require(name)
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; a validation failure becomes a `ConfigError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"AKENEO_SYNC_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc


_URL_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#]*)@")


def masked_settings(settings: Settings) -> dict[str, Any]:
    """The settings as JSON values, fit to print: secrets masked, and the userinfo of every URL
    (`redis://:password@…`, `postgresql://user:password@…`) too."""
    return {
        name: _URL_USERINFO.sub(r"\g<scheme>***@", value) if isinstance(value, str) else value
        for name, value in settings.model_dump(mode="json").items()
    }
