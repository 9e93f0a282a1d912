"""Tenant ids: one tenant per PIM instance, named after its host so dashboards stay readable."""

from __future__ import annotations

import hashlib
import re
from typing import Final
from urllib.parse import urlsplit

from akeneo_sync.errors import ConfigError

__all__ = ["legacy_tenant_id_for", "normalize_pim_url", "tenant_id_for"]

_UNSAFE: Final = re.compile(r"[^a-z0-9]+")
# 128 bits of SHA-256: finding a second PIM URL with a victim's id is out of reach, where the
# 32 bits of the first ids took under an hour of one core (the slug alone is easy to share:
# `acme.cloud-akeneo.com` and `acme.cloud.akeneo.com` have the same one).
_HASH_HEX: Final = 32
_LEGACY_HASH_HEX: Final = 8


def normalize_pim_url(pim_url: str) -> str:
    """The PIM base URL as stored: scheme and host lower-cased, no trailing slash, no query."""
    parts = urlsplit(pim_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"not a PIM URL: {pim_url!r} (expected https://host)")
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


def tenant_id_for(pim_url: str) -> str:
    """A stable, readable tenant id for a PIM: its host as a slug plus 128 bits of a hash of its URL.

    e.g. ``acme-cloud-akeneo-com-1a2b…`` (32 hex characters). Stable across re-activations (the
    URL is normalised first), so the tenant keeps its catalogs; the hash tells apart PIMs on one
    host and makes the id impossible to collide on purpose.
    """
    return _tenant_id(pim_url, _HASH_HEX)


def legacy_tenant_id_for(pim_url: str) -> str:
    """The id earlier releases gave this PIM (8 hex characters): still found, never issued."""
    return _tenant_id(pim_url, _LEGACY_HASH_HEX)


def _tenant_id(pim_url: str, hex_chars: int) -> str:
    normalized = normalize_pim_url(pim_url)
    host = (urlsplit(normalized).hostname or "pim").lower()
    slug = _UNSAFE.sub("-", host).strip("-")[:48] or "pim"
    return f"{slug}-{hashlib.sha256(normalized.encode()).hexdigest()[:hex_chars]}"
