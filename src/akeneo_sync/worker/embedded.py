"""Running the real actors in this process: for the demo (on an in-process Redis) and the tests.

It is the production path — the Redis broker, the actors, a `dramatiq.Worker` with threads — only
hosted in-process instead of under dramatiq's CLI.
"""

from __future__ import annotations

import threading
from types import TracebackType

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from akeneo_sync.worker.broker import DEFAULT_QUEUE, install_broker
from akeneo_sync.worker.runtime import Runtime, install_runtime

__all__ = ["EmbeddedWorker", "bind_actors"]

_bind_lock = threading.Lock()


def bind_actors(broker: RedisBroker) -> None:
    """Install `broker` and (re)declare every actor on it.

    Actors bind to the global broker when their module is first imported; a process that builds
    a second broker (a test after another, the demo) re-declares them on the new one.
    """
    with _bind_lock:
        install_broker(broker)
        from akeneo_sync.worker import actors

        for name in actors.__all__:
            actor = getattr(actors, name)
            if isinstance(actor, dramatiq.Actor):
                actor.broker = broker
                broker.declare_actor(actor)


class EmbeddedWorker:
    """A dramatiq worker with `threads` threads consuming the default queue in this process."""

    def __init__(self, runtime: Runtime, broker: RedisBroker, *, threads: int = 4) -> None:
        self.runtime = runtime
        self.broker = broker
        bind_actors(broker)
        install_runtime(runtime)
        self._worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=threads)

    def start(self) -> EmbeddedWorker:
        """Start consuming."""
        self.runtime.stop.clear()
        self._worker.start()
        return self

    def drain(self, timeout_s: float = 60.0) -> None:
        """Block until the queue (ready, delayed and in-flight messages) is empty."""
        self.broker.join(DEFAULT_QUEUE, timeout=int(timeout_s * 1000))
        self._worker.join()

    def stop(self) -> None:
        """Ask running syncs to checkpoint and stop, then stop the worker threads."""
        self.runtime.stop.set()
        self._worker.stop()

    def __enter__(self) -> EmbeddedWorker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
