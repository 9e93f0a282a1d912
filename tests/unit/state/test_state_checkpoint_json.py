"""A checkpoint's JSON carries every field, as `dataclasses.asdict` would write it, and reads back."""

from __future__ import annotations

import dataclasses
import json

from akeneo_sync.state import Checkpoint, Counters, Window
from akeneo_sync.state.checkpoints import Phase, RunMode


def _checkpoint() -> Checkpoint:
    return Checkpoint(
        run_id="r1",
        mode=RunMode.FULL,
        phase=Phase.PAGES,
        started_at=1_700_000_000.25,
        next_url=None,
        pages=12,
        batch=3,
        counters=Counters(upserted=5, skipped=4, deleted=2, failed=1),
        updated_after=1_699_999_000.5,
        pending_fingerprint="fp",
        pending_window=1,
        pending_deletes=("a", "b"),
        windows=(
            Window(lo=None, hi=100, next_url="http://pim/x?search_after=u", started=True, planned=7),
            Window(lo=100, hi=None, done=True, tail=True),
        ),
        bounds_inclusive=True,
    )


def test_every_field_of_a_checkpoint_and_its_windows_is_written() -> None:
    checkpoint = _checkpoint()
    # The reference is the dataclass itself: a field added to either class and not to `to_json`
    # fails here instead of being lost at the next resume.
    expected = dataclasses.asdict(checkpoint)
    expected["pending_deletes"] = list(checkpoint.pending_deletes)
    expected["windows"] = [dataclasses.asdict(w) for w in checkpoint.windows]

    assert checkpoint.to_json() == json.dumps(expected, separators=(",", ":"))


def test_a_checkpoint_reads_back_as_written() -> None:
    checkpoint = _checkpoint()

    assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint
