"""A hostile PIM over a real socket: it drips its answer or sends too much, and a call stays bounded."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from akeneo_sync.akeneo.auth import AppTokenProvider
from akeneo_sync.akeneo.http import PimSender, RetryPolicy, build_http_client
from akeneo_sync.akeneo.oauth import exchange_code
from akeneo_sync.akeneo.ratelimit import FairUsePolicy, InProcessFairUseLimiter
from akeneo_sync.clock import SystemClock
from akeneo_sync.errors import PimError, PimUnavailableError

pytestmark = pytest.mark.integration

Script = Callable[[socket.socket], None]


@pytest.fixture
def hostile_pim() -> Iterator[Callable[[Script], str]]:
    """A loopback server that plays `script` on every connection; yields a function returning its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    scripts: list[Script] = []

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=_play, args=(conn, scripts[0], stop), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def start(script: Script) -> str:
        scripts.append(script)
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield start
    stop.set()
    thread.join(5)
    listener.close()


def _play(conn: socket.socket, script: Script, stop: threading.Event) -> None:
    with conn:
        conn.recv(65536)
        try:
            script(conn)
        except OSError:
            return  # the client hung up: what it should do with a hostile PIM


def _sender(base: str, *, timeout_s: float, max_body_bytes: int = 1 << 20) -> tuple[PimSender, httpx.Client]:
    http = build_http_client(timeout_s=timeout_s)
    http.base_url = httpx.URL(base)
    clock = SystemClock()
    sender = PimSender(
        http,
        tokens=AppTokenProvider("t"),
        clock=clock,
        rng=random.Random(1),
        tenant="t1",
        limiter=InProcessFairUseLimiter(policy=FairUsePolicy(max_per_s=1e9, burst=1000), clock=clock),
        policy=RetryPolicy(max_attempts=1, deadline_s=1.0),
        max_body_bytes=max_body_bytes,
    )
    return sender, http


def test_a_pim_dripping_its_body_is_cut_off_at_the_call_deadline(hostile_pim: Callable[[Script], str]) -> None:
    def drip(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n")
        for _ in range(40):  # one byte every 0.3 s: each read is quick, the whole answer takes 12 s
            conn.sendall(b" ")
            time.sleep(0.3)

    sender, http = _sender(hostile_pim(drip), timeout_s=1.0)
    started = time.monotonic()
    with http, pytest.raises(PimUnavailableError, match="no answer"):
        sender.send("GET", "catalogs", "/api/rest/v1/catalogs")
    # The deadline (1 s) plus at most one read timeout (1 s) for the byte in flight.
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_answer_larger_than_the_cap_is_refused_without_being_held(
    hostile_pim: Callable[[Script], str], declared: bool
) -> None:
    body = b"[" + b"0," * 300_000 + b"0]"

    def flood(conn: socket.socket) -> None:
        if declared:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for start in range(0, len(body), 8192):
            part = body[start : start + 8192]
            conn.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        conn.sendall(b"0\r\n\r\n")

    sender, http = _sender(hostile_pim(flood), timeout_s=5.0, max_body_bytes=100_000)
    with http, pytest.raises(PimError, match="larger than 100000 bytes") as caught:
        sender.send("GET", "catalogs", "/api/rest/v1/catalogs")
    assert not caught.value.retryable


def test_an_answer_within_the_cap_and_deadline_reads_as_before(hostile_pim: Callable[[Script], str]) -> None:
    def fine(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n[1,2,3]")

    sender, http = _sender(hostile_pim(fine), timeout_s=5.0)
    with http:
        assert sender.send("GET", "catalogs", "/api/rest/v1/catalogs").json() == [1, 2, 3]


def test_a_pim_dripping_its_token_answer_is_cut_off_at_the_exchange_deadline(
    hostile_pim: Callable[[Script], str],
) -> None:
    def drip(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n")
        for _ in range(40):
            conn.sendall(b" ")
            time.sleep(0.3)

    base = hostile_pim(drip)
    started = time.monotonic()
    with httpx.Client(timeout=1.0) as http, pytest.raises(PimUnavailableError, match="ReadTimeout"):
        exchange_code(http, base, client_id="c", client_secret="s", code="x", deadline_s=1.0)
    assert time.monotonic() - started < 2.5


def test_a_redirect_from_the_pim_is_not_followed(hostile_pim: Callable[[Script], str]) -> None:
    def bounce(conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data\r\nContent-Length: 0\r\n\r\n"
        )

    sender, http = _sender(hostile_pim(bounce), timeout_s=5.0)
    with http, pytest.raises(PimError, match="HTTP 302"):
        sender.send("GET", "catalogs", "/api/rest/v1/catalogs")


def test_a_run_stops_after_its_maximum_of_pim_calls(hostile_pim: Callable[[Script], str]) -> None:
    def endless(conn: socket.socket) -> None:
        # Keep-alive: every page answers, as a PIM handing out next links forever would.
        body = b'{"_links": {}, "_embedded": {"items": []}}'
        while True:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            if not conn.recv(65536):
                return

    base = hostile_pim(endless)
    http = build_http_client(timeout_s=5.0)
    http.base_url = httpx.URL(base)
    clock = SystemClock()
    sender = PimSender(
        http,
        tokens=AppTokenProvider("t"),
        clock=clock,
        rng=random.Random(1),
        tenant="t1",
        limiter=InProcessFairUseLimiter(policy=FairUsePolicy(max_per_s=1e9, burst=1000), clock=clock),
        policy=RetryPolicy(max_attempts=1, deadline_s=1.0),
        max_calls=3,
    )
    with http:
        for _ in range(3):
            assert sender.send("GET", "product-uuids", "/api/rest/v1/catalogs/c/product-uuids").is_success
        with pytest.raises(PimError, match="already made 3 PIM calls") as stopped:
            sender.send("GET", "product-uuids", "/api/rest/v1/catalogs/c/product-uuids")
    assert not stopped.value.retryable
