"""`akeneo-sync demo --variants`: the demo on a catalog in products-with-variants mode.

The same stack as the default demo (`demo.demo_stack`), with the emulator seeded with product
models (2-6 variants each) beside its simple products, and a catalog whose mapping schema is the
bundled product-models schema. A full sync pushes every model with its whole variant set; then a
variant changes, a variant is deleted, a model is added and a model is deleted in the PIM, and one
incremental run must bring the SQLite target back to the catalog: models with their variants, and
the simple products. Exits non-zero otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TextIO

from akeneo_sync.demo import DemoOptions, DemoStack, _Demo, _metric, demo_stack
from akeneo_sync.settings import CatalogSpec, bundled_schema_path

__all__ = ["MODELS_SCHEMA", "VariantsOutcome", "run_variants_demo"]

MODELS_SCHEMA: Final = bundled_schema_path().parent / "product-models-mapping.json"
NEW_MODEL: Final = "demo_new_boot"


@dataclass(frozen=True, slots=True)
class VariantsOutcome:
    """What the catalog holds (per the PIM) and what the target holds, after the incremental run."""

    expected_models: dict[str, Any]
    actual_models: dict[str, Any]
    expected_products: dict[str, Any]
    actual_products: dict[str, Any]
    letters: int
    full_s: float
    full_models: int
    full_variants: int
    full_products: int


def expected_models(demo: _Demo, catalog: str) -> dict[str, Any]:
    """The catalog's mapped models as the PIM computes them, variants in UUID order."""
    models: dict[str, Any] = demo.admin("GET", f"/_emulator/catalogs/{catalog}/expected-models")["models"]
    return {code: _sorted(model) for code, model in models.items()}


def expected_simple_products(demo: _Demo, catalog: str, models: dict[str, Any]) -> dict[str, Any]:
    """The catalog's mapped products that are no model's variant (mapped-products serves only those)."""
    variants = {variant["uuid"] for model in models.values() for variant in model["variants"]}
    products: dict[str, Any] = demo.admin("GET", f"/_emulator/catalogs/{catalog}/expected")["mapped_products"]
    return {uuid: product for uuid, product in products.items() if uuid not in variants}


def _sorted(model: dict[str, Any]) -> dict[str, Any]:
    # The target keeps a model's variants as a set: compare them in one order.
    return {**model, "variants": sorted(model["variants"], key=lambda variant: variant["uuid"])}


def run_variants_demo(options: DemoOptions, out: TextIO) -> int:
    """Run the variants demo; 0 when the target equals the catalog (models and simple products)."""
    out.write(
        f"akeneo-sync demo --variants: PIM emulator with {options.models:,} product models (2-6 variants each)"
        f" and {options.products:,} simple products, in-process Redis, SQLite target\n"
    )
    catalogs = (CatalogSpec(name="Store EU", mapping_schema=MODELS_SCHEMA), CatalogSpec(name="Store US"))
    with demo_stack(options, out, catalogs) as stack:
        outcome = _play(stack)
    return _report_variants(out, outcome, database=stack.database)


