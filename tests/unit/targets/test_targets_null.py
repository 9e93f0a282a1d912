"""The null target counts what it is given and keeps nothing."""

from __future__ import annotations

from akeneo_sync.targets.base import BatchContext, Target
from akeneo_sync.targets.null import NullTarget


def test_the_null_target_counts_batches_upserts_and_deletes_and_rejects_nothing() -> None:
    target: Target = NullTarget()
    batch = BatchContext("t1", "c1", "run-1", 1)

    first = target.apply(batch, [{"uuid": "u1"}, {"uuid": "u2"}], ["u3"])
    second = target.apply(batch, [{"no": "uuid"}], [])

    assert first.rejected == second.rejected == ()
    assert isinstance(target, NullTarget)
    assert (target.batches, target.upserted, target.deleted) == (2, 3, 1)


def test_models_batches_are_counted_and_never_rejected() -> None:
    from akeneo_sync.akeneo.types import MappedModel
    from akeneo_sync.targets.base import BatchContext, ModelBatchResult
    from akeneo_sync.targets.null import NullTarget

    target = NullTarget()
    shirt = MappedModel("tshirt", {"title": "Tee"}, ({"uuid": "v1"}, {"uuid": "v2"}))

    result = target.apply_models(BatchContext("t1", "c1", "r1", 1), [shirt], ["old"], ["v0"])

    assert result == ModelBatchResult()
    assert (target.batches, target.models_upserted, target.variants_upserted) == (1, 1, 2)
    assert (target.models_deleted, target.variants_deleted) == (1, 1)
