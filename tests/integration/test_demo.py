"""The demo (the README's main job) runs the whole product and checks the target exactly."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from akeneo_sync.demo import DemoOptions, _report, run_demo

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