def _play(stack: DemoStack) -> VariantsOutcome:
    from akeneo_sync.worker import actors

    demo, tenant, worker = stack.demo, stack.tenant, stack.worker
    eu = stack.catalogs["Store EU"]
    demo.admin("POST", f"/_emulator/catalogs/{eu}/product-mapping/by-name")
    demo.admin("POST", f"/_emulator/catalogs/{eu}/enable")
    models = expected_models(demo, eu)
    products = expected_simple_products(demo, eu, models)
    variants = sum(len(model["variants"]) for model in models.values())
    demo.say(
        f"3. The PIM user maps the targets and enables Store EU in variants mode ({len(models):,} models with"
        f" {variants:,} variants, {len(products):,} simple products): poll -> full sync"
    )
    actors.poll_catalogs.send(tenant)
    # The run's counters count simple products, then models (each with its whole variant set).
    full_s = demo.follow(worker, stack.runtime, tenant, eu, len(products) + len(models), unit="products+models")

    codes = sorted(models)
    changed, deleted = models[codes[0]]["variants"][0]["uuid"], models[codes[1]]["variants"][-1]["uuid"]
    demo.admin("PATCH", f"/_emulator/products/{changed}", json={"values": {"sku": f"EDITED-{changed[:8]}"}})
    demo.admin("DELETE", f"/_emulator/products/{deleted}")
    demo.admin(
        "POST",
        "/_emulator/models",
        json={
            "code": NEW_MODEL,
            "family": "shoes",
            "values": {"name": "New boot"},
            "variants": [{"axes": {"size": size}, "values": {"sku": f"BOOT-{size}"}} for size in ("40", "41", "42")],
        },
    )
    demo.admin("DELETE", f"/_emulator/models/{codes[2]}")
    demo.say(
        f"4. In the PIM, a variant of {codes[0]} changes, one of {codes[1]} is deleted, model {NEW_MODEL} is"
        f" added and model {codes[2]} is deleted: incremental sync"
    )
    actors.sync_catalog.send(tenant, eu, "incremental")
    worker.drain(timeout_s=120)

    after = expected_models(demo, eu)
    stored = {code: _sorted(model.item()) for code, model in stack.target.models(tenant, eu).items()}
    return VariantsOutcome(
        expected_models=after,
        actual_models=stored,
        expected_products=expected_simple_products(demo, eu, after),
        actual_products=dict(stack.target.products(tenant, eu)),
        letters=stack.runtime.state.dead_letters.count(tenant),
        full_s=full_s,
        full_models=len(models),
        full_variants=variants,
        full_products=len(products),
    )


def _report_variants(out: TextIO, outcome: VariantsOutcome, *, database: Path) -> int:
    """Print the summary; 0 when the target holds exactly the catalog's models and simple products."""
    o = outcome
    variants = sum(len(model["variants"]) for model in o.actual_models.values())
    requests = {
        endpoint: _metric("akeneo_sync_pim_requests_total", endpoint=endpoint)
        for endpoint in ("mapped-models", "mapped-variants", "mapped-products")
    }
    seconds = max(o.full_s, 1e-9)
    rows = [
        ("models in the target", f"{len(o.actual_models):,} with {variants:,} variants"),
        ("simple products in the target", f"{len(o.actual_products):,}"),
        ("dead letters", f"{o.letters}"),
        (
            "requests (models / variants / products)",
            " / ".join(f"{count:,.0f}" for count in requests.values()),
        ),
        ("429 answers honoured", f"{_metric('akeneo_sync_rate_limited_total'):,.0f}"),
        (
            "full sync (simple products, then models)",
            f"{o.full_products:,} products + {o.full_models:,} models ({o.full_variants:,} variants)"
            f" in {o.full_s:.1f} s = {(o.full_products + o.full_variants) / seconds:,.0f} PIM products/s",
        ),
        ("SQLite target", str(database)),
    ]
    out.write("\nSummary\n")
    for label, value in rows:
        out.write(f"  {label:<40} {value}\n")
    problems = [
        f"{kind}: {len(missing)} missing, {len(stale)} stale, {len(extra)} extra downstream"
        for kind, expected, actual in (
            ("models", o.expected_models, o.actual_models),
            ("products", o.expected_products, o.actual_products),
        )
        for missing, extra, stale in [_diff(expected, actual)]
        if missing or extra or stale
    ]
    if problems:
        out.write(f"MISMATCH: {'; '.join(problems)}\n")
        return 1
    out.write(
        f"OK: the target holds exactly the {len(o.expected_models):,} models (each with its whole variant set)"
        f" and {len(o.expected_products):,} simple products of the enabled catalog.\n"
    )
    return 0


def _diff(expected: dict[str, Any], actual: dict[str, Any]) -> tuple[set[str], set[str], list[str]]:
    stale = [key for key in set(expected) & set(actual) if expected[key] != actual[key]]
    return set(expected) - set(actual), set(actual) - set(expected), stale
