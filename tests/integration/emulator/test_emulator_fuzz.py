"""Whatever a client sends, the emulator answers like a PIM: never a 5xx unless a fault asked for it."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from emulator_support import API
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akeneo_sync.emulator.testing import EmulatorHandle

pytestmark = pytest.mark.integration

ROUTES = [
    "catalogs",
    "catalogs/{id}",
    "catalogs/{id}/product-uuids",
    "catalogs/{id}/products",
    "catalogs/{id}/mapped-products",
    "catalogs/{id}/products/{text}",
    "catalogs/{text}/product-uuids",
]
params = st.dictionaries(
    st.sampled_from(["limit", "page", "search_after", "updated_after", "updated_before", "with_count", "x"]),
    st.text(max_size=30),
    max_size=4,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), query=params, text=st.text(min_size=1, max_size=20))
def test_reads_with_arbitrary_parameters_never_fail_with_5xx(
    api: httpx.Client, enabled_catalog: str, route: str, query: dict[str, str], text: str
) -> None:
    path = route.format(id=enabled_catalog, text=quote(text, safe=""))

    response = api.get(f"{API}/{path}", params=query)

    assert response.status_code in (200, 400, 404, 422)
    assert isinstance(response.json(), dict)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_writes_with_arbitrary_bodies_never_fail_with_5xx(api: httpx.Client, pim: EmulatorHandle, body: bytes) -> None:
    catalog_id = api.post(f"{API}/catalogs", json={"name": "fuzz"}).json()["id"]
    headers = {"Content-Type": "application/json"}

    answers = [
        api.post(f"{API}/catalogs", content=body, headers=headers),
        api.patch(f"{API}/catalogs/{catalog_id}", content=body, headers=headers),
        api.put(f"{API}/catalogs/{catalog_id}/mapping-schemas/product", content=body, headers=headers),
        httpx.post(
            f"{pim.base_url}/connect/apps/v1/oauth2/token",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        httpx.post(f"{pim.base_url}/api/oauth/v1/token", content=body, headers=headers),
    ]
    api.delete(f"{API}/catalogs/{catalog_id}")

    assert all(a.status_code < 500 for a in answers), [(a.status_code, a.text) for a in answers]
