"""The whole worker path on real Redis: actors on a real dramatiq worker, the emulator, SQLite."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import REGISTRY
from worker_stack import CLIENT_ID as WORKER_CLIENT_ID
from worker_stack import Stack

from akeneo_sync.errors import StateError
from akeneo_sync.state import CatalogStatus, StoredToken, TenantStatus

pytestmark = pytest.mark.integration


def activate_and_enable(stack: Stack) -> str:
    return stack.activate_and_enable()


def test_activation_creates_the_catalog_and_pushes_the_mapping_schema_once(stack: Stack) -> None:
    stack.actors().app_activated.send(stack.tenant)
    stack.actors().app_activated.send(stack.tenant)  # a redelivery must not create a copy
    stack.worker.drain()

    headers = {"Authorization": f"Bearer {stack.token}"}
    listed = httpx.get(f"{stack.pim.base_url}/api/rest/v1/catalogs", headers=headers).json()["_embedded"]["items"]
    assert [c["name"] for c in listed] == ["Store EU"]
    assert listed[0]["enabled"] is False
    schema = httpx.get(
        f"{stack.pim.base_url}/api/rest/v1/catalogs/{listed[0]['id']}/mapping-schemas/product", headers=headers
    ).json()
    assert schema["properties"]["uuid"] == {"type": "string"}
    record = stack.runtime.state.catalogs.get(stack.tenant, listed[0]["id"])
    assert record is not None
    assert (record.name, record.enabled, record.status) == ("Store EU", False, CatalogStatus.PAUSED)


def test_enabling_a_catalog_leads_to_a_full_sync_equal_to_the_catalog(stack: Stack) -> None:
    catalog = activate_and_enable(stack)

    expected = stack.expected(catalog)
    assert len(expected) > 100
    assert stack.target.products(stack.tenant, catalog) == expected
    record = stack.runtime.state.catalogs.get(stack.tenant, catalog)
    assert record is not None
    assert record.last_outcome == "success"
    assert record.counts["upserted"] == len(expected)


def test_an_incremental_sync_pushes_exactly_the_changed_products_and_deletes_the_gone(stack: Stack) -> None:
    catalog = activate_and_enable(stack)
    uuids = sorted(stack.expected(catalog))
    changed, deleted = uuids[:3], uuids[3:5]
    for uuid in changed:
        stack.admin("PATCH", f"/_emulator/products/{uuid}", json={"values": {"name": f"Renamed {uuid[:8]}"}})
    for uuid in deleted:
        stack.admin("DELETE", f"/_emulator/products/{uuid}")
    upserted, removed = products_counted(stack, catalog, "upserted"), products_counted(stack, catalog, "deleted")

    stack.actors().sync_catalog.send(stack.tenant, catalog, "incremental")
    stack.worker.drain()

    after = stack.target.products(stack.tenant, catalog)
    for uuid in changed:
        assert after[uuid]["name"] == f"Renamed {uuid[:8]}"
    # The incremental run pushes the three edits; its drift probe, whose page of UUIDs covers this
    # small catalog whole, finds the two deleted products missing and the refresh deletes them.
    assert products_counted(stack, catalog, "upserted") - upserted == len(changed)
    assert products_counted(stack, catalog, "deleted") - removed == len(deleted)
    assert after == stack.expected(catalog)

    stack.actors().reconcile_catalog.send(stack.tenant, catalog)
    stack.worker.drain()
    assert stack.target.products(stack.tenant, catalog) == stack.expected(catalog)
    assert not set(deleted) & set(stack.target.products(stack.tenant, catalog))


def products_counted(stack: Stack, catalog: str, action: str) -> float:
    labels = {"tenant": stack.tenant, "catalog": catalog, "action": action}
    return REGISTRY.get_sample_value("akeneo_sync_products_total", labels) or 0.0


def test_product_events_resync_changed_and_delete_gone_products(stack: Stack) -> None:
    catalog = activate_and_enable(stack)
    uuids = sorted(stack.expected(catalog))
    stack.admin("PATCH", f"/_emulator/products/{uuids[0]}", json={"values": {"name": "From an event"}})
    stack.admin("DELETE", f"/_emulator/products/{uuids[1]}")

    stack.actors().sync_products.send(stack.tenant, [uuids[0], uuids[1]])
    stack.worker.drain()

    after = stack.target.products(stack.tenant, catalog)
    assert after[uuids[0]]["name"] == "From an event"
    assert uuids[1] not in after
    assert after == stack.expected(catalog)


def _deferred(reason: str) -> float:
    return REGISTRY.get_sample_value("akeneo_sync_deletes_deferred_total", {"reason": reason}) or 0.0


def test_an_event_for_a_product_of_a_deleted_catalog_deletes_nothing_downstream(stack: Stack) -> None:
    # The PIM answers 404 for a product of a deleted catalog exactly as for a product that left
    # it: the event path must not read the first as the second and empty the storefront.
    catalog = activate_and_enable(stack)
    before = stack.target.products(stack.tenant, catalog)
    uuids = sorted(before)[:3]
    deferred = _deferred("catalog_not_found")
    headers = {"Authorization": f"Bearer {stack.token}"}
    assert httpx.delete(f"{stack.pim.base_url}/api/rest/v1/catalogs/{catalog}", headers=headers).status_code == 204

    stack.actors().sync_products.send(stack.tenant, uuids)
    stack.worker.drain()

    assert stack.target.products(stack.tenant, catalog) == before
    assert _deferred("catalog_not_found") - deferred == len(uuids)


def test_an_event_404_in_a_catalog_that_is_disabled_meanwhile_deletes_nothing(stack: Stack) -> None:
    catalog = activate_and_enable(stack)
    before = stack.target.products(stack.tenant, catalog)
    gone = sorted(before)[0]
    stack.admin("DELETE", f"/_emulator/products/{gone}")
    stack.admin("POST", f"/_emulator/catalogs/{catalog}/disable")

    stack.actors().sync_products.send(stack.tenant, [gone])
    stack.worker.drain()

    assert stack.target.products(stack.tenant, catalog) == before


def test_a_disabled_catalog_stops_cleanly_and_a_re_enable_syncs_it_in_full(stack: Stack) -> None:
    catalog = activate_and_enable(stack)
    stack.admin("POST", f"/_emulator/catalogs/{catalog}/disable")

    stack.actors().sync_catalog.send(stack.tenant, catalog, "incremental")
    stack.worker.drain()
    record = stack.runtime.state.catalogs.get(stack.tenant, catalog)
    assert record is not None
    assert record.status is CatalogStatus.DISABLED

    uuid = sorted(stack.expected(catalog))[0]
    stack.admin("PATCH", f"/_emulator/products/{uuid}", json={"values": {"name": "Changed while disabled"}})
    stack.admin("POST", f"/_emulator/catalogs/{catalog}/enable")
    stack.actors().poll_catalogs.send(stack.tenant)
    stack.worker.drain()
    assert stack.target.products(stack.tenant, catalog) == stack.expected(catalog)
    record = stack.runtime.state.catalogs.get(stack.tenant, catalog)
    assert record is not None
    assert record.last_outcome == "success"


def test_a_catalog_that_lost_its_mapping_schema_gets_it_again_and_is_never_marked_disabled(stack: Stack) -> None:
    catalog = activate_and_enable(stack)
    headers = {"Authorization": f"Bearer {stack.token}"}
    schema_url = f"{stack.pim.base_url}/api/rest/v1/catalogs/{catalog}/mapping-schemas/product"
    uuid = sorted(stack.expected(catalog))[0]
    httpx.delete(schema_url, headers=headers).raise_for_status()
    stack.admin("PATCH", f"/_emulator/products/{uuid}", json={"values": {"name": "Changed without a schema"}})

    # mapped-products now answers 200 "Impossible to map products: no product mapping schema..."
    stack.actors().sync_catalog.send(stack.tenant, catalog, "incremental")
    stack.worker.drain()

    record = stack.runtime.state.catalogs.get(stack.tenant, catalog)
    assert record is not None
    assert (record.status, record.last_outcome) == (CatalogStatus.IDLE, "success")
    assert httpx.get(schema_url, headers=headers).status_code == 200
    assert stack.target.products(stack.tenant, catalog) == stack.expected(catalog)
    # The next poll sees an enabled catalog that is already live: no new full sync.
    stack.admin("POST", "/_emulator/stats/reset")
    stack.actors().poll_catalogs.send(stack.tenant)
    stack.worker.drain()
    polled = stack.admin("GET", "/_emulator/stats")["by_endpoint"]
    assert polled
    assert not [endpoint for endpoint in polled if "product" in endpoint]


def test_a_revoked_token_disconnects_the_tenant_and_stops_all_requests(stack: Stack) -> None:
    catalog = activate_and_enable(stack)
    stack.admin("POST", "/_emulator/tokens/revoke", json={"access_token": stack.token})
    stack.admin("POST", "/_emulator/stats/reset")

    stack.actors().sync_catalog.send(stack.tenant, catalog, "incremental")
    stack.worker.drain()
    tenant = stack.runtime.state.tenants.get(stack.tenant)
    assert tenant is not None
    assert tenant.status is TenantStatus.DISCONNECTED
    assert stack.admin("GET", "/_emulator/stats")["requests"] == 1
    with pytest.raises(StateError, match="no stored token"):  # erased at once, not kept encrypted
        stack.runtime.state.tenants.token(stack.tenant)

    # Later triggers make no request at all.
    stack.actors().sync_catalog.send(stack.tenant, catalog, "full")
    stack.actors().poll_catalogs.send(stack.tenant)
    stack.worker.drain()
    assert stack.admin("GET", "/_emulator/stats")["requests"] == 1


def _scope_missing(stack: Stack, catalog: str) -> float:
    labels = {"tenant": stack.tenant, "catalog": catalog}
    return REGISTRY.get_sample_value("akeneo_sync_catalog_scope_missing", labels) or 0.0


def test_a_403_marks_the_catalog_scope_missing_until_the_app_is_reconnected(stack: Stack) -> None:
    catalog = activate_and_enable(stack)
    pim_url = stack.pim.base_url
    tenants = stack.runtime.state.tenants
    # The PIM user connected the app before it asked for read_products: its token lacks the scope.
    narrow = stack.admin(
        "POST", "/_emulator/tokens", json={"client_id": WORKER_CLIENT_ID, "scopes": ["read_catalogs", "write_catalogs"]}
    )
    tenants.save(stack.tenant, pim_url=pim_url, token=StoredToken(access_token=narrow["access_token"]))

    stack.actors().sync_catalog.send(stack.tenant, catalog, "incremental")
    stack.worker.drain()
    record = stack.runtime.state.catalogs.require(stack.tenant, catalog)
    assert record.status is CatalogStatus.SCOPE_MISSING
    assert _scope_missing(stack, catalog) == 1
    assert stack.runtime.state.dead_letters.count(stack.tenant) == 0
    # Not live: the scheduler's runs skip it, and polls with the same token leave it alone.
    stack.actors().poll_catalogs.send(stack.tenant)
    stack.worker.drain()
    assert stack.runtime.state.catalogs.require(stack.tenant, catalog).status is CatalogStatus.SCOPE_MISSING

    # Reconnected with every scope: activation clears it and the poll syncs the catalog in full.
    stack.admin(
        "PATCH",
        f"/_emulator/products/{sorted(stack.expected(catalog))[0]}",
        json={"values": {"name": "Changed while refused"}},
    )
    tenants.save(stack.tenant, pim_url=pim_url, token=StoredToken(access_token=stack.token))
    stack.actors().app_activated.send(stack.tenant)
    stack.worker.drain()
    assert stack.runtime.state.catalogs.require(stack.tenant, catalog).status is CatalogStatus.IDLE
    assert _scope_missing(stack, catalog) == 0
    assert stack.target.products(stack.tenant, catalog) == stack.expected(catalog)
