"""Graceful shutdown: on SIGTERM a running sync finishes its page, checkpoints and stops.

Dramatiq's own `Shutdown` notification raises asynchronously inside the actor thread, which could
land between a push and its checkpoint. Instead this middleware only raises a flag when the worker
begins to shut down; the engine polls it between pages (its `should_stop`), so a rolling deploy
redoes at most the page in flight, and the actor re-enqueues the run to resume from the checkpoint.
"""

from __future__ import annotations

import threading

from dramatiq import Broker, Middleware, Worker

__all__ = ["StopFlag"]


class StopFlag(Middleware):
    """A process-wide flag set when the worker starts shutting down."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def before_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        self._event.set()

    def is_set(self) -> bool:
        """True once the worker was asked to stop."""
        return self._event.is_set()

    def set(self) -> None:
        """Ask running syncs to stop after their current page (tests and signal handlers)."""
        self._event.set()

    def clear(self) -> None:
        """Forget an earlier stop request (a worker restarted in the same process)."""
        self._event.clear()
