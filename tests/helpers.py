"""Helpers shared by every test tier: waiting on a condition, serving an ASGI app on a real socket."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import uvicorn

__all__ = ["running_asgi", "wait_until"]

_T = TypeVar("_T")
_START_TIMEOUT_S = 20.0


def wait_until(predicate: Callable[[], _T], timeout: float = 10.0, *, interval: float = 0.01, what: str = "") -> _T:
    """Poll `predicate` until it returns a truthy value, which is returned; fail after `timeout` seconds.

    A deadline on a condition, never a sleep standing for "long enough": a fast machine waits
    less, and a slow one fails with a message rather than a wrong assertion further down.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {what or getattr(predicate, '__name__', predicate)}")
        time.sleep(interval)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_asgi(app: Any, *, lifespan: Literal["auto", "on", "off"] = "on") -> Iterator[str]:
    """Serve `app` on 127.0.0.1 for the duration of the block; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, http="h11", lifespan=lifespan, log_level="warning", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, name=f"asgi-{port}", daemon=True)
    thread.start()

    def started() -> bool:
        if not thread.is_alive():
            raise RuntimeError(f"server did not start on port {port}")
        return bool(server.started)

    wait_until(started, _START_TIMEOUT_S, what=f"server on port {port} started")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=_START_TIMEOUT_S)
