"""Event Platform delivery: signed CloudEvents POSTed to subscribers from a background thread.

Envelope, headers and delivery behaviour as in docs/akeneo.md, "Event Platform": structured-mode
CloudEvents 1.0, `subject` is the subscription id, `X-AKENEO-SIGNATURE-PRIMARY`/`-SECONDARY` are
hex HMAC-SHA256 of the raw body bytes. Failed deliveries are retried after `retry_delays_s` (the
real platform waits 5, 10 and 20 minutes), then dropped, as the platform does. A 404 or any 3xx
suspends the subscription at once; status notifications go out the same way, signed with the
subscriber's notification secret.

The delivery rate adapts per subscription as the platform's does (1 to 100 events/s, rising on
200 and falling on 429): a subscription never answered 429 is delivered at full speed; each 429
doubles the wait between its deliveries (up to 1 s), each 2xx halves it, and below 10 ms it is
back to full speed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx
from pydantic import BaseModel, ConfigDict, Field

from akeneo_sync.clock import Clock
from akeneo_sync.emulator.catalog_data import new_uuid

__all__ = ["Delivery", "DeliveryTarget", "EventDispatcher", "Secrets", "Subscriber", "sign"]

_DATASCHEMA: Final = "https://event.prd.sdk.akeneo.cloud/spec/{type}.schema.json"
# Seconds between deliveries of a throttled subscription: 100 events/s to 1 event/s.
_FASTEST_INTERVAL_S: Final = 0.01
_SLOWEST_INTERVAL_S: Final = 1.0


class Secrets(BaseModel):
    """A subscription's signing secrets (primary always, secondary during rotation)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    primary: str = Field(min_length=1)
    secondary: str | None = None


class Subscriber(BaseModel):
    """`PUT /_emulator/event-subscriber`: a shortcut subscription that receives every product event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(min_length=1)
    subscription_id: str = Field(min_length=1)
    secrets: Secrets
    source: str = "pim"
    # Hours of waiting compressed into fractions of seconds for tests and demos.
    retry_delays_s: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class DeliveryTarget:
    """Where one subscription's events go and how they are signed."""

    url: str
    subscription_id: str
    primary: str
    secondary: str | None = None
    source: str = "pim"
    headers: tuple[tuple[str, str], ...] = ()
    retry_delays_s: tuple[float, ...] | None = None
    send_product_identifier: bool = False
    # Registry subscriptions get suspended on a 404/3xx; the admin shortcut does not.
    suspendable: bool = False


@dataclass(slots=True)
class Delivery:
    """One POST (an event or a status notification) and what became of it."""

    kind: str  # event | notification
    payload: dict[str, Any]
    target: DeliveryTarget
    attempts: int = 0
    statuses: list[int | str] = field(default_factory=list)
    outcome: str = "pending"  # pending | delivered | dropped

    def as_json(self) -> dict[str, Any]:
        """The admin view of a delivery."""
        view: dict[str, Any] = {
            "kind": self.kind,
            "subscription_id": self.target.subscription_id,
            "attempts": self.attempts,
            "statuses": list(self.statuses),
            "outcome": self.outcome,
        }
        if self.kind == "event":
            view |= {"id": self.payload["id"], "type": self.payload["type"]}
            data = self.payload["data"]
            if "product" in data:
                view["uuid"] = data["product"]["uuid"]
            else:
                view["code"] = data["product_model"]["code"]
        else:
            view["type"] = self.payload["notification_type"]
        return view


