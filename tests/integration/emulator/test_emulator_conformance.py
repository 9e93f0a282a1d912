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


# -- product models and variants -------------------------------------------------------------

VARIANTS_SCHEMA: dict[str, Any] = {
    "$schema": "https://api.akeneo.com/mapping/product/1.0.3/schema",
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "title": {"type": "string"},
        "variation_axes": {"type": "array", "items": {"type": "object", "properties": {"code": {"type": "string"}}}},
        "variants": {
            "oneOf": [
                {"type": "string", "format": "uri"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "uuid": {"type": "string"},
                            "sku": {"type": "string"},
                            "variation_axes_values": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                },
            ]
        },
    },
}
TEES = [
    {"axes": {"color": color, "size": size}, "values": {"sku": f"TEE-{color}-{size}"}}
    for color in ("blue", "red")
    for size in ("s", "m")
]


@pytest.fixture
def models_catalog(pim: EmulatorHandle, api: httpx.Client) -> str:
    """An enabled catalog in variants mode, mapped by name, and three models: tee_b, tee_a (color,
    size: two sub-models of two variants) and shoe_c (size: three variants); returns its id."""
    catalog_id: str = api.post(f"{API}/catalogs", json={"name": "Models"}).json()["id"]
    api.put(f"{API}/catalogs/{catalog_id}/mapping-schemas/product", json=VARIANTS_SCHEMA).raise_for_status()
    pim.admin.post(f"/_emulator/catalogs/{catalog_id}/product-mapping/by-name").raise_for_status()
    pim.admin.post(f"/_emulator/catalogs/{catalog_id}/enable").raise_for_status()
    for code, family, variants in (
        ("tee_b", "tshirts", TEES),
        ("tee_a", "tshirts", TEES),
        ("shoe_c", "shoes", [{"axes": {"size": s}} for s in ("40", "41", "42")]),
    ):
        body = {"code": code, "family": family, "values": {"name": code.upper()}, "variants": variants}
        pim.admin.post("/_emulator/models", json=body).raise_for_status()
    return catalog_id


