"""The models part of the `Target` contract, on every real target: SQLite file, PostgreSQL, HTTP platform.

A model travels with its whole variant set and the target stores that set in place of the old
one, so what is read back is always a model with exactly the variants of one batch.
"""

from __future__ import annotations

from typing import Any

import pytest

from akeneo_sync.akeneo.types import MappedModel
from akeneo_sync.targets.base import BatchContext, ModelRejection, Rejection
from target_platform import Harness

pytestmark = pytest.mark.integration


def batch(page: int = 1, tenant: str = "t1", catalog: str = "c1", run: str = "run-1") -> BatchContext:
    return BatchContext(tenant=tenant, catalog=catalog, run_id=run, page=page)


def variant(uuid: str, color: str, size: str, **values: Any) -> dict[str, Any]:
    axes = [{"code": "color", "value": color}, {"code": "size", "value": size}]
    return {"uuid": uuid, "sku": f"SKU-{uuid}", "price": 19.9, "variation_axes_values": axes, **values}


def model(code: str, *variants: dict[str, Any], **targets: Any) -> MappedModel:
    axes = [{"code": "color", "label": [{"locale": "en_US", "value": "Color"}]}, {"code": "size", "label": []}]
    targets = {"title": f"Model {code}", "variation_axes": axes, **targets}
    return MappedModel(code=code, targets=targets, variants=variants)


def read_models(harness: Harness, tenant: str = "t1", catalog: str = "c1") -> dict[str, MappedModel]:
    assert harness.read_models is not None
    return harness.read_models(tenant, catalog)


def test_models_read_back_exactly_with_their_variants_in_order(harness: Harness) -> None:
    shirt = model("tshirt", variant("v2", "red", "L", name="Rouge ☕"), variant("v1", "red", "M"), brand="Akeneo")
    shoe = model("shoe", variant("v3", "black", "42", nested={"x": [1, None, True]}))

    result = harness.target.apply_models(batch(), [shirt, shoe])

    assert result.rejected == ()
    assert read_models(harness) == {"tshirt": shirt, "shoe": shoe}
    assert harness.read("t1", "c1") == {}  # models never show up as products


def test_re_sending_a_models_batch_leaves_the_same_state(harness: Harness) -> None:
    models = [model("tshirt", variant("v1", "red", "M"), variant("v2", "red", "L")), model("cap")]
    harness.target.apply_models(batch(), models, ["gone"], ["v9"])
    first = read_models(harness)

    result = harness.target.apply_models(batch(), models, ["gone"], ["v9"])

    assert result.rejected == ()
    assert result.rejected_variant_deletes == ()
    assert read_models(harness) == first == {"tshirt": models[0], "cap": models[1]}


def test_an_upsert_replaces_the_variant_set_so_a_removed_variant_disappears(harness: Harness) -> None:
    harness.target.apply_models(batch(1), [model("tshirt", variant("v1", "red", "M"), variant("v2", "red", "L"))])

    changed = model("tshirt", variant("v2", "blue", "L"), variant("v3", "blue", "XL"), title="New title")
    harness.target.apply_models(batch(2), [changed])

    assert read_models(harness) == {"tshirt": changed}


def test_a_variant_moved_to_another_model_leaves_its_old_model(harness: Harness) -> None:
    harness.target.apply_models(batch(1), [model("a", variant("v1", "red", "M"), variant("v2", "red", "L"))])

    harness.target.apply_models(batch(2), [model("b", variant("v2", "red", "L"))])

    stored = read_models(harness)
    assert [v["uuid"] for v in stored["a"].variants] == ["v1"]
    assert [v["uuid"] for v in stored["b"].variants] == ["v2"]


def test_a_model_delete_removes_the_model_and_its_variants(harness: Harness) -> None:
    two = [model("a", variant("v1", "red", "M")), model("b", variant("v2", "red", "L"))]
    harness.target.apply_models(batch(1), two)

    result = harness.target.apply_models(batch(2), [], ["a", "never-stored"])

    assert result.rejected == ()
    assert list(read_models(harness)) == ["b"]
    # The deleted model's variant is gone too: pushing it again under another model starts clean.
    harness.target.apply_models(batch(3), [model("c", variant("v1", "red", "M"))])
    assert sorted(read_models(harness)) == ["b", "c"]


def test_a_variant_delete_by_uuid_removes_only_that_variant(harness: Harness) -> None:
    harness.target.apply_models(batch(1), [model("a", variant("v1", "red", "M"), variant("v2", "red", "L"))])

    harness.target.apply_models(batch(2), [], [], ["v1", "never-stored"])

    assert [v["uuid"] for v in read_models(harness)["a"].variants] == ["v2"]


def test_an_invalid_variant_refuses_its_whole_model_and_keeps_the_old_set(harness: Harness) -> None:
    before = model("a", variant("v1", "red", "M"), variant("v2", "red", "L"))
    harness.target.apply_models(batch(1), [before])
    broken = model("a", variant("v1", "blue", "M"), {"sku": "no uuid"})
    fine = model("b", variant("v3", "red", "S"))

    result = harness.target.apply_models(batch(2), [broken, fine], [None], [""])  # type: ignore[list-item]

    assert [r.code for r in result.rejected] == ["a", ""]
    assert "variant #1 needs a non-empty string `uuid`" in result.rejected[0].reason
    assert result.rejected_variant_deletes == (Rejection("", "variant delete #0: uuid must be a non-empty string"),)
    assert read_models(harness) == {"a": before, "b": fine}


def test_two_models_claiming_one_variant_refuse_the_later(harness: Harness) -> None:
    first = model("a", variant("v1", "red", "M"))

    result = harness.target.apply_models(batch(), [first, model("b", variant("v1", "red", "M"))])

    assert result.rejected == (ModelRejection("b", "model #1: variant v1 also belongs to model 'a' in this batch"),)
    assert read_models(harness) == {"a": first}


def test_models_of_other_catalogs_and_tenants_are_untouched(harness: Harness) -> None:
    mine = model("a", variant("v1", "red", "M"))
    harness.target.apply_models(batch(catalog="c2"), [mine])
    harness.target.apply_models(batch(tenant="t2"), [mine])

    harness.target.apply_models(batch(), [], ["a"], ["v1"])

    assert read_models(harness, catalog="c2") == {"a": mine}
    assert read_models(harness, tenant="t2") == {"a": mine}
