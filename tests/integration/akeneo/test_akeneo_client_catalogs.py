"""The client against the emulator: catalogs, the mapping schema, and mapped errors."""

from __future__ import annotations

from typing import Any

import pytest

from akeneo_sync.akeneo.auth import AppTokenProvider
from akeneo_sync.akeneo.client import AkeneoClient
from akeneo_sync.akeneo.types import CatalogInfo
from akeneo_sync.emulator.testing import EmulatorHandle
from akeneo_sync.errors import CatalogNotFoundError, PimValidationError, ScopeError

pytestmark = pytest.mark.integration

ClientFactory = Any  # conftest.make_client


def test_a_created_catalog_starts_disabled_and_reads_back(client: AkeneoClient) -> None:
    created = client.create_catalog("Store EU", managed_currencies=["EUR"], managed_locales=["fr_FR"])
    assert created == CatalogInfo(created.id, "Store EU", False, ("EUR",), ("fr_FR",))
    assert client.get_catalog(created.id) == created


def test_a_catalog_can_be_deleted(client: AkeneoClient) -> None:
    created = client.create_catalog("Old")
    client.delete_catalog(created.id)
    with pytest.raises(CatalogNotFoundError) as caught:
        client.get_catalog(created.id)
    assert caught.value.status == 404
    assert caught.value.catalog == created.id


def test_iterating_catalogs_follows_next_links_across_pages(client: AkeneoClient) -> None:
    made = {client.create_catalog(f"Catalog {n}").id for n in range(5)}
    first = client.catalogs_page(limit=2)
    assert len(first.items) == 2
    assert first.next_url is not None
    assert {catalog.id for catalog in client.iter_catalogs(limit=2)} == made


def test_the_mapping_schema_round_trips_and_can_be_deleted(
    client: AkeneoClient, mapping_schema: dict[str, Any]
) -> None:
    catalog = client.create_catalog("Schema")
    client.put_mapping_schema(catalog.id, mapping_schema)
    assert client.get_mapping_schema(catalog.id)["properties"] == mapping_schema["properties"]
    client.delete_mapping_schema(catalog.id)
    with pytest.raises(CatalogNotFoundError):
        client.get_mapping_schema(catalog.id)


def test_a_blank_name_is_a_validation_error_with_the_pims_messages(client: AkeneoClient, pim: EmulatorHandle) -> None:
    with pytest.raises(PimValidationError) as caught:
        client.create_catalog("")
    assert caught.value.status == 422
    assert any("name" in message for message in caught.value.errors)
    assert pim.admin.get("/_emulator/stats").json()["requests"] == 1


def test_an_invalid_schema_is_a_validation_error(client: AkeneoClient) -> None:
    catalog = client.create_catalog("Bad schema")
    with pytest.raises(PimValidationError) as caught:
        client.put_mapping_schema(catalog.id, {"type": "object", "properties": {"uuid": {"type": "string"}}})
    assert caught.value.status == 422


def test_a_missing_scope_is_a_scope_error_without_retry(make_client: ClientFactory, pim: EmulatorHandle) -> None:
    client = make_client(scopes=["read_catalogs"])
    with pytest.raises(ScopeError) as caught:
        client.create_catalog("Not allowed")
    assert caught.value.status == 403
    assert pim.admin.get("/_emulator/stats").json()["requests"] == 1


def test_another_apps_catalog_is_not_found(make_client: ClientFactory, pim: EmulatorHandle) -> None:
    mine = make_client().create_catalog("Mine")
    other_token = pim.admin.post("/_emulator/tokens", json={"client_id": "other-app"}).json()["access_token"]
    with pytest.raises(CatalogNotFoundError):
        make_client(AppTokenProvider(other_token)).get_catalog(mine.id)
