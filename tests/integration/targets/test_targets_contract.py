"""The `Target` contract, run against every real target: SQLite file, PostgreSQL, HTTP platform."""

from __future__ import annotations

import math
from typing import Any

import pytest
from prometheus_client import REGISTRY

from akeneo_sync.targets.base import BatchContext
from target_platform import Harness

pytestmark = pytest.mark.integration


def batch(page: int = 1, tenant: str = "t1", catalog: str = "c1", run: str = "run-1") -> BatchContext:
    return BatchContext(tenant=tenant, catalog=catalog, run_id=run, page=page)


def product(uuid: str, **values: Any) -> dict[str, Any]:
    return {"uuid": uuid, "name": f"Product {uuid}", "price": 12.5, "tags": ["a", "b"], **values}


def test_upserted_products_read_back_exactly(harness: Harness) -> None:
    products = [product(f"u{i}", description="Crème brûlée ☕", nested={"x": [1, None, True]}) for i in range(5)]

    result = harness.target.apply(batch(), products, [])

    assert result.rejected == ()
    assert harness.read("t1", "c1") == {p["uuid"]: p for p in products}


def test_applying_the_same_batch_twice_leaves_the_same_state(harness: Harness) -> None:
    products = [product("u1"), product("u2")]
    harness.target.apply(batch(), products, ["u9"])
    first = harness.read("t1", "c1")

    result = harness.target.apply(batch(), products, ["u9"])

    assert result.rejected == ()
    assert harness.read("t1", "c1") == first == {"u1": products[0], "u2": products[1]}


def test_an_upsert_replaces_the_whole_stored_product(harness: Harness) -> None:
    harness.target.apply(batch(1), [product("u1", color="red", size="L")], [])

    harness.target.apply(batch(2), [{"uuid": "u1", "color": "blue"}], [])

    assert harness.read("t1", "c1") == {"u1": {"uuid": "u1", "color": "blue"}}


def test_delete_removes_and_deleting_an_unknown_uuid_is_fine(harness: Harness) -> None:
    harness.target.apply(batch(1), [product("u1"), product("u2")], [])

    result = harness.target.apply(batch(2), [], ["u1", "never-stored"])

    assert result.rejected == ()
    assert set(harness.read("t1", "c1")) == {"u2"}


def test_upserts_apply_before_deletes_within_one_batch(harness: Harness) -> None:
    result = harness.target.apply(batch(), [product("u1"), product("u2")], ["u1"])

    assert result.rejected == ()
    assert set(harness.read("t1", "c1")) == {"u2"}


def test_the_last_of_two_upserts_of_one_uuid_in_a_batch_wins(harness: Harness) -> None:
    harness.target.apply(batch(), [product("u1", v=1), product("u1", v=2)], [])

    assert harness.read("t1", "c1")["u1"]["v"] == 2


@pytest.mark.parametrize(
    ("bad", "reason_part"),
    [
        ({"name": "no uuid"}, "uuid"),
        ({"uuid": 42, "name": "numeric uuid"}, "uuid"),
        ({"uuid": "", "name": "empty uuid"}, "uuid"),
        ({"uuid": "bad-set", "tags": {"a", "b"}}, "JSON"),
        ({"uuid": "bad-nan", "price": math.nan}, "JSON"),
        ({"uuid": "bad-surrogate", "name": "\ud800"}, "JSON"),
        ({"uuid": "bad-big", "blob": "x" * 5000}, "limit"),
        (["not", "an", "object"], "JSON object"),
    ],
    ids=["missing-uuid", "numeric-uuid", "empty-uuid", "set", "nan", "lone-surrogate", "too-big", "list"],
)
def test_an_invalid_item_is_rejected_with_a_reason_and_the_rest_applies(
    harness: Harness, bad: Any, reason_part: str
) -> None:
    good = [product("u1"), product("u2")]

    result = harness.target.apply(batch(), [good[0], bad, good[1]], ["u-old"])

    assert len(result.rejected) == 1
    assert reason_part in result.rejected[0].reason
    assert "#1" in result.rejected[0].reason, "the reason points at the item's place in the batch"
    assert harness.read("t1", "c1") == {"u1": good[0], "u2": good[1]}


def test_a_rejection_names_the_uuid_when_the_item_has_one(harness: Harness) -> None:
    result = harness.target.apply(batch(), [{"uuid": "bad-nan", "price": math.inf}], [])

    assert [r.uuid for r in result.rejected] == ["bad-nan"]


def test_a_non_string_delete_is_rejected_and_the_others_apply(harness: Harness) -> None:
    harness.target.apply(batch(1), [product("u1"), product("u2")], [])

    result = harness.target.apply(batch(2), [], ["u1", 7])  # type: ignore[list-item]

    assert [(r.uuid, "delete #1" in r.reason) for r in result.rejected] == [("7", True)]
    assert set(harness.read("t1", "c1")) == {"u2"}


def test_tenants_and_catalogs_are_isolated(harness: Harness) -> None:
    for tenant, catalog in [("t1", "c1"), ("t1", "c2"), ("t2", "c1")]:
        harness.target.apply(batch(tenant=tenant, catalog=catalog), [product("same", owner=f"{tenant}/{catalog}")], [])

    harness.target.apply(batch(2, tenant="t1", catalog="c1"), [], ["same"])

    assert harness.read("t1", "c1") == {}
    assert harness.read("t1", "c2")["same"]["owner"] == "t1/c2"
    assert harness.read("t2", "c1")["same"]["owner"] == "t2/c1"


def test_an_empty_batch_changes_nothing(harness: Harness) -> None:
    harness.target.apply(batch(1), [product("u1")], [])

    result = harness.target.apply(batch(2), [], [])

    assert result.rejected == ()
    assert set(harness.read("t1", "c1")) == {"u1"}


def test_every_apply_is_timed_under_the_target_kind(harness: Harness) -> None:
    kind = harness.target.kind
    before = REGISTRY.get_sample_value("akeneo_sync_target_push_duration_seconds_count", {"target": kind}) or 0.0

    harness.target.apply(batch(1), [product("u1")], [])
    harness.target.apply(batch(2), [], ["u1"])

    after = REGISTRY.get_sample_value("akeneo_sync_target_push_duration_seconds_count", {"target": kind})
    assert after == before + 2
