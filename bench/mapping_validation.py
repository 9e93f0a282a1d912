"""Mapping-schema validation: our checker (`akeneo_sync.mapping`) against the `jsonschema` library.

    python bench/mapping_validation.py [--quick] [--products N]

Every mapped product of a full sync is checked against the app's mapping schema before it is
pushed, so the checker is on the hot path (budget: bench/cpu_per_product.py's 40 us per product
for everything). The mapped products are real emulator pages of the bundled schema, mapped by
name; a tenth of them are then broken the ways a PIM user's mapping breaks them (a required
target left empty, a number mapped from text, a relative image URL, a price without currency).
Both checkers see the same products; the figures are CPU per product for the first problem
(what a dead letter records), the agreement of their verdicts, and the ratio.

`jsonschema` is given the schema as Draft 2020-12 (the meta-schema's draft) with its format
checker; Akeneo's `enum` of `{code, value}` objects is rewritten to the codes first, as the
mapped value is the code.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from importlib.metadata import version
from typing import Any

import httpx
import jsonschema
from _common import bundled_schema_path, create_catalog, header, products_arg, quick_mode, row

from akeneo_sync.emulator.testing import running_emulator
from akeneo_sync.mapping import schema_validator

REPEATS = 3
BROKEN_SHARE = 0.1


def mapped_products(products: int) -> list[dict[str, Any]]:
    """Every mapped product of an emulated catalog of `products`, mapped by name."""
    items: list[dict[str, Any]] = []
    with running_emulator(products=products, seed=5) as pim:
        catalog = create_catalog(pim.base_url, pim.admin)
        url: str | None = f"{catalog.base_url}/api/rest/v1/catalogs/{catalog.catalog_id}/mapped-products?limit=100"
        with httpx.Client(headers={"Authorization": f"Bearer {catalog.token}"}, timeout=60) as api:
            while url:
                page = api.get(url).raise_for_status().json()
                items.extend(page["_embedded"]["items"])
                url = page["_links"].get("next", {}).get("href")
    return items


def break_some(items: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """A copy of `items` with BROKEN_SHARE of them broken as a user's mapping breaks them."""
    breaks: list[Callable[[dict[str, Any]], None]] = [
        lambda p: p.pop("name", None),
        lambda p: p.update(price={"amount": "12,50", "currency": "EUR"}),
        lambda p: p.update(image_url="/media/cache/shoe.jpg"),
        lambda p: p.update(price={"amount": 12.5}),
        lambda p: p.update(is_active="yes"),
    ]
    out = []
    for item in items:
        copy = json.loads(json.dumps(item))
        if rng.random() < BROKEN_SHARE:
            rng.choice(breaks)(copy)
        out.append(copy)
    return out


def for_jsonschema(schema: Any) -> Any:
    """The schema with Akeneo's `{code, value}` enum items replaced by their codes."""
    if isinstance(schema, dict):
        fixed = {key: for_jsonschema(value) for key, value in schema.items()}
        if isinstance(schema.get("enum"), list):
            fixed["enum"] = [e.get("code") if isinstance(e, dict) else e for e in schema["enum"]]
        return fixed
    if isinstance(schema, list):
        return [for_jsonschema(value) for value in schema]
    return schema


def best_cpu_us(check: Callable[[Mapping[str, Any]], str | None], items: list[dict[str, Any]]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        started = time.process_time()
        for item in items:
            check(item)
        best = min(best, time.process_time() - started)
    return best * 1e6 / max(len(items), 1)


def main() -> int:
    quick = quick_mode()
    products = products_arg(5_000 if quick else 50_000)
    header(f"mapping-schema validation, {products:,} mapped products, {BROKEN_SHARE:.0%} broken", quick)
    schema = json.loads(bundled_schema_path().read_text())
    items = break_some(mapped_products(products), random.Random(7))  # noqa: S311 -- reproducible test data
    ours = schema_validator(schema)
    library = jsonschema.Draft202012Validator(
        for_jsonschema(schema), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )

    def first_error(product: Mapping[str, Any]) -> str | None:
        error = jsonschema.exceptions.best_match(library.iter_errors(product))
        return None if error is None else error.message

    verdicts = [(ours(item) is None, library.is_valid(item)) for item in items]
    disagree = [i for i, (a, b) in enumerate(verdicts) if a != b]
    invalid = sum(1 for valid, _ in verdicts if not valid)
    ours_us = best_cpu_us(ours, items)
    library_us = best_cpu_us(first_error, items)
    valid_only_us = best_cpu_us(lambda p: None if library.is_valid(p) else "invalid", items)
    row("products", f"{len(items):,} ({invalid:,} invalid by our checker)")
    row("ours (akeneo_sync.mapping), first problem", f"{ours_us:.2f} us/product, best of {REPEATS}")
    row(
        f"jsonschema {version('jsonschema')}, first problem",
        f"{library_us:.2f} us/product ({library_us / ours_us:.1f}x ours)",
    )
    row("jsonschema, is_valid only", f"{valid_only_us:.2f} us/product ({valid_only_us / ours_us:.1f}x ours)")
    row("verdicts that differ", f"{len(disagree):,}")
    kinds = Counter(f"ours: {ours(items[i])!r}; jsonschema: {first_error(items[i])!r}" for i in disagree)
    for kind, count in kinds.most_common(3):
        row(f"  {count:,} x", kind)
    return 0


if __name__ == "__main__":
    sys.exit(main())
