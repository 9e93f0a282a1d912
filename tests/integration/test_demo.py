"""The demo (the README's main job) runs the whole product and checks the target exactly."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from akeneo_sync.demo import DemoOptions, _report, run_demo
from akeneo_sync.demo_variants import NEW_MODEL, VariantsOutcome, _report_variants

pytestmark = pytest.mark.integration


def test_the_demo_syncs_the_enabled_catalog_exactly_and_says_where_the_database_is(tmp_path: Path) -> None:
    out = io.StringIO()
    database = tmp_path / "demo.db"

    status = run_demo(DemoOptions(products=1_500, database=database, threads=2), out=out)

    text = out.getvalue()
    assert status == 0, text
    assert "OK: the target holds exactly the" in text
    assert str(database) in text
    assert database.exists()


def test_the_demo_report_fails_on_a_missing_stale_or_extra_product(tmp_path: Path) -> None:
    expected = {"a": {"uuid": "a", "name": "A"}, "b": {"uuid": "b", "name": "B"}}
    actual = {"a": {"uuid": "a", "name": "old"}, "c": {"uuid": "c"}}
    out = io.StringIO()

    status = _report(out, expected, actual, letters=0, total=2, full_s=1.0, database=tmp_path / "x.db")

    assert status == 1
    assert "MISMATCH: 1 missing, 1 stale, 1 extra downstream" in out.getvalue()


def test_the_variants_demo_syncs_models_with_their_variants_and_follows_the_pim_s_changes(tmp_path: Path) -> None:
    out = io.StringIO()
    database = tmp_path / "variants.db"

    status = run_demo(DemoOptions(products=200, models=60, variants=True, database=database, threads=2), out=out)

    text = out.getvalue()
    assert status == 0, text
    # The catalog after the incremental run: 60 seeded models, one deleted, one added.
    assert "OK: the target holds exactly the 60 models (each with its whole variant set)" in text
    assert f"model {NEW_MODEL} is added" in text
    assert str(database) in text
    assert database.exists()


def test_the_variants_demo_report_fails_on_a_model_with_a_stale_variant_set(tmp_path: Path) -> None:
    model = {"code": "m", "variants": [{"uuid": "v1"}, {"uuid": "v2"}]}
    outcome = VariantsOutcome(
        expected_models={"m": model},
        actual_models={"m": {**model, "variants": [{"uuid": "v1"}]}},
        expected_products={"p": {"uuid": "p"}},
        actual_products={"p": {"uuid": "p"}},
        letters=0,
        full_s=1.0,
        full_models=1,
        full_variants=2,
        full_products=1,
    )
    out = io.StringIO()

    status = _report_variants(out, outcome, database=tmp_path / "x.db")

    assert status == 1
    assert "MISMATCH: models: 0 missing, 1 stale, 0 extra downstream" in out.getvalue()
