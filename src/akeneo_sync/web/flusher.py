"""`BatchFlusher`: the web process's one thread that sends event batches to the broker.

Requests only buffer (one Redis round trip); a request that fills a batch, or finds its window
passed, hands it here with `request_flush` instead of sending it itself. Sending takes a lock, a
read, an enqueue and a settle (several round trips), and requests racing for the same batch's
lock made the unlucky ones slow: the flusher keeps all of that off the request path. Batches no
request touched are found by `flush_due` every `interval_s`.
"""

from __future__ import annotations

import threading

from akeneo_sync.errors import AkeneoSyncError
from akeneo_sync.logging import get_logger
from akeneo_sync.web.batching import BatchKind, ProductBatcher

__all__ = ["BatchFlusher"]

_log = get_logger(__name__)


class BatchFlusher:
    """A daemon thread flushing requested batches at once and expired ones every `interval_s`."""

    def __init__(self, batcher: ProductBatcher, interval_s: float) -> None:
        self._batcher = batcher
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._requested: set[tuple[BatchKind, str]] = set()
        self._thread = threading.Thread(target=self._run, name="event-batch-flusher", daemon=True)

    @property
    def is_running(self) -> bool:
        """Whether the thread is started and not stopped (else the caller must flush itself)."""
        return self._thread.is_alive() and not self._stop.is_set()

    def start(self) -> None:
        """Start flushing in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait for the thread; pending batches stay in Redis for another pod."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._interval_s + 5)

    def request_flush(self, kind: BatchKind, tenant: str) -> None:
        """Send this batch on the flusher thread as soon as it can (it is full or its window passed)."""
        with self._lock:
            self._requested.add((kind, tenant))
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            woken = self._wake.wait(self._interval_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            if woken:
                self._flush_requested()
            self._flush_due()

    def _flush_requested(self) -> None:
        with self._lock:
            requested, self._requested = self._requested, set()
        for kind, tenant in sorted(requested, key=lambda item: item[0] is not BatchKind.SYNC):
            try:
                self._batcher.flush(kind, tenant)
            except AkeneoSyncError as exc:
                # The batch stays in Redis: the next request or `flush_due` pass sends it.
                _log.warning("event_batch_flush_failed", tenant=tenant, error=type(exc).__name__)

    def _flush_due(self) -> None:
        try:
            self._batcher.flush_due()
        except AkeneoSyncError as exc:
            _log.warning("event_batch_flush_failed", error=type(exc).__name__)
