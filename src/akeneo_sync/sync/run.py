"""The state of one run while the engine drives it, and how it is told to stop between pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from akeneo_sync.state import Checkpoint, Slot
from akeneo_sync.sync.drift import DriftProbe
from akeneo_sync.sync.summary import Outcome

__all__ = ["ActiveRun", "RunControl", "StopRun"]


def _never() -> bool:
    return False


def _always() -> bool:
    return True


@dataclass(frozen=True, slots=True)
class RunControl:
    """Checked between pages: `should_stop` (SIGTERM) ends the run cleanly; a False `heartbeat`
    (the catalog lock was lost) aborts it."""

    should_stop: Callable[[], bool] = _never
    heartbeat: Callable[[], bool] = _always


@dataclass(slots=True)
class ActiveRun:
    """The mutable state of the run being driven (inside the engine and its run modules)."""

    catalog: str
    slot: Slot
    checkpoint: Checkpoint
    control: RunControl
    pages_fetched: int = 0
    # The dates sampled to plan this run's windows and the bound probes sent (not checkpointed:
    # a resumed run samples again when it cuts a window).
    plan_sample: tuple[int, ...] | None = None
    plan_probes: int = 0
    # An incremental run probes for drift before it pages (drift.py), and may ask for a refresh.
    probe: DriftProbe | None = None
    refresh: str | None = None


class StopRun(Exception):  # noqa: N818 -- control flow between pages, never leaves the engine
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome
