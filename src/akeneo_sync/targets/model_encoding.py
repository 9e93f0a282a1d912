"""Checking and serializing a models batch once, the same way for every target.

A model is stored whole or not at all: a model whose code, targets or any variant cannot be
stored is refused as one `ModelRejection`, and the target keeps the variant set it had. The
checks are the product ones (`encoding`): strict JSON, a string `uuid` per variant, a size limit,
here on the model and all its variants together.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from akeneo_sync.akeneo.types import VARIANTS_KEY, MappedModel
from akeneo_sync.targets.base import ModelRejection, Rejection
from akeneo_sync.targets.encoding import DEFAULT_MAX_BODY_BYTES, trim

__all__ = ["EncodedModel", "EncodedModelBatch", "EncodedVariant", "encode_models"]


@dataclass(frozen=True, slots=True)
class EncodedVariant:
    """A variant ready to store: its uuid and its compact JSON text."""

    uuid: str
    body: str


@dataclass(frozen=True, slots=True)
class EncodedModel:
    """A model ready to store: its code, its model-level targets as JSON text, and every variant."""

    code: str
    body: str
    variants: tuple[EncodedVariant, ...]

    def wire(self) -> str:
        """The model as one JSON object (`code`, targets, `variants: [...]`), spliced from the stored texts."""
        targets = self.body[1:-1]
        head = '{"code":' + json.dumps(self.code, ensure_ascii=False) + ("," + targets if targets else "")
        return head + ',"variants":[' + ",".join(v.body for v in self.variants) + "]}"


@dataclass(frozen=True, slots=True)
class EncodedModelBatch:
    """The storable part of a models batch, in order, plus what was refused before reaching the target."""

    models: tuple[EncodedModel, ...]
    model_deletes: tuple[str, ...]
    variant_deletes: tuple[str, ...]
    rejected: tuple[ModelRejection, ...]
    rejected_variant_deletes: tuple[Rejection, ...]


class _Refused(Exception):  # noqa: N818 -- local control flow, never leaves this module
    pass


def encode_models(
    models: Sequence[Any],
    model_deletes: Sequence[Any] = (),
    variant_deletes: Sequence[Any] = (),
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> EncodedModelBatch:
    """Serialize models and check deletes; a code upserted twice keeps its last version."""
    rejected: list[ModelRejection] = []
    by_code: dict[str, EncodedModel] = {}
    owner: dict[str, str] = {}  # variant uuid -> code of the model that carries it in this batch
    for index, model in enumerate(models):
        code = _code_of(model)
        try:
            encoded = _encode_model(model, max_body_bytes)
        except _Refused as refused:
            rejected.append(ModelRejection(code=code, reason=trim(f"model #{index}: {refused}")))
            continue
        previous = by_code.pop(encoded.code, None)
        if previous is not None:
            for variant in previous.variants:
                owner.pop(variant.uuid, None)
        # Two models claiming one variant would leave the first with part of its set: refuse the later.
        stolen = next((v.uuid for v in encoded.variants if v.uuid in owner), None)
        if stolen is not None:
            reason = f"model #{index}: variant {stolen} also belongs to model {owner[stolen]!r} in this batch"
            rejected.append(ModelRejection(code=code, reason=trim(reason)))
            continue
        for variant in encoded.variants:
            owner[variant.uuid] = encoded.code
        by_code[encoded.code] = encoded
    kept_model_deletes: dict[str, None] = {}
    for index, code in enumerate(model_deletes):
        if isinstance(code, str) and code:
            kept_model_deletes[code] = None
        else:
            reason = f"model delete #{index}: code must be a non-empty string"
            rejected.append(ModelRejection(code=_as_text(code), reason=reason))
    kept_variant_deletes: dict[str, None] = {}
    refused_variant_deletes: list[Rejection] = []
    for index, uuid in enumerate(variant_deletes):
        if isinstance(uuid, str) and uuid:
            kept_variant_deletes[uuid] = None
        else:
            reason = f"variant delete #{index}: uuid must be a non-empty string"
            refused_variant_deletes.append(Rejection(uuid=_as_text(uuid), reason=reason))
    return EncodedModelBatch(
        models=tuple(by_code.values()),
        model_deletes=tuple(kept_model_deletes),
        variant_deletes=tuple(kept_variant_deletes),
        rejected=tuple(rejected),
        rejected_variant_deletes=tuple(refused_variant_deletes),
    )


def _encode_model(model: Any, max_body_bytes: int) -> EncodedModel:
    if not isinstance(model, MappedModel):
        raise _Refused(f"a model must be a MappedModel, got {type(model).__name__}")
    if not isinstance(model.code, str) or not model.code:
        raise _Refused("a model needs a non-empty string `code`")
    targets = getattr(model.targets, "items", None)
    if targets is None:
        raise _Refused("a model's targets must be a JSON object")
    body, size = _dumps({key: value for key, value in targets() if key not in ("code", VARIANTS_KEY)})
    variants: list[EncodedVariant] = []
    seen: set[str] = set()
    for position, variant in enumerate(model.variants):
        if not isinstance(variant, dict):
            raise _Refused(f"variant #{position} must be a JSON object, got {type(variant).__name__}")
        uuid = variant.get("uuid")
        if not isinstance(uuid, str) or not uuid:
            raise _Refused(f"variant #{position} needs a non-empty string `uuid`")
        if uuid in seen:
            raise _Refused(f"variant {uuid} appears twice in the model")
        seen.add(uuid)
        text, variant_size = _dumps(variant, f"variant {uuid}: ")
        size += variant_size
        variants.append(EncodedVariant(uuid=uuid, body=text))
    if size > max_body_bytes:
        raise _Refused(f"the model and its variants are {size} bytes, over the {max_body_bytes}-byte limit")
    return EncodedModel(code=model.code, body=body, variants=tuple(variants))


def _dumps(value: Any, what: str = "") -> tuple[str, int]:
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text, len(text.encode("utf-8"))
    except (TypeError, ValueError, RecursionError) as exc:
        # As for products: no JSON type, NaN/Infinity, or a lone surrogate no UTF-8 store accepts
        # (UnicodeEncodeError, a ValueError, from the size's encode()).
        raise _Refused(f"{what}not serializable as JSON: {exc}") from exc


def _code_of(model: Any) -> str:
    code = getattr(model, "code", None)
    return _as_text(code)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return trim(value if isinstance(value, str) else repr(value), 100)
