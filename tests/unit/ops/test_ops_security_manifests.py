"""The prod overlay admits only Akeneo's SaaS PIMs: anyone on the internet can call /activate."""

from __future__ import annotations

import re
from typing import Any

import pytest

from akeneo_sync.settings import load_settings
from akeneo_sync.web.testing import static_resolver
from akeneo_sync.web.urlcheck import PimUrlError, PimUrlPolicy, validate_pim_url

PUBLIC = ["93.184.216.34"]


def _prod_allowlist(manifests: dict[str, list[dict[str, Any]]]) -> str:
    (kustomization,) = manifests["overlays/prod/kustomization.yaml"]
    patches = [p["patch"] for p in kustomization["patches"] if p["target"]["kind"] == "ConfigMap"]
    found = re.search(r"AKENEO_SYNC_PIM_URL_ALLOWLIST, value: '([^']+)'", "\n".join(patches))
    assert found is not None, "the prod overlay sets PIM_URL_ALLOWLIST"
    return found.group(1)


@pytest.mark.parametrize(
    ("url", "admitted"),
    [
        ("https://acme.cloud.akeneo.com", True),
        ("https://acme-staging.cloud.akeneo.com/", True),
        ("https://acme.demo.cloud.akeneo.com", True),
        ("https://cloud.akeneo.com", False),
        ("https://acme.cloud.akeneo.com.evil.example", False),
        ("https://evil.example/acme.cloud.akeneo.com", False),
        ("https://acmecloud.akeneo.com", False),
    ],
)
def test_the_prod_allowlist_admits_the_saas_hosts_only(
    manifests: dict[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch, url: str, admitted: bool
) -> None:
    monkeypatch.setenv("AKENEO_SYNC_PIM_URL_ALLOWLIST", _prod_allowlist(manifests))
    policy = PimUrlPolicy(allowlist=re.compile(load_settings().pim_url_allowlist))
    resolver = static_resolver(
        dict.fromkeys(
            (
                "acme.cloud.akeneo.com",
                "acme-staging.cloud.akeneo.com",
                "acme.demo.cloud.akeneo.com",
                "cloud.akeneo.com",
                "acme.cloud.akeneo.com.evil.example",
                "evil.example",
                "acmecloud.akeneo.com",
            ),
            PUBLIC,
        )
    )
    if admitted:
        assert validate_pim_url(url, policy, resolver) == url.rstrip("/")
    else:
        with pytest.raises(PimUrlError, match="allow-list"):
            validate_pim_url(url, policy, resolver)