def _models(api: httpx.Client, url: str, **params: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every item following `next`, and every page."""
    pages = [api.get(url, params=params).json()]
    while "next" in pages[-1]["_links"]:
        pages.append(api.get(pages[-1]["_links"]["next"]["href"]).json())
    return [item for page in pages for item in page["_embedded"]["items"]], pages


def test_mapped_models_page_by_code_with_absolute_links(api: httpx.Client, models_catalog: str) -> None:
    found, pages = _models(api, f"{API}/catalogs/{models_catalog}/mapped-models", limit=2)
    links = [link["href"] for page in pages for link in page["_links"].values()]

    assert [m["code"] for m in found] == ["shoe_c", "tee_a", "tee_b"]
    assert pages[1]["_links"]["self"]["href"].endswith("?search_after=tee_a&limit=2")
    assert all(href.startswith("http://127.0.0.1:") and "limit=2" in href for href in links)


def test_a_mapped_model_carries_its_axes_and_links_its_variants(
    pim: EmulatorHandle, api: httpx.Client, models_catalog: str
) -> None:
    tee = api.get(f"{API}/catalogs/{models_catalog}/mapped-models", params={"search_after": "shoe_c"}).json()
    first = tee["_embedded"]["items"][0]

    assert list(first) == ["code", "title", "variation_axes", "variants"]
    assert [axis["code"] for axis in first["variation_axes"]] == ["color", "size"]
    assert first["variants"] == f"{pim.base_url}{API}/catalogs/{models_catalog}/mapped-models/tee_a/variants"


def test_a_variant_carries_variation_axes_values(api: httpx.Client, models_catalog: str) -> None:
    found, _ = _models(api, f"{API}/catalogs/{models_catalog}/mapped-models/tee_a/variants")

    assert {tuple(v["value"] for v in item["variation_axes_values"]) for item in found} == {
        ("blue", "s"),
        ("blue", "m"),
        ("red", "s"),
        ("red", "m"),
    }
    assert all(
        "variant_axes_values" not in item and set(item) == {"uuid", "sku", "variation_axes_values"} for item in found
    )


def test_variants_page_by_uuid_within_limits_and_an_unknown_model_is_404(
    api: httpx.Client, models_catalog: str
) -> None:
    url = f"{API}/catalogs/{models_catalog}/mapped-models/tee_b/variants"
    found, pages = _models(api, url, limit=3)
    answers = [api.get(url, params={"limit": n}).status_code for n in (0, 101)]
    unknown = api.get(f"{API}/catalogs/{models_catalog}/mapped-models/nope/variants")

    assert [item["uuid"] for item in found] == sorted(item["uuid"] for item in found)
    assert (len(found), len(pages), pages[1]["_links"]["self"]["href"].count("search_after=" + found[2]["uuid"])) == (
        4,
        2,
        1,
    )
    assert (answers, unknown.status_code) == ([422, 422], 404)


@pytest.mark.parametrize("path", ["mapped-models", "mapped-models/tee_a/variants"])
def test_models_and_variants_answer_a_disabled_catalog_and_no_schema_with_a_200(
    pim: EmulatorHandle, api: httpx.Client, models_catalog: str, path: str
) -> None:
    api.delete(f"{API}/catalogs/{models_catalog}/mapping-schemas/product").raise_for_status()
    no_schema = api.get(f"{API}/catalogs/{models_catalog}/{path}")
    pim.admin.post(f"/_emulator/catalogs/{models_catalog}/disable").raise_for_status()
    disabled = api.get(f"{API}/catalogs/{models_catalog}/{path}")

    assert (no_schema.status_code, no_schema.json()) == (200, {"error": NO_SCHEMA, "message": NO_SCHEMA})
    assert (disabled.status_code, list(disabled.json())) == (200, ["error"])


def test_in_variants_mode_mapped_products_serves_simple_products_only(
    pim: EmulatorHandle, api: httpx.Client, models_catalog: str
) -> None:
    variants = set(pim.admin.get("/_emulator/models/tee_a").json()["variants"])
    uuids = set(_uuids(api, models_catalog))
    mapped, _ = _models(api, f"{API}/catalogs/{models_catalog}/mapped-products", limit=100)
    one = api.get(f"{API}/catalogs/{models_catalog}/products/{sorted(variants)[0]}").json()

    assert variants <= uuids
    assert variants.isdisjoint(m["uuid"] for m in mapped)
    assert len(mapped) == len(uuids) - 11
    assert one["parent"] in ("tee_a_blue", "tee_a_red")


def test_editing_a_model_bumps_its_variants_updated_but_not_its_root(
    pim: EmulatorHandle, api: httpx.Client, models_catalog: str, clock: ManualClock
) -> None:
    clock.advance(max(0.0, pim.emulator.store.until_s + 86_400 - clock.now()))
    before = _atom(int(clock.now()))
    clock.advance(1)
    pim.admin.patch("/_emulator/models/tee_a_red", json={"values": {"name": "Red tee"}}).raise_for_status()
    changed = _uuids(api, models_catalog, updated_after=before)
    roots, _ = _models(api, f"{API}/catalogs/{models_catalog}/mapped-models", updated_after=before)
    tee_a = pim.admin.get("/_emulator/models/tee_a_red").json()["variants"]

    assert sorted(changed) == sorted(tee_a)
    assert roots == []


def test_mapped_models_updated_after_alone_is_strict_on_the_root_models_own_date(
    pim: EmulatorHandle, api: httpx.Client, models_catalog: str, clock: ManualClock
) -> None:
    clock.advance(10)  # the models were saved 10 s before the edit
    edited = int(clock.now())
    pim.admin.patch("/_emulator/models/tee_b", json={"values": {"name": "B"}}).raise_for_status()
    after = [
        [
            m["code"]
            for m in _models(
                api, f"{API}/catalogs/{models_catalog}/mapped-models", updated_after=_atom(edited + delta)
            )[0]
        ]
        for delta in (-1, 0)
    ]

    assert after == [["tee_b"], []]


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
