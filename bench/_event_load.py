"""The load side of `events.py`, in its own process: signed CloudEvents at a fixed rate.

    python bench/_event_load.py URL SECRET SUBJECT RATE SECONDS

Open loop: event i is due at t0 + i / RATE whatever the earlier answers did, and a pool of
threads sends it; latency is measured from the send (service time) and from the due time
(what a platform waiting on a slow receiver would see). Prints one JSON line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx

THREADS = 32


def sign(body: bytes, secret: str) -> str:
    """What the Event Platform sends in `X-Akeneo-Signature-Primary`: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event(subject: str) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "pim",
            "type": "com.akeneo.pim.v1.product.updated",
            "subject": subject,
            # Now: the receiver drops events older than its window as stale (a fixed date went stale).
            "time": datetime.now(UTC).isoformat(),
            "data": {"product": {"uuid": str(uuid.uuid4())}, "author": {"identifier": "julia", "type": "user"}},
        }
    ).encode()


def main() -> int:
    url, secret, subject, rate, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
    total = int(rate * seconds)
    bodies = [event(subject) for _ in range(total)]
    service: list[float] = []
    from_due: list[float] = []
    errors: dict[str, int] = {}
    outcomes: dict[str, int] = {}  # the receiver's `outcome` of each 2xx answer
    lock = threading.Lock()
    limits = httpx.Limits(max_connections=THREADS, max_keepalive_connections=THREADS)
    with httpx.Client(timeout=10.0, limits=limits) as client, ThreadPoolExecutor(THREADS) as pool:

        def send(body: bytes, due: float) -> None:
            sent = time.perf_counter()
            try:
                response = client.post(
                    url,
                    content=body,
                    headers={"Content-Type": "application/json", "X-Akeneo-Signature-Primary": sign(body, secret)},
                )
                outcome = None if response.status_code < 300 else str(response.status_code)
                answered = response.json().get("outcome") if outcome is None else None
            except (httpx.HTTPError, ValueError) as exc:
                outcome, answered = type(exc).__name__, None
            done = time.perf_counter()
            with lock:
                service.append(done - sent)
                from_due.append(done - due)
                if outcome is not None:
                    errors[outcome] = errors.get(outcome, 0) + 1
                if answered is not None:
                    outcomes[str(answered)] = outcomes.get(str(answered), 0) + 1

        start = time.perf_counter() + 0.2
        for i, body in enumerate(bodies):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # pacing the open-loop generator
            pool.submit(send, body, due)
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "sent": total,
                "elapsed_s": elapsed,
                "service": sorted(service),
                "from_due": sorted(from_due),
                "errors": errors,
                "outcomes": outcomes,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
