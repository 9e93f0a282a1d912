"""Tenant isolation, tried as an attacker would: a PIM URL whose tenant id is a victim's.

Finding a second URL with a victim's id took 2^32 hashes with 32-bit ids (under an hour of one
core); these tests place the victim under the id the attacker's URL maps to, as if the search had
succeeded, and check that activation and `tenants add` refuse to hand the victim's tenant over.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from web_support import TestClient

from akeneo_sync.emulator.testing import EmulatorHandle
from akeneo_sync.errors import TenantConflictError
from akeneo_sync.state import StateStore, StoredToken
from akeneo_sync.tenancy import legacy_tenant_id_for, tenant_id_for
from akeneo_sync.web.testing import RecordingEnqueuer

pytestmark = pytest.mark.integration

VICTIM_URL = "https://victim.example.com"


def _activate(client: TestClient, pim_url: str) -> httpx.Response:
    """The whole activation of `pim_url`: /activate, the user's consent at the PIM, /callback."""
    started = client.get("/activate", params={"pim_url": pim_url})
    assert started.status_code == 302, started.text
    consent = httpx.get(started.headers["location"], follow_redirects=False, timeout=10)
    assert consent.status_code == 302, consent.text
    callback = urlsplit(consent.headers["location"])
    assert parse_qs(callback.query)["state"]
    return client.get(f"{callback.path}?{callback.query}")


def test_activation_never_takes_over_a_tenant_held_by_another_pim(
    pim: EmulatorHandle, dev_client: TestClient, store: StateStore, enqueuer: RecordingEnqueuer
) -> None:
    collided = store.tenants.id_for_url(pim.base_url)
    store.tenants.save(collided, pim_url=VICTIM_URL, token=StoredToken("victim-token"), subscription_id="sub-v")
    store.catalogs.upsert(collided, "cat-v", name="Victim store", enabled=True)

    page = _activate(dev_client, pim.base_url)

    assert page.status_code == 409, page.text
    victim = store.tenants.require(collided)
    assert victim.pim_url == VICTIM_URL
    assert store.tenants.token(collided).access_token == "victim-token"
    assert store.tenants.tenant_for_subscription("sub-v") == collided
    assert enqueuer.calls == []


def test_tenant_ids_carry_128_bits_of_hash_and_tell_apart_urls_with_one_slug() -> None:
    first = tenant_id_for("https://acme.cloud-akeneo.com")
    second = tenant_id_for("https://acme.cloud.akeneo.com")
    assert first.rsplit("-", 1)[0] == second.rsplit("-", 1)[0] == "acme-cloud-akeneo-com"
    assert first != second
    digest = first.rsplit("-", 1)[1]
    assert len(digest) == 32
    assert set(digest) <= set("0123456789abcdef")
    assert tenant_id_for("HTTPS://Acme.Cloud-Akeneo.com/") == first


def test_a_tenant_stored_under_its_legacy_32_bit_id_is_found_and_re_activated_in_place(
    pim: EmulatorHandle, dev_client: TestClient, store: StateStore, enqueuer: RecordingEnqueuer
) -> None:
    legacy = legacy_tenant_id_for(pim.base_url)
    store.tenants.save(legacy, pim_url=pim.base_url, token=StoredToken("old-token"), subscription_id="sub-9")
    store.redis.delete(store.keys.tenant_urls())  # stored by a release that had no URL index
    store.catalogs.upsert(legacy, "cat-1", name="Store", enabled=True)

    page = _activate(dev_client, pim.base_url)

    assert page.status_code == 200, page.text
    assert [t.id for t in store.tenants.list()] == [legacy]
    assert store.tenants.token(legacy).access_token != "old-token"
    assert [c.id for c in store.catalogs.list(legacy)] == ["cat-1"]
    assert store.tenants.id_for_url(pim.base_url) == legacy


def test_save_refuses_another_url_under_a_held_id_and_writes_nothing(store: StateStore) -> None:
    store.tenants.save("t1", pim_url=VICTIM_URL, token=StoredToken("victim-token"), subscription_id="sub-v")
    with pytest.raises(TenantConflictError):
        store.tenants.save(
            "t1", pim_url="https://attacker.example.com", token=StoredToken("x"), subscription_id="sub-a"
        )
    assert store.tenants.require("t1").pim_url == VICTIM_URL
    assert store.tenants.token("t1").access_token == "victim-token"
    assert store.tenants.tenant_for_subscription("sub-a") is None
    # The same PIM, written differently, is the same tenant.
    store.tenants.save("t1", pim_url=VICTIM_URL + "/", token=StoredToken("new"))
    assert store.tenants.token("t1").access_token == "new"
