"""Holding a catalog's run lock for the whole run, with a heartbeat independent of page duration.

The lock (state `LockStore`) has a short TTL so a SIGKILLed holder frees it within seconds; a
background thread renews it every third of the TTL while the run is alive, so a slow page (a PIM
answering 429s for a minute) never loses it. The engine asks `still_held()` between pages and
aborts if another worker took over.
"""

from __future__ import annotations

import threading
import uuid
from typing import Final

from akeneo_sync.errors import AkeneoSyncError
from akeneo_sync.logging import get_logger
from akeneo_sync.state import StateStore

__all__ = ["LOCK_TTL_S", "CatalogRunLock"]

log = get_logger(__name__)
LOCK_TTL_S: Final = 15.0


class CatalogRunLock:
    """One holder's claim on one catalog's run lock."""

    def __init__(self, state: StateStore, tenant: str, catalog: str, *, ttl_s: float = LOCK_TTL_S) -> None:
        self._state = state
        self.tenant = tenant
        self.catalog = catalog
        self.owner = uuid.uuid4().hex
        self._ttl_s = ttl_s
        self._held = False
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._beater: threading.Thread | None = None

    def acquire(self, rerun_mode: str) -> bool:
        """Take the lock, or record a rerun of `rerun_mode` for its holder and return False."""
        self._held = self._state.locks.acquire(
            self.tenant, self.catalog, self.owner, ttl_s=self._ttl_s, rerun_mode=rerun_mode
        )
        if self._held:
            self._stop.clear()
            self._beater = threading.Thread(target=self._beat, name=f"lock-{self.catalog[:8]}", daemon=True)
            self._beater.start()
        return self._held

    def still_held(self) -> bool:
        """False once a heartbeat found the lock taken by someone else."""
        return self._held and not self._lost.is_set()

    def release(self, *, honour_rerun: bool = True) -> list[str]:
        """Release; returns rerun modes requested meanwhile (the lock is then kept: run again)."""
        if not self._held:
            return []
        try:
            reruns = self._state.locks.release(
                self.tenant, self.catalog, self.owner, ttl_s=self._ttl_s, honour_rerun=honour_rerun
            )
        except BaseException:
            # Redis is unreachable: stop renewing, so the lock's TTL frees it for the next run.
            # A heartbeat left beating here held the catalog after Redis came back, for good.
            self._halt()
            raise
        if not reruns:
            self._halt()
        return reruns

    def _halt(self) -> None:
        self._held = False
        self._stop.set()
        if self._beater is not None and self._beater is not threading.current_thread():
            self._beater.join(timeout=self._ttl_s)
        self._beater = None

    def _beat(self) -> None:
        # Real time on purpose: the heartbeat must keep pace with wall time whatever clock the
        # lock's expiry is judged by.
        while not self._stop.wait(self._ttl_s / 3):
            try:
                if not self._state.locks.heartbeat(self.tenant, self.catalog, self.owner, ttl_s=self._ttl_s):
                    log.warning("catalog_lock_lost", tenant=self.tenant, catalog=self.catalog)
                    self._lost.set()
                    return
            except AkeneoSyncError as exc:
                # A Redis blip: keep trying; the engine's between-page check decides.
                log.warning("catalog_lock_heartbeat_failed", error=str(exc))
