"""Real uvicorn servers on free loopback ports, in background threads, for tests and demos."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import uvicorn

from akeneo_sync.eventplatform.emulator import EventPlatformEmulator, create_app

__all__ = ["running_asgi", "running_event_platform"]

_START_TIMEOUT_S = 20.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_asgi(app: Any, *, lifespan: Literal["auto", "on", "off"] = "on") -> Iterator[str]:
    """Serve `app` on 127.0.0.1 for the duration of the block; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http="h11", lifespan=lifespan,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name=f"asgi-{port}", daemon=True)
    thread.start()
    # A bounded poll for the server thread to bind its socket (startup, not test time passing).
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"server did not start on port {port}")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=_START_TIMEOUT_S)


@contextmanager
def running_event_platform(
    platform: EventPlatformEmulator | None = None,
) -> Iterator[tuple[str, EventPlatformEmulator]]:
    """The Event Platform emulator on a loopback port; yields (management API base URL, its state)."""
    state = platform or EventPlatformEmulator()
    with running_asgi(create_app(state), lifespan="off") as base_url:
        yield f"{base_url}/api/v1", state
