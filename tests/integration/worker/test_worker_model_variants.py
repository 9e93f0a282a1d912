"""A new variant under a sub-model costs a refresh within the same job; under a root model it does not.

A variant's `parent` is its direct parent: for a two-level family variant (tshirts: color, then
size) that is a sub-model, which the target does not hold, and the catalogs API serves no
sub-model's root. The incremental run counts such a variant as an orphan and asks for a refresh,
which `run_catalog_sync` runs at once under the same lock: one `sync_catalog` job still ends with
the model and its new variant downstream. A variant of a one-level model names its root, which
the incremental places by itself.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from test_worker_models import MODELS_SCHEMA, expected_models, stored_models
from worker_stack import Stack, running_stack

from akeneo_sync.settings import CatalogSpec
from akeneo_sync.state import RunMode
from akeneo_sync.sync.summary import RunSummary
from akeneo_sync.worker import jobs

pytestmark = pytest.mark.integration

TEE, BOOT = "zz_tee", "zz_boot"


@pytest.fixture
def stack(redis_client: redis.Redis, tmp_path: Path) -> Iterator[Stack]:
    catalogs = (CatalogSpec(name="Store EU", mapping_schema=MODELS_SCHEMA),)
    # No overlap: the models made before the first sync are outside the incremental's window, so
    # only the new variants' dates bring them into it.
    with running_stack(
        redis_client, tmp_path, products=30, models=20, catalogs=catalogs, watermark_overlap_s=0
    ) as running:
        # Made before the first sync, so the target holds both models when the new variants come.
        running.admin(
            "POST", "/_emulator/models", json=_model(TEE, "tshirts", [tshirt("black", "s"), tshirt("white", "m")])
        )
        running.admin("POST", "/_emulator/models", json=_model(BOOT, "shoes", [shoe("40"), shoe("41")]))
        yield running


def _model(code: str, family: str, variants: list[dict[str, Any]]) -> dict[str, Any]:
    return {"code": code, "family": family, "values": {"name": code}, "variants": variants}


def tshirt(color: str, size: str) -> dict[str, Any]:
    return {"axes": {"color": color, "size": size}, "values": {"sku": f"TEE-{color}-{size}"}}


def shoe(size: str) -> dict[str, Any]:
    return {"axes": {"size": size}, "values": {"sku": f"BOOT-{size}"}}


def enable(stack: Stack) -> str:
    """The first (full) sync, then a wait into the next whole second: a variant made from now on
    is dated (in whole seconds) after the watermark."""
    catalog = stack.activate_and_enable()
    record = stack.runtime.state.catalogs.get(stack.tenant, catalog)
    assert record is not None
    assert record.watermark is not None
    time.sleep(max(0.0, math.floor(record.watermark) + 1 - time.time()))
    return catalog


def one_incremental_job(stack: Stack, catalog: str) -> list[RunSummary]:
    """One `sync_catalog(incremental)` job, as the actor runs it: every run it made under the lock."""
    with jobs.tenant_session(stack.runtime, stack.tenant) as tenant:
        assert tenant is not None
        result = jobs.sync_catalog_locked(stack.runtime, tenant, catalog, RunMode.INCREMENTAL)
    assert all(summary.is_success for summary in result.summaries), result
    return list(result.summaries)


def variants_requests(stack: Stack) -> int:
    """Requests for a model's variants since the emulator's stats were reset."""
    by_endpoint: dict[str, int] = stack.admin("GET", "/_emulator/stats")["by_endpoint"]
    return sum(count for route, count in by_endpoint.items() if route.endswith("/variants"))


def skus(stack: Stack, catalog: str, code: str) -> list[str]:
    return sorted(variant["sku"] for variant in stored_models(stack, catalog)[code]["variants"])


def test_a_new_variant_under_a_sub_model_reaches_the_target_within_one_job_through_a_refresh(stack: Stack) -> None:
    catalog = enable(stack)
    assert skus(stack, catalog, TEE) == ["TEE-black-s", "TEE-white-m"]
    # Under the existing sub-model zz_tee_black, and under a sub-model the edit creates.
    made = [
        stack.admin("POST", f"/_emulator/models/{TEE}/variants", json=variant)["variants_created"][0]
        for variant in (tshirt("black", "xl"), tshirt("red", "s"))
    ]
    assert made[0] in stack.admin("GET", f"/_emulator/models/{TEE}_black")["variants"]
    assert stack.admin("GET", f"/_emulator/models/{TEE}_red")["variants"] == [made[1]]

    stack.admin("POST", "/_emulator/stats/reset")
    runs = one_incremental_job(stack, catalog)

    assert [(run.mode, run.refresh) for run in runs] == [(RunMode.INCREMENTAL, "drift"), (RunMode.FULL, None)]
    assert runs[0].counters.upserted == 0  # the incremental could not place them
    assert skus(stack, catalog, TEE) == ["TEE-black-s", "TEE-black-xl", "TEE-red-s", "TEE-white-m"]
    assert stored_models(stack, catalog) == expected_models(stack, catalog)
    # The cost: the refresh reads the whole catalog, every model's variants included, to push
    # only the model whose variant set changed.
    assert runs[1].counters.upserted == 1
    assert variants_requests(stack) == len(expected_models(stack, catalog)) > 20


def test_a_new_variant_under_a_root_model_is_placed_by_the_incremental_alone(stack: Stack) -> None:
    catalog = enable(stack)
    made = stack.admin("POST", f"/_emulator/models/{BOOT}/variants", json=shoe("42"))["variants_created"]
    boot = stack.admin("GET", f"/_emulator/models/{BOOT}")
    assert boot["parent"] is None  # a root, which the variant's `parent` names
    assert made[0] in boot["variants"]

    stack.admin("POST", "/_emulator/stats/reset")
    runs = one_incremental_job(stack, catalog)

    assert [(run.mode, run.refresh) for run in runs] == [(RunMode.INCREMENTAL, None)]
    assert skus(stack, catalog, BOOT) == ["BOOT-40", "BOOT-41", "BOOT-42"]
    assert stored_models(stack, catalog) == expected_models(stack, catalog)
    assert runs[0].counters.upserted == 1
    assert variants_requests(stack) == 1
