"""Our Redis clients give up on a silent server instead of hanging the thread for ever."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from akeneo_sync.state.connect import SOCKET_CONNECT_TIMEOUT_S, SOCKET_TIMEOUT_S, connect
from redis_server import TEST_REDIS_PORT


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never answers (a half-open peer)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_clients_have_timeouts_and_keepalive() -> None:
    client = connect(f"redis://127.0.0.1:{TEST_REDIS_PORT}/0")
    options = client.connection_pool.connection_kwargs
    assert options["socket_timeout"] == SOCKET_TIMEOUT_S
    assert options["socket_connect_timeout"] == SOCKET_CONNECT_TIMEOUT_S
    assert options["socket_keepalive"] is True
    assert options["health_check_interval"] > 0
    assert client.ping() is True
    client.close()


def test_a_silent_server_raises_within_the_socket_timeout(silent_server: int) -> None:
    # The URL's own options win over ours: operators tune them in REDIS_URL.
    client = connect(f"redis://127.0.0.1:{silent_server}/0?socket_timeout=0.5")
    started = time.monotonic()
    with pytest.raises(redis.TimeoutError):
        client.ping()
    assert time.monotonic() - started < 5  # not forever: redis-py retries once, 0.5 s each
    client.close()
