"""The prod overlay admits only Akeneo's SaaS PIMs: anyone on the internet can call /activate."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import pytest
import yaml
from ops_support import render_overlay

from akeneo_sync.settings import load_settings
from akeneo_sync.web.testing import static_resolver
from akeneo_sync.web.urlcheck import PimUrlError, PimUrlPolicy, validate_pim_url

PUBLIC = ["93.184.216.34"]


def _prod_allowlist(manifests: dict[str, list[dict[str, Any]]]) -> str:
    # What the pods get: the ConfigMap of the rendered prod overlay (generator literals included).
    (config,) = [
        doc
        for doc in render_overlay("prod")
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("akeneo-sync")
    ]
    found = config["data"].get("AKENEO_SYNC_PIM_URL_ALLOWLIST")
    assert found, "the prod overlay sets PIM_URL_ALLOWLIST"
    return str(found)


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


def test_the_strict_egress_example_blocks_private_ranges_for_every_pod(
    manifests: dict[str, list[dict[str, Any]]],
) -> None:
    (kustomization,) = manifests["overlays/strict-egress/kustomization.yaml"]
    assert kustomization["resources"] == ["../prod"]
    (patch,) = kustomization["patches"]
    assert patch["target"] == {"kind": "NetworkPolicy", "name": "akeneo-sync"}
    (base_policy,) = [d for d in manifests["base/networkpolicy.yaml"] if d["metadata"]["name"] == "akeneo-sync"]
    # The patched policy is the one selecting every akeneo-sync pod (web, worker, scheduler).
    assert base_policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "akeneo-sync"}
    (operation,) = yaml.safe_load(patch["patch"])
    assert (operation["op"], operation["path"]) == ("replace", "/spec/egress")
    blocks = [peer["ipBlock"] for rule in operation["value"] for peer in rule.get("to", []) if "ipBlock" in peer]
    assert {b["cidr"] for b in blocks} == {"0.0.0.0/0", "::/0"}
    refused = {net for b in blocks for net in b["except"]}
    for address in (
        "10.0.0.7",
        "172.16.1.1",
        "192.168.1.1",
        "169.254.169.254",
        "127.0.0.1",
        "100.64.0.1",
        "fd00::1",
        "fe80::1",
        "::1",
        "::ffff:10.0.0.1",
    ):
        assert any(ipaddress.ip_address(address) in ipaddress.ip_network(net) for net in refused), address
    # Every rule names its peers: nothing is open to any address on any port.
    assert all(rule.get("to") and rule.get("ports") for rule in operation["value"])
