"""Run checkpoints: where an interrupted run resumes.

A catalog has two checkpoint slots: `sync` (the running full or incremental run) and `reconcile`.
A checkpoint is one JSON string, written in the same transaction as the page's digests, so after
a crash the digests and the resume point always agree. It carries the batch number still in flight
(`pending_*`) so a page re-sent after a crash reuses its idempotency key only when the batch is the
same one.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any, Final

import redis

from akeneo_sync.errors import StateError
from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.keys import Keys
from akeneo_sync.state.transaction import Transaction

__all__ = ["CHECKPOINT_TTL_S", "Checkpoint", "CheckpointStore", "Counters", "Phase", "RunMode", "Slot", "Window"]

# A checkpoint older than this is abandoned: a fresh full run is cheaper than trusting it.
CHECKPOINT_TTL_S: Final = 7 * 24 * 3600


class RunMode(StrEnum):
    """What a run does."""

    FULL = "full"
    INCREMENTAL = "incremental"
    RECONCILE = "reconcile"
    UUIDS = "uuids"


class Phase(StrEnum):
    """Where a run stands: paging the PIM, deleting what was not seen, or recording the end."""

    PAGES = "pages"
    # Catalogs in variants mode: the product models, each with its variants, after the products.
    MODELS = "models"
    DIFF = "diff"
    FINISH = "finish"


class Slot(StrEnum):
    """Which checkpoint a run uses: full and incremental share one, reconcile has its own."""

    SYNC = "sync"
    RECONCILE = "reconcile"

    @classmethod
    def for_mode(cls, mode: RunMode) -> Slot:
        """The slot runs of `mode` checkpoint into."""
        return cls.RECONCILE if mode is RunMode.RECONCILE else cls.SYNC


@dataclass(frozen=True, slots=True)
class Counters:
    """Products handled by a run, per action."""

    upserted: int = 0
    skipped: int = 0
    deleted: int = 0
    failed: int = 0

    def add(self, other: Counters) -> Counters:
        """The sum of two counters."""
        return Counters(
            self.upserted + other.upserted,
            self.skipped + other.skipped,
            self.deleted + other.deleted,
            self.failed + other.failed,
        )

    def as_dict(self) -> dict[str, int]:
        """The counters by action name."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Window:
    """One cursor of a windowed full run: the products whose `updated` second is in [lo, hi).

    None is unbounded. `next_url` is the next page to fetch (None and not `started`: the first
    page); `done` once its last page is pushed. `tail` is the window after the run's start, paged
    only once every other window is fetched, so a product edited during the run (which moves to
    it) is always seen by some cursor. `planned` is the count the plan saw, to page big ones first.
    """

    lo: int | None
    hi: int | None
    next_url: str | None = None
    started: bool = False
    done: bool = False
    tail: bool = False
    planned: int = 0

    def evolve(self, **changes: Any) -> Window:
        """A copy with `changes` applied."""
        return replace(self, **changes)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Window:
        """Parse a stored window (raises on a malformed one; the caller wraps it)."""
        return cls(
            lo=None if data.get("lo") is None else int(data["lo"]),
            hi=None if data.get("hi") is None else int(data["hi"]),
            next_url=data.get("next_url"),
            started=bool(data.get("started", False)),
            done=bool(data.get("done", False)),
            tail=bool(data.get("tail", False)),
            planned=int(data.get("planned", 0)),
        )


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The resume point of a run.

    `batch` is the number the next batch pushed to the target will carry (its idempotency key is
    `run_id:batch`); `pending_fingerprint` / `pending_deletes` describe the batch that was being
    pushed under that number when the run stopped, if any.
    """

    run_id: str
    mode: RunMode
    phase: Phase
    started_at: float
    next_url: str | None = None
    pages: int = 0
    batch: int = 0
    counters: Counters = field(default_factory=Counters)
    updated_after: float | None = None
    pending_fingerprint: str | None = None
    # The window whose page that batch came from (windowed runs): a resumed run pushes it first,
    # so the batch goes out again under the same idempotency key.
    pending_window: int | None = None
    pending_deletes: tuple[str, ...] = ()
    # A full run paged by several cursors at once (empty: one cursor, at `next_url`).
    windows: tuple[Window, ...] = ()
    # Proven during this run: the PIM reads `updated_after` + `updated_before` together as an
    # inclusive BETWEEN (sync/bounds.py). False: not known, windows are asked in the form exact
    # under either reading. Absent from checkpoints written before it existed.
    bounds_inclusive: bool = False

    def evolve(self, **changes: Any) -> Checkpoint:
        """A copy with `changes` applied."""
        return replace(self, **changes)

    def to_json(self) -> str:
        """The checkpoint as compact JSON."""
        # Written out, not `asdict`: it is saved with every page, and `asdict` deep-copied every
        # window (twice) on the thread that pushes pages. Same keys, same order, same JSON.
        c = self.counters
        data = {
            "run_id": self.run_id,
            "mode": self.mode,
            "phase": self.phase,
            "started_at": self.started_at,
            "next_url": self.next_url,
            "pages": self.pages,
            "batch": self.batch,
            "counters": {"upserted": c.upserted, "skipped": c.skipped, "deleted": c.deleted, "failed": c.failed},
            "updated_after": self.updated_after,
            "pending_fingerprint": self.pending_fingerprint,
            "pending_window": self.pending_window,
            "pending_deletes": list(self.pending_deletes),
            "windows": [
                {
                    "lo": w.lo,
                    "hi": w.hi,
                    "next_url": w.next_url,
                    "started": w.started,
                    "done": w.done,
                    "tail": w.tail,
                    "planned": w.planned,
                }
                for w in self.windows
            ],
            "bounds_inclusive": self.bounds_inclusive,
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Checkpoint:
        """Parse a stored checkpoint; `StateError` when it is unreadable."""
        try:
            data = json.loads(text)
            return cls(
                run_id=str(data["run_id"]),
                mode=RunMode(data["mode"]),
                phase=Phase(data["phase"]),
                started_at=float(data["started_at"]),
                next_url=data.get("next_url"),
                pages=int(data.get("pages", 0)),
                batch=int(data.get("batch", 0)),
                counters=Counters(**data.get("counters", {})),
                updated_after=data.get("updated_after"),
                pending_fingerprint=data.get("pending_fingerprint"),
                pending_window=data.get("pending_window"),
                pending_deletes=tuple(data.get("pending_deletes", ())),
                windows=tuple(Window.from_dict(window) for window in data.get("windows", ())),
                bounds_inclusive=bool(data.get("bounds_inclusive", False)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise StateError(f"unreadable checkpoint: {exc}") from exc


class CheckpointStore:
    """Loads and saves checkpoints, one per catalog and slot."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys

    @translate_errors
    def load(self, tenant: str, catalog: str, slot: Slot) -> Checkpoint | None:
        """The slot's checkpoint, or None when no run is in flight."""
        raw = self._redis.get(self._keys.checkpoint(tenant, catalog, slot))
        return None if raw is None else Checkpoint.from_json(raw)

    @translate_errors
    def save(self, tenant: str, catalog: str, slot: Slot, checkpoint: Checkpoint) -> None:
        """Write the checkpoint on its own."""
        self._redis.set(self._keys.checkpoint(tenant, catalog, slot), checkpoint.to_json(), ex=CHECKPOINT_TTL_S)

    @translate_errors
    def in_flight(self, tenant: str) -> list[tuple[str, Slot, Checkpoint]]:
        """Every run of the tenant that has a checkpoint: (catalog, slot, checkpoint), by catalog.

        A run whose worker was killed stays here until a later trigger resumes it; a scheduler can
        use this to resume such runs without waiting for the next regular tick.
        """
        prefix = self._keys.checkpoint(tenant, "", "")[: -len("::")]
        found: list[tuple[str, Slot, Checkpoint]] = []
        # Escape glob characters so an id like "a*" matches only itself.
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", prefix) + ":*"
        for key in self._redis.scan_iter(match=pattern, count=500):
            name = key.decode() if isinstance(key, bytes) else key
            catalog, _, slot = name[len(prefix) + 1 :].rpartition(":")
            raw = self._redis.get(key)
            if raw is not None and slot in {s.value for s in Slot}:
                found.append((catalog, Slot(slot), Checkpoint.from_json(raw)))
        return sorted(found, key=lambda item: (item[0], item[1].value))

    def stage_save(self, tx: Transaction, tenant: str, catalog: str, slot: Slot, checkpoint: Checkpoint) -> Transaction:
        """Queue a checkpoint write on `tx`."""
        tx.pipe.set(self._keys.checkpoint(tenant, catalog, slot), checkpoint.to_json(), ex=CHECKPOINT_TTL_S)
        return tx

    def stage_clear(self, tx: Transaction, tenant: str, catalog: str, slot: Slot) -> Transaction:
        """Queue the removal of a checkpoint on `tx`."""
        tx.pipe.delete(self._keys.checkpoint(tenant, catalog, slot))
        return tx