def sign(body: bytes, secret: str) -> str:
    """Hex HMAC-SHA256 of the raw body, as the Event Platform signs deliveries."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


TargetsFor = Callable[[str], list[DeliveryTarget]]
OnRejected = Callable[[str, int], None]


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
        self._targets_for: TargetsFor = lambda _type: []
        self._on_rejected: OnRejected = lambda _sid, _status: None
        # Subscription id -> seconds between its deliveries; absent = full speed (never throttled).
        self._intervals: dict[str, float] = {}

    def delivery_rate(self, subscription_id: str) -> float | None:
        """Events per second the subscription is paced at, or None when it is not paced."""
        with self._lock:
            interval = self._intervals.get(subscription_id)
        return None if interval is None else 1.0 / interval

    def _adapt(self, subscription_id: str, status: int | str) -> None:
        with self._lock:
            interval = self._intervals.get(subscription_id)
            if status == 429:
                self._intervals[subscription_id] = min(_SLOWEST_INTERVAL_S, 2 * (interval or _FASTEST_INTERVAL_S / 2))
            elif isinstance(status, int) and 200 <= status < 300 and interval is not None:
                if interval / 2 < _FASTEST_INTERVAL_S:
                    del self._intervals[subscription_id]
                else:
                    self._intervals[subscription_id] = interval / 2

    def connect(self, targets_for: TargetsFor, on_rejected: OnRejected) -> None:
        """Wire the subscription registry: who gets an event type, and who to tell on a 404/3xx."""
        self._targets_for, self._on_rejected = targets_for, on_rejected

    def configure(self, subscriber: Subscriber | None) -> None:
        """Set (or clear) the admin shortcut subscriber."""
        with self._lock:
            self._subscriber = subscriber

    def reset(self) -> None:
        """Forget the subscriber and every delivery record."""
        with self._lock:
            self._subscriber = None
            self._deliveries = []
            self._intervals = {}

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until no delivery is pending (True) or `timeout_s` passed (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: all(d.outcome != "pending" for d in self._deliveries), timeout_s)

    def deliveries(self) -> list[dict[str, Any]]:
        """Every delivery since the last reset, with its outcome."""
        with self._lock:
            return [d.as_json() for d in self._deliveries]

    def product_changed(self, action: str, uuid: str, author: dict[str, str], identifier: str | None = None) -> None:
        """Queue `com.akeneo.pim.v1.product.<action>` for every subscription that wants it."""
        self._publish(
            f"com.akeneo.pim.v1.product.{action}",
            author,
            lambda target: {
                "product": {"uuid": uuid}
                | ({"identifier": identifier} if target.send_product_identifier and identifier is not None else {})
            },
        )

    def model_changed(self, action: str, code: str, author: dict[str, str]) -> None:
        """Queue `com.akeneo.pim.v1.product-model.<action>`: the model's code under `data.product_model`.

        The docs' payload tables say `data.product.code` for created/updated and
        `data.product_model.code` for deleted; every example of the three says `product_model`
        (docs/akeneo.md, Event Platform).
        """
        self._publish(
            f"com.akeneo.pim.v1.product-model.{action}", author, lambda _target: {"product_model": {"code": code}}
        )

    def _publish(self, kind: str, author: dict[str, str], data_for: Callable[[DeliveryTarget], dict[str, Any]]) -> None:
        with self._lock:
            shortcut = self._subscriber
        targets = list(self._targets_for(kind))
        if shortcut is not None:
            targets.append(
                DeliveryTarget(
                    shortcut.url,
                    shortcut.subscription_id,
                    shortcut.secrets.primary,
                    shortcut.secrets.secondary,
                    shortcut.source,
                    retry_delays_s=shortcut.retry_delays_s,
                )
            )
        for target in targets:
            with self._lock:
                event_id = new_uuid(self._rng)
            self._enqueue(
                Delivery(
                    "event",
                    {
                        "specversion": "1.0",
                        "id": event_id,
                        "source": target.source,
                        "type": kind,
                        "subject": target.subscription_id,
                        "time": datetime.fromtimestamp(self._clock.now(), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "datacontenttype": "application/json",
                        "dataschema": _DATASCHEMA.format(type=kind),
                        "data": {**data_for(target), "author": dict(author)},
                    },
                    target,
                )
            )

    def notify(self, payload: dict[str, Any], target: DeliveryTarget) -> None:
        """Queue a subscription status notification (notification-webhooks.md)."""
        self._enqueue(Delivery("notification", payload, target))

    def _enqueue(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="emulator-events", daemon=True)
                self._thread.start()
        self._queue.put(delivery)

    def stop(self) -> None:
        """Stop the delivery thread (pending deliveries are abandoned)."""
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

    def _settle(self, delivery: Delivery, outcome: str) -> None:
        with self._idle:
            delivery.outcome = outcome
            self._idle.notify_all()

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        target = delivery.target
        body = json.dumps(delivery.payload, separators=(",", ":")).encode()
        headers = dict(target.headers) | {
            "Content-Type": "application/json",
            "User-Agent": "akeneo/event-platform",
            "X-AKENEO-SIGNATURE-ALGORITHM": "HmacSHA256",
            "X-AKENEO-SIGNATURE-PRIMARY": sign(body, target.primary),
        }
        if target.secondary:
            headers["X-AKENEO-SIGNATURE-SECONDARY"] = sign(body, target.secondary)
        delays = target.retry_delays_s if target.retry_delays_s is not None else self._retry_delays_s
        for attempt in range(len(delays) + 1):
            if attempt and self._stopping.wait(delays[attempt - 1]):
                self._settle(delivery, "dropped")
                return
            with self._lock:
                pace = self._intervals.get(target.subscription_id, 0.0) if delivery.kind == "event" else 0.0
            if pace and self._stopping.wait(pace):
                self._settle(delivery, "dropped")
                return
            try:
                status: int | str = client.post(target.url, content=body, headers=headers).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            with self._lock:
                delivery.attempts += 1
                delivery.statuses.append(status)
            if delivery.kind == "event":
                self._adapt(target.subscription_id, status)
            if isinstance(status, int) and 200 <= status < 300:
                self._settle(delivery, "delivered")
                return
            if isinstance(status, int) and (status == 404 or 300 <= status < 400) and target.suspendable:
                # Immediate suspension, no retry (docs: content/event-platform/key-platform-behaviors.md).
                self._settle(delivery, "dropped")
                self._on_rejected(target.subscription_id, status)
                return
        self._settle(delivery, "dropped")
