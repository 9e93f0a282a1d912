"""The HTTP target's models batches against a real platform server on loopback: body, key, 207, failures."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable

import pytest

from akeneo_sync.akeneo.types import MappedModel
from akeneo_sync.errors import TargetUnavailableError
from akeneo_sync.targets.base import BatchContext, ModelRejection, Rejection
from akeneo_sync.targets.http import HttpTarget
from target_platform import Platform, ScriptedAnswer

pytestmark = pytest.mark.integration

Build = Callable[..., HttpTarget]
BATCH = BatchContext(tenant="t1", catalog="c1", run_id="run-42", page=3)
AXES = [{"code": "size", "label": "Size", "value": "m"}]
SHIRT = MappedModel(
    code="tshirt",
    targets={"title": "Tee ☕", "variation_axes": [{"code": "size"}]},
    variants=({"uuid": "v1", "variation_axes_values": AXES}, {"uuid": "v2", "variation_axes_values": AXES}),
)


def test_a_models_batch_is_the_readme_wire_format_under_its_own_key(
    platform: Platform, http_target_factory: Build
) -> None:
    result = http_target_factory().apply_models(BATCH, [SHIRT], ["old"], ["v0"])

    assert result.rejected == ()
    [request] = platform.requests
    assert json.loads(request.body) == {
        "tenant": "t1",
        "catalog": "c1",
        "run": "run-42",
        "upserts": [],
        "deletes": [],
        "models": [
            {
                "code": "tshirt",
                "title": "Tee ☕",
                "variation_axes": [{"code": "size"}],
                "variants": [
                    {"uuid": "v1", "variation_axes_values": AXES},
                    {"uuid": "v2", "variation_axes_values": AXES},
                ],
            }
        ],
        "model_deletes": ["old"],
        "variant_deletes": ["v0"],
    }
    # Never the key of products page 3 of the same run, which the platform would drop as a duplicate.
    assert request.headers["idempotency-key"] == "run-42:models:3"
    expected = hmac.new(Platform.SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-akeneo-sync-signature"] == f"sha256={expected}"
    assert platform.models("t1", "c1") == {"tshirt": SHIRT}


def test_a_207_names_refused_models_by_code_and_variant_deletes_by_uuid(
    platform: Platform, http_target_factory: Build
) -> None:
    answer = {
        "rejected": [
            {"code": "tshirt", "reason": "no such family"},
            {"uuid": "v0", "reason": "locked"},
            {"code": "never-sent", "reason": "ignored"},
        ]
    }
    platform.script.append(ScriptedAnswer(207, json.dumps(answer).encode()))

    result = http_target_factory().apply_models(BATCH, [SHIRT], [], ["v0"])

    assert result.rejected == (ModelRejection("tshirt", "no such family"),)
    assert result.rejected_variant_deletes == (Rejection("v0", "locked"),)


def test_a_4xx_refuses_every_model_and_delete_of_the_batch(platform: Platform, http_target_factory: Build) -> None:
    platform.script.append(ScriptedAnswer(400, b'{"error": "models unsupported"}'))

    result = http_target_factory().apply_models(BATCH, [SHIRT], ["old"], ["v0"])

    assert [r.code for r in result.rejected] == ["tshirt", "old"]
    assert all(r.reason.startswith("HTTP 400: ") for r in result.rejected)
    assert [r.uuid for r in result.rejected_variant_deletes] == ["v0"]


def test_a_platform_that_stays_down_makes_a_models_batch_unavailable(
    platform: Platform, http_target_factory: Build
) -> None:
    platform.script.extend(ScriptedAnswer(503) for _ in range(2))

    with pytest.raises(TargetUnavailableError, match="after 2 attempt"):
        http_target_factory(max_attempts=2).apply_models(BATCH, [SHIRT])
    assert len(platform.requests) == 2
    assert {r.headers["idempotency-key"] for r in platform.requests} == {"run-42:models:3"}


def test_a_batch_with_nothing_storable_sends_nothing(platform: Platform, http_target_factory: Build) -> None:
    result = http_target_factory().apply_models(BATCH, [MappedModel("", {})])

    assert [r.code for r in result.rejected] == [""]
    assert platform.requests == []
