"""Properties of pagination, schema validation and mapping, over generated inputs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.catalog_data import ATTRIBUTES, CATEGORIES, FAMILIES
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.mapping import SchemaInvalidError, map_product, suggested_mapping, validate_schema
from akeneo_sync.emulator.products_api import standard_product
from akeneo_sync.emulator.rendering import RenderCache
from akeneo_sync.emulator.store import Catalog, Product, ProductQuery, Selection, Store

STORE = Store(EmulatorConfig(products=250, seed=11, clock=ManualClock(), data_until_s=1_780_000_000))
BUNDLED: dict[str, Any] = json.loads(
    (Path(__file__).parents[3] / "src" / "akeneo_sync" / "schemas" / "product-mapping.json").read_text("utf-8")
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)
selections = st.builds(
    Selection,
    enabled_only=st.booleans(),
    families=st.none() | st.lists(st.sampled_from(FAMILIES), max_size=3).map(tuple),
    categories=st.none() | st.lists(st.sampled_from(CATEGORIES), max_size=3).map(tuple),
    updated_after=st.none() | st.integers(1_780_000_000 - 3 * 365 * 86_400, 1_780_000_000),
)


@settings(max_examples=30, deadline=None)
@given(selection=selections, limit=st.integers(1, 150))
def test_following_cursors_yields_exactly_the_selection_once(selection: Selection, limit: int) -> None:
    catalog = Catalog("c", "app", "c", [], [], True, selection=selection)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = STORE.page_uuids(catalog, ProductQuery(limit=limit, search_after=cursor))
        seen += page
        if len(page) < limit:
            break
        cursor = page[-1]

    assert seen == [p.uuid for p in STORE.selected(catalog)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=json_values)
def test_schema_validation_only_ever_refuses_with_its_own_error(schema: Any) -> None:
    refusal = None
    try:
        validate_schema(schema, 600)
    except SchemaInvalidError as exc:
        refusal = exc.message

    assert refusal is None or refusal.startswith("You must provide a")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.dictionaries(st.sampled_from(ATTRIBUTES), json_values, max_size=len(ATTRIBUTES)))
def test_mapped_products_never_carry_empty_or_mistyped_targets(values: dict[str, Any]) -> None:
    product = Product("0b1c7e4a-5d5e-4f1a-9c3b-1e2d3f4a5b6c", "shoes", [], True, 0, 0, values)
    catalog = Catalog(
        "c",
        "app",
        "c",
        ["EUR"],
        [],
        True,
        mapping_schema=BUNDLED,
        product_mapping=suggested_mapping(BUNDLED, frozenset(ATTRIBUTES)),
    )

    mapped = map_product(product, catalog, frozenset(ATTRIBUTES))

    python_types: dict[str, tuple[type, ...]] = {
        "string": (str,),
        "number": (int, float),
        "boolean": (bool,),
        "array": (list,),
        "object": (dict,),
    }
    for target, value in mapped.items():
        assert value not in (None, "", [])
        assert isinstance(value, python_types[BUNDLED["properties"][target]["type"]])
        if isinstance(value, dict):
            assert set(value) == set(BUNDLED["properties"][target]["required"])
            assert all(part is not None and not isinstance(part, bool) for part in value.values())


@settings(max_examples=40, deadline=None)
@given(
    selection=selections,
    limit=st.integers(1, 150),
    after=st.none() | st.integers(1_780_000_000 - 2 * 365 * 86_400, 1_780_000_000),
    span=st.none() | st.integers(1, 365 * 86_400),
)
def test_a_window_of_updated_dates_pages_exactly_its_products(
    selection: Selection, limit: int, after: int | None, span: int | None
) -> None:
    catalog = Catalog("c", "app", "c", [], [], True, selection=selection)
    before = None if span is None else (after or 1_780_000_000 - 365 * 86_400) + span
    seen: list[str] = []
    cursor: str | None = None
    while True:
        query = ProductQuery(limit=limit, search_after=cursor, updated_after=after, updated_before=before)
        page = STORE.page_uuids(catalog, query)
        seen += page
        if len(page) < limit:
            break
        cursor = page[-1]

    # One bound alone is strict; both together are inclusive at both ends (Akeneo's BETWEEN).
    both = after is not None and before is not None
    assert seen == [
        p.uuid
        for p in STORE.selected(catalog)
        if (after is None or p.updated > after or (both and p.updated == after))
        and (before is None or p.updated < before or (both and p.updated == before))
    ]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.dictionaries(st.text(max_size=6), json_values, max_size=6), enabled=st.booleans())
def test_rendered_products_are_the_bytes_jsonresponse_sent(values: dict[str, Any], enabled: bool) -> None:
    product = Product("0b1c7e4a-5d5e-4f1a-9c3b-1e2d3f4a5b6c", "shoes", ["master"], enabled, 0, 86_400, values)
    catalog = Catalog(
        "c",
        "app",
        "c",
        ["USD"],
        [],
        True,
        mapping_schema=BUNDLED,
        product_mapping=suggested_mapping(BUNDLED, frozenset(ATTRIBUTES)),
    )
    rendered = RenderCache(10**6, frozenset(ATTRIBUTES))

    standard = outcome(lambda: rendered.standard([product.uuid], lambda _: product)[0])
    mapped = outcome(lambda: rendered.mapped(catalog, [product.uuid], lambda _: product)[0])

    # Infinity (which json.loads accepts in an admin edit) fails both ways alike: a 500.
    assert standard == outcome(lambda: bytes(JSONResponse(standard_product(product)).body))
    assert mapped == outcome(lambda: bytes(JSONResponse(map_product(product, catalog, frozenset(ATTRIBUTES))).body))


def outcome(render: Callable[[], bytes]) -> bytes | str:
    try:
        return render()
    except ValueError as exc:
        return str(exc)
