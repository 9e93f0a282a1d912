"""Tenant ids: one tenant per PIM instance, named after its host so dashboards stay readable."""

from __future__ import annotations

import hashlib
import re
from typing import Final
from urllib.parse import urlsplit

from akeneo_sync.errors import ConfigError

__all__ = ["normalize_pim_url", "tenant_id_for"]

_UNSAFE: Final = re.compile(r"[^a-z0-9]+")


def normalize_pim_url(pim_url: str) -> str:
    """The PIM base URL as stored: scheme and host lower-cased, no trailing slash, no query."""
    parts = urlsplit(pim_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"not a PIM URL: {pim_url!r} (expected https://host)")
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


def tenant_id_for(pim_url: str) -> str:
    """A stable, readable tenant id for a PIM: its host as a slug plus a short hash of its URL.

    e.g. ``acme-cloud-akeneo-com-1a2b3c4d``. Stable across re-activations (the URL is normalised
    first), so the tenant keeps its catalogs; the hash tells apart PIMs on one host.
    """
    normalized = normalize_pim_url(pim_url)
    host = (urlsplit(normalized).hostname or "pim").lower()
    slug = _UNSAFE.sub("-", host).strip("-")[:48] or "pim"
    return f"{slug}-{hashlib.sha256(normalized.encode()).hexdigest()[:8]}"
