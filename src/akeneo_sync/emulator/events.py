"""Event Platform delivery: signed CloudEvents POSTed to a subscriber from a background thread.

Envelope and headers as in akeneo-api.md §7.2/§7.4: structured-mode CloudEvents 1.0, `subject`
is the subscription id, `X-AKENEO-SIGNATURE-PRIMARY`/`-SECONDARY` are hex HMAC-SHA256 of the raw
body bytes. Failed deliveries are retried after `event_retry_delays_s` (the real platform waits
5, 10 and 20 minutes), then dropped, as the platform does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx
from pydantic import BaseModel, ConfigDict, Field

from akeneo_sync.clock import Clock
from akeneo_sync.emulator.catalog_data import new_uuid

__all__ = ["Delivery", "EventDispatcher", "Secrets", "Subscriber", "sign"]

_DATASCHEMA: Final = "https://event.prd.sdk.akeneo.cloud/spec/{type}.schema.json"


class Secrets(BaseModel):
    """The subscription's signing secrets (primary always, secondary during rotation)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    primary: str = Field(min_length=1)
    secondary: str | None = None


class Subscriber(BaseModel):
    """`PUT /_emulator/event-subscriber`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(min_length=1)
    subscription_id: str = Field(min_length=1)
    secrets: Secrets
    source: str = "pim"
    # Hours of waiting compressed into fractions of seconds for tests and demos.
    retry_delays_s: tuple[float, ...] | None = None


@dataclass(slots=True)
class Delivery:
    """One event and what became of it."""

    event: dict[str, Any]
    attempts: int = 0
    statuses: list[int | str] = field(default_factory=list)
    outcome: str = "pending"  # pending | delivered | dropped

    def as_json(self) -> dict[str, Any]:
        """The admin view of a delivery."""
        return {"id": self.event["id"], "type": self.event["type"], "uuid": self.event["data"]["product"]["uuid"],
                "attempts": self.attempts, "statuses": list(self.statuses), "outcome": self.outcome}


def sign(body: bytes, secret: str) -> str:
    """Hex HMAC-SHA256 of the raw body, as the Event Platform signs deliveries."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class EventDispatcher:
    """Builds product events and delivers them, one worker thread, at least once."""

    def __init__(self, clock: Clock, retry_delays_s: tuple[float, ...], timeout_s: float, seed: int) -> None:
        self._clock = clock
        self._retry_delays_s = retry_delays_s
        self._timeout_s = timeout_s
        self._rng = random.Random(f"events:{seed}")  # noqa: S311 - reproducible ids
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._subscriber: Subscriber | None = None
        self._deliveries: list[Delivery] = []
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def configure(self, subscriber: Subscriber | None) -> None:
        """Set (or clear) where events go."""
        with self._lock:
            self._subscriber = subscriber

    def reset(self) -> None:
        """Forget the subscriber and every delivery record."""
        with self._lock:
            self._subscriber = None
            self._deliveries = []

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until no delivery is pending (True) or `timeout_s` passed (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: all(d.outcome != "pending" for d in self._deliveries), timeout_s)

    def _settle(self, delivery: Delivery, outcome: str) -> None:
        with self._idle:
            delivery.outcome = outcome
            self._idle.notify_all()

    def deliveries(self) -> list[dict[str, Any]]:
        """Every event emitted since the last reset, with its delivery outcome."""
        with self._lock:
            return [d.as_json() for d in self._deliveries]

    def product_changed(self, action: str, uuid: str, author: dict[str, str]) -> None:
        """Queue `com.akeneo.pim.v1.product.<action>` for the subscriber, if there is one."""
        with self._lock:
            subscriber = self._subscriber
            if subscriber is None:
                return
            kind = f"com.akeneo.pim.v1.product.{action}"
            event = {
                "specversion": "1.0",
                "id": new_uuid(self._rng),
                "source": subscriber.source,
                "type": kind,
                "subject": subscriber.subscription_id,
                "time": datetime.fromtimestamp(self._clock.now(), tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "datacontenttype": "application/json",
                "dataschema": _DATASCHEMA.format(type=kind),
                "data": {"product": {"uuid": uuid}, "author": dict(author)},
            }
            delivery = Delivery(event)
            self._deliveries.append(delivery)
        self._ensure_thread()
        self._queue.put(delivery)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="emulator-events", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Stop the delivery thread (pending events are abandoned)."""
        self._stopping.set()
        self._queue.put(None)
        thread = self._thread
        if thread is not None:
            thread.join(timeout=self._timeout_s + 1)

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout_s, follow_redirects=False) as client:
            while not self._stopping.is_set():
                delivery = self._queue.get()
                if delivery is None:
                    return
                self._deliver(client, delivery)

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        with self._lock:
            subscriber = self._subscriber
        if subscriber is None:
            self._settle(delivery, "dropped")
            return
        body = json.dumps(delivery.event, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "akeneo/event-platform",
            "X-AKENEO-SIGNATURE-ALGORITHM": "HmacSHA256",
            "X-AKENEO-SIGNATURE-PRIMARY": sign(body, subscriber.secrets.primary),
        }
        if subscriber.secrets.secondary:
            headers["X-AKENEO-SIGNATURE-SECONDARY"] = sign(body, subscriber.secrets.secondary)
        delays = subscriber.retry_delays_s if subscriber.retry_delays_s is not None else self._retry_delays_s
        for attempt in range(len(delays) + 1):
            if attempt and self._stopping.wait(delays[attempt - 1]):
                self._settle(delivery, "dropped")
                return
            try:
                status: int | str = client.post(subscriber.url, content=body, headers=headers).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            with self._lock:
                delivery.attempts += 1
                delivery.statuses.append(status)
            if isinstance(status, int) and 200 <= status < 300:
                self._settle(delivery, "delivered")
                return
        self._settle(delivery, "dropped")
