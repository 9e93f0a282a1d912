"""Protocol switches chosen in `EmulatorConfig`, each on its own short-lived server."""

from __future__ import annotations

import json

import httpx
import pytest
from emulator_support import API, BUNDLED_SCHEMA

from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.testing import running_emulator

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("status", "has_body", "has_location"), [(201, False, True), (200, True, False)])
def test_the_put_schema_status_can_follow_the_docs_or_the_other_implementation(
    status: int, has_body: bool, has_location: bool
) -> None:
    schema = json.loads(BUNDLED_SCHEMA.read_text(encoding="utf-8"))
    with running_emulator(config=EmulatorConfig(products=20, put_schema_status=status)) as pim:
        token = pim.admin.post("/_emulator/tokens", json={"client_id": "a"}).json()["access_token"]
        with httpx.Client(base_url=pim.base_url, headers={"Authorization": f"Bearer {token}"}) as api:
            catalog_id = api.post(f"{API}/catalogs", json={"name": "c"}).json()["id"]
            response = api.put(f"{API}/catalogs/{catalog_id}/mapping-schemas/product", json=schema)

    assert response.status_code == status
    assert (response.json() == schema) if has_body else (response.content == b"")
    assert ("location" in response.headers) is has_location


def test_a_smaller_catalog_limit_applies_per_app() -> None:
    with running_emulator(config=EmulatorConfig(products=5, max_catalogs_per_app=2)) as pim:
        token = pim.admin.post("/_emulator/tokens", json={"client_id": "a"}).json()["access_token"]
        with httpx.Client(base_url=pim.base_url, headers={"Authorization": f"Bearer {token}"}) as api:
            codes = [api.post(f"{API}/catalogs", json={"name": f"c{n}"}).status_code for n in range(3)]

    assert codes == [201, 201, 422]
