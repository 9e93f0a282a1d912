"""The HTTP target's wire format for product models (the README's "HTTP target's wire format").

A models batch is the products body with three more keys, its product lists empty:
`{"tenant", "catalog", "run", "upserts": [], "deletes": [], "models": [{"code", …targets,
"variants": [{"uuid", …targets, "variation_axes_values"}]}], "model_deletes": [code],
"variant_deletes": [uuid]}`. A model's `variants` is its complete set: the platform replaces
the set it holds. A 207 names refused models by `code` and refused variant deletes by `uuid`.
"""

from __future__ import annotations

import json

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from akeneo_sync.logging import get_logger
from akeneo_sync.targets.base import BatchContext, ModelBatchResult, ModelRejection, Rejection
from akeneo_sync.targets.encoding import trim
from akeneo_sync.targets.model_encoding import EncodedModelBatch

__all__ = ["RejectedModelItem", "RejectedModelItems", "model_rejections", "models_body"]

log = get_logger(__name__)


class RejectedModelItem(BaseModel):
    """One model (by `code`) or variant delete (by `uuid`) a platform refused in a 207 answer."""

    model_config = ConfigDict(frozen=True)

    code: str | None = None
    uuid: str | None = None
    reason: str


class RejectedModelItems(BaseModel):
    """A 207 answer's body to a models batch: what was not applied (everything else was)."""

    model_config = ConfigDict(frozen=True)

    rejected: list[RejectedModelItem]


def models_body(batch: BatchContext, encoded: EncodedModelBatch) -> bytes:
    """The batch's JSON body, models spliced in from their stored texts."""
    head = json.dumps({"tenant": batch.tenant, "catalog": batch.catalog, "run": batch.run_id}, ensure_ascii=False)
    models = ",".join(model.wire() for model in encoded.models)
    model_deletes = json.dumps(list(encoded.model_deletes), ensure_ascii=False)
    variant_deletes = json.dumps(list(encoded.variant_deletes), ensure_ascii=False)
    tail = f'"models":[{models}],"model_deletes":{model_deletes},"variant_deletes":{variant_deletes}'
    return f'{head[:-1]},"upserts":[],"deletes":[],{tail}}}'.encode()


def model_rejections(response: httpx.Response, encoded: EncodedModelBatch) -> ModelBatchResult:
    """What the platform's answer refused, added to what was refused before sending."""
    status = response.status_code
    refused = ModelBatchResult()
    if status == 207:
        try:
            answer = RejectedModelItems.model_validate_json(response.content)
        except ValidationError as exc:
            reason = f"HTTP 207 with an unreadable body ({exc.error_count()} error(s)): {trim(response.text, 200)}"
            refused = _refuse_all(encoded, reason)
        else:
            refused = _named(answer, encoded)
    elif not 200 <= status < 300:
        refused = _refuse_all(encoded, f"HTTP {status}: {trim(response.text, 200)}")
    return ModelBatchResult(
        rejected=encoded.rejected + refused.rejected,
        rejected_variant_deletes=encoded.rejected_variant_deletes + refused.rejected_variant_deletes,
    )


def _named(answer: RejectedModelItems, encoded: EncodedModelBatch) -> ModelBatchResult:
    codes = {m.code for m in encoded.models} | set(encoded.model_deletes)
    uuids = set(encoded.variant_deletes)
    models: list[ModelRejection] = []
    variants: list[Rejection] = []
    unknown: list[str] = []
    for item in answer.rejected:
        if item.code is not None and item.code in codes:
            models.append(ModelRejection(item.code, trim(item.reason)))
        elif item.code is None and item.uuid is not None and item.uuid in uuids:
            variants.append(Rejection(item.uuid, trim(item.reason)))
        else:
            unknown.append(item.code if item.code is not None else str(item.uuid))
    if unknown:
        log.warning("target_rejected_unknown_models", count=len(unknown), sample=unknown[:5])
    return ModelBatchResult(rejected=tuple(models), rejected_variant_deletes=tuple(variants))


def _refuse_all(encoded: EncodedModelBatch, reason: str) -> ModelBatchResult:
    codes = dict.fromkeys([m.code for m in encoded.models] + list(encoded.model_deletes))
    return ModelBatchResult(
        rejected=tuple(ModelRejection(code, reason) for code in codes),
        rejected_variant_deletes=tuple(Rejection(uuid, reason) for uuid in encoded.variant_deletes),
    )
