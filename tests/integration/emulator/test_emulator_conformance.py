"""The conformance table of docs/akeneo.md, one test per row, each against the emulator's socket.

Every row says what Akeneo does where its docs are silent, the Akeneo source it was read from,
and the test below that asserts it; `test_every_row_of_the_table_names_a_test_here` keeps the
table and this module in step.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_support import API, BUNDLED_SCHEMA

from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.testing import EmulatorHandle, running_emulator

pytestmark = pytest.mark.integration

TABLE = Path(__file__).parents[3] / "docs" / "akeneo.md"
NO_SCHEMA = "Impossible to map products: no product mapping schema available for this catalog."


def _atom(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, tz=UTC).isoformat()


def _uuids(api: httpx.Client, catalog: str, **params: Any) -> list[str]:
    """Every product UUID for these filters, following `_links.next.href`."""
    page = api.get(f"{API}/catalogs/{catalog}/product-uuids", params={"limit": 1000, **params}).json()
    found: list[str] = list(page["_embedded"]["items"])
    while "next" in page["_links"]:
        page = api.get(page["_links"]["next"]["href"]).json()
        found += page["_embedded"]["items"]
    return found


@pytest.fixture
def dated(pim: EmulatorHandle, clock: ManualClock) -> list[tuple[int, str]]:
    """Three products saved at three consecutive seconds after every seeded one: (second, uuid)."""
    clock.advance(max(0.0, pim.emulator.store.until_s + 86_400 - clock.now()))
    made = []
    for n in range(3):
        body = {"values": {"sku": f"DATED-{n}", "name": f"Dated {n}"}}
        made.append((int(clock.now()), pim.admin.post("/_emulator/products", json=body).json()["uuid"]))
        clock.advance(1)
    return made


def _mine(found: list[str], dated: list[tuple[int, str]]) -> list[int]:
    """The seconds of the dated products that are in `found`."""
    return [second for second, uuid in dated if uuid in found]


# -- with_count ------------------------------------------------------------------------------


def test_with_count_gives_no_count(api: httpx.Client, enabled_catalog: str) -> None:
    page = api.get(f"{API}/catalogs/{enabled_catalog}/product-uuids", params={"with_count": "true"}).json()

    assert set(page) == {"_links", "_embedded"}


# -- updated bounds --------------------------------------------------------------------------


def test_updated_after_alone_is_strict(api: httpx.Client, enabled_catalog: str, dated: list[tuple[int, str]]) -> None:
    t0 = dated[0][0]

    assert _mine(_uuids(api, enabled_catalog, updated_after=_atom(t0)), dated) == [t0 + 1, t0 + 2]


def test_updated_before_alone_is_strict(api: httpx.Client, enabled_catalog: str, dated: list[tuple[int, str]]) -> None:
    t0 = dated[0][0]

    assert _mine(_uuids(api, enabled_catalog, updated_before=_atom(t0 + 2)), dated) == [t0, t0 + 1]


def test_both_updated_bounds_are_inclusive(
    api: httpx.Client, enabled_catalog: str, dated: list[tuple[int, str]]
) -> None:
    t0 = dated[0][0]
    found = _uuids(api, enabled_catalog, updated_after=_atom(t0), updated_before=_atom(t0 + 2))

    assert found == sorted(uuid for _, uuid in dated)


def test_a_date_that_is_not_atom_is_422(api: httpx.Client, enabled_catalog: str) -> None:
    answer = api.get(f"{API}/catalogs/{enabled_catalog}/product-uuids", params={"updated_after": "2024-01-01"})

    assert (answer.status_code, answer.json()) == (422, {"code": 422, "message": "ISO 8601 format is required."})


# -- pages and links -------------------------------------------------------------------------


def test_items_come_by_uuid_and_search_after_is_the_last_uuid_of_the_page(
    api: httpx.Client, enabled_catalog: str
) -> None:
    page = api.get(f"{API}/catalogs/{enabled_catalog}/product-uuids", params={"limit": 7}).json()
    items = page["_embedded"]["items"]

    assert (items == sorted(items), f"search_after={items[-1]}" in page["_links"]["next"]["href"]) == (True, True)


def test_a_full_last_page_is_followed_by_an_empty_page_without_next(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    # A small selection, so that one page (limit <= 1000) holds it exactly.
    pim.admin.put(f"/_emulator/catalogs/{enabled_catalog}/selection", json={"families": ["books"]}).raise_for_status()
    total = len(
        pim.admin.get(f"/_emulator/catalogs/{enabled_catalog}/expected", params={"mapped": "false"}).json()["uuids"]
    )
    page = api.get(f"{API}/catalogs/{enabled_catalog}/product-uuids", params={"limit": total}).json()
    last = api.get(page["_links"]["next"]["href"]).json()

    assert (len(page["_embedded"]["items"]), last["_embedded"]["items"], "next" in last["_links"]) == (total, [], False)


def test_links_carry_the_limit_and_first_has_no_search_after(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    path = f"{API}/catalogs/{enabled_catalog}/product-uuids"
    first = api.get(path).json()
    second = api.get(first["_links"]["next"]["href"]).json()

    assert second["_links"]["first"] == {"href": f"{pim.base_url}{path}?limit=100"}


def test_mapped_products_links_are_absolute_urls(pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str) -> None:
    links = api.get(f"{API}/catalogs/{enabled_catalog}/mapped-products", params={"limit": 5}).json()["_links"]

    assert all(link["href"].startswith(f"{pim.base_url}{API}/") for link in links.values())


@pytest.fixture
def path_only_pim() -> Iterator[tuple[EmulatorHandle, httpx.Client, str]]:
    """An emulator whose product-uuids links are path-only, with an enabled catalog of app `a`."""
    config = EmulatorConfig(products=30, seed=3, path_only_uuid_links=True)
    with running_emulator(config=config) as pim:
        token = pim.admin.post("/_emulator/tokens", json={"client_id": "a"}).json()["access_token"]
        with httpx.Client(base_url=pim.base_url, headers={"Authorization": f"Bearer {token}"}) as api:
            catalog = api.post(f"{API}/catalogs", json={"name": "c"}).json()["id"]
            pim.admin.post(f"/_emulator/catalogs/{catalog}/enable").raise_for_status()
            yield pim, api, catalog


def test_product_uuids_links_can_be_path_only_as_one_version_built_them(
    path_only_pim: tuple[EmulatorHandle, httpx.Client, str],
) -> None:
    _, api, catalog = path_only_pim
    links = api.get(f"{API}/catalogs/{catalog}/product-uuids", params={"limit": 5}).json()["_links"]

    assert all(link["href"].startswith(f"{API}/catalogs/{catalog}/product-uuids?") for link in links.values())


# -- mapping schema and mapping --------------------------------------------------------------


def test_no_mapping_schema_is_a_200_with_error_and_message(pim: EmulatorHandle, api: httpx.Client) -> None:
    catalog = api.post(f"{API}/catalogs", json={"name": "no schema"}).json()["id"]
    pim.admin.post(f"/_emulator/catalogs/{catalog}/enable").raise_for_status()
    answer = api.get(f"{API}/catalogs/{catalog}/mapped-products")

    assert (answer.status_code, answer.json()) == (200, {"error": NO_SCHEMA, "message": NO_SCHEMA})


def test_a_disabled_catalog_answers_disabled_even_without_schema(api: httpx.Client) -> None:
    catalog = api.post(f"{API}/catalogs", json={"name": "disabled, no schema"}).json()["id"]
    body = api.get(f"{API}/catalogs/{catalog}/mapped-products").json()

    assert (list(body), "has been disabled" in body["error"]) == (["error"], True)


def test_only_uuid_is_mapped_until_the_user_maps_targets(pim: EmulatorHandle, api: httpx.Client) -> None:
    catalog = api.post(f"{API}/catalogs", json={"name": "unmapped"}).json()["id"]
    schema = BUNDLED_SCHEMA.read_bytes().replace(b'"required": ["uuid", "sku", "name"]', b'"required": ["uuid"]')
    api.put(
        f"{API}/catalogs/{catalog}/mapping-schemas/product",
        content=schema,
        headers={"Content-Type": "application/json"},
    ).raise_for_status()
    pim.admin.post(f"/_emulator/catalogs/{catalog}/enable").raise_for_status()
    items = api.get(f"{API}/catalogs/{catalog}/mapped-products", params={"limit": 10}).json()["_embedded"]["items"]

    assert [set(item) for item in items] == [{"uuid"}] * 10


def test_an_empty_source_leaves_its_target_out_of_the_mapped_product(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    made = pim.admin.post("/_emulator/products", json={"values": {"sku": "S-1", "name": "N", "brand": ""}}).json()
    mapped = api.get(f"{API}/catalogs/{enabled_catalog}/mapped-products/{made['uuid']}").json()

    assert {"brand", "description"}.isdisjoint(mapped)


# -- required targets ------------------------------------------------------------------------


@pytest.fixture
def no_sku(pim: EmulatorHandle, enabled_catalog: str) -> str:
    """A product the catalog selects but whose `sku` (the source of the required target `sku`) is empty."""
    uuid: str = pim.admin.post("/_emulator/products", json={"values": {"name": "No SKU"}}).json()["uuid"]
    return uuid


def test_an_empty_required_source_leaves_the_product_out_of_product_uuids(
    api: httpx.Client, enabled_catalog: str, no_sku: str
) -> None:
    assert no_sku not in _uuids(api, enabled_catalog)


def test_an_empty_required_source_leaves_the_product_out_of_mapped_products(
    api: httpx.Client, enabled_catalog: str, no_sku: str
) -> None:
    page = api.get(f"{API}/catalogs/{enabled_catalog}/mapped-products", params={"limit": 100}).json()
    seen = [item["uuid"] for item in page["_embedded"]["items"]]
    while "next" in page["_links"]:
        page = api.get(page["_links"]["next"]["href"]).json()
        seen += [item["uuid"] for item in page["_embedded"]["items"]]

    assert no_sku not in seen


def test_an_empty_required_source_makes_a_single_read_404(api: httpx.Client, enabled_catalog: str, no_sku: str) -> None:
    answers = [
        api.get(f"{API}/catalogs/{enabled_catalog}/{path}/{no_sku}").status_code
        for path in ("products", "mapped-products")
    ]

    assert answers == [404, 404]


def test_a_required_target_without_source_disables_the_catalog_at_read_time(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    pim.admin.put(f"/_emulator/catalogs/{enabled_catalog}/product-mapping", json={"name": "name"}).raise_for_status()
    read = api.get(f"{API}/catalogs/{enabled_catalog}/product-uuids").json()

    assert ("error" in read, api.get(f"{API}/catalogs/{enabled_catalog}").json()["enabled"]) == (True, False)


# -- disabled catalogs -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["product-uuids", "products", "mapped-products"])
def test_a_disabled_catalog_answers_200_with_an_error_body(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str, path: str
) -> None:
    pim.admin.post(f"/_emulator/catalogs/{enabled_catalog}/disable").raise_for_status()
    answer = api.get(f"{API}/catalogs/{enabled_catalog}/{path}")

    assert (answer.status_code, list(answer.json())) == (200, ["error"])


# -- the table itself ------------------------------------------------------------------------


def _table_tests() -> list[str]:
    """The test named in the last column of each row of the conformance table."""
    text = TABLE.read_text(encoding="utf-8")
    section = text.split("## Conformance table", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|") and "`test_" in line]
    return [re.findall(r"`(test_\w+)`", row.rsplit("|", 2)[-2])[0] for row in rows]


def test_every_row_of_the_table_names_a_test_here_and_every_test_here_has_a_row() -> None:
    here = {name for name, value in globals().items() if name.startswith("test_") and callable(value)}
    here.discard("test_every_row_of_the_table_names_a_test_here_and_every_test_here_has_a_row")

    assert sorted(_table_tests()) == sorted(here)
