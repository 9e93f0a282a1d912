"""The emulator's Event Platform adapts a subscription's delivery rate to 200/429, as the platform does."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from akeneo_sync.clock import SystemClock
from akeneo_sync.emulator.events import EventDispatcher, Secrets, Subscriber

pytestmark = pytest.mark.integration

AUTHOR = {"identifier": "julia", "type": "user"}


class Receiver:
    """A subscriber endpoint over a real socket answering 429 `throttle` times, then 200."""

    def __init__(self, throttle: int) -> None:
        self.throttle = throttle
        self.arrivals: list[tuple[float, int]] = []
        self.lock = threading.Lock()


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver(throttle=4)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            with state.lock:
                status = 429 if state.throttle > 0 else 200
                state.throttle -= 1
                state.arrivals.append((time.monotonic(), status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/events"
    server.shutdown()
    server.server_close()


def test_429s_slow_a_subscription_down_and_200s_bring_it_back_to_full_speed(
    receiver: tuple[Receiver, str],
) -> None:
    state, url = receiver
    dispatcher = EventDispatcher(SystemClock(), retry_delays_s=(0.0,) * 5, timeout_s=5.0, seed=1)
    dispatcher.configure(
        Subscriber(url=url, subscription_id="sub-1", secrets=Secrets(primary="p" * 16), retry_delays_s=(0.0,) * 5)
    )
    try:
        assert dispatcher.delivery_rate("sub-1") is None  # never throttled: full speed
        dispatcher.product_changed("updated", "u-1", AUTHOR)
        assert dispatcher.wait_idle(10)
        # Four 429s then a 200: the wait doubled after each 429 (10, 20, 40, 80 ms), halved once.
        assert [status for _, status in state.arrivals] == [429, 429, 429, 429, 200]
        gaps = [later - earlier for (earlier, _), (later, _) in zip(state.arrivals, state.arrivals[1:], strict=False)]
        assert gaps[-1] >= 0.075
        assert gaps[-1] > gaps[0]
        assert dispatcher.delivery_rate("sub-1") == pytest.approx(25.0)

        for n in range(3):
            dispatcher.product_changed("updated", f"u-{n + 2}", AUTHOR)
        assert dispatcher.wait_idle(10)
        assert dispatcher.delivery_rate("sub-1") is None  # 40 -> 20 -> 10 ms -> full speed again
        assert [d["outcome"] for d in dispatcher.deliveries()] == ["delivered"] * 4
    finally:
        dispatcher.stop()
