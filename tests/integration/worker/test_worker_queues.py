"""Broker queues on real Redis: depths per queue and dramatiq's dead-lettered messages."""

from __future__ import annotations

import dramatiq
import pytest
import redis
from dramatiq import Worker

from akeneo_sync.worker.broker import build_broker
from akeneo_sync.worker.queues import dead_messages, queue_depths, remove_dead_message

pytestmark = pytest.mark.integration


def test_a_message_that_exhausts_its_retries_is_listed_with_its_error(redis_client: redis.Redis) -> None:
    broker = build_broker(redis_client)

    @dramatiq.actor(broker=broker, queue_name="jobs", max_retries=1, min_backoff=1, max_backoff=1)
    def explode(tenant: str, catalog: str) -> None:
        raise RuntimeError(f"boom for {tenant}/{catalog}")

    explode.send("t1", "c1")
    worker = Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()
    try:
        broker.join("jobs", timeout=10_000)
    finally:
        worker.stop()

    [dead] = dead_messages(redis_client, "jobs")
    assert (dead.actor, dead.args, dead.retries) == ("explode", ("t1", "c1"), 1)
    assert dead.error == "RuntimeError: boom for t1/c1"
    assert queue_depths(redis_client, ["jobs"]) == {"jobs": 0, "jobs.DQ": 0, "jobs.XQ": 1}

    remove_dead_message(redis_client, "jobs", dead.message_id)
    assert dead_messages(redis_client, "jobs") == []


def test_queue_depths_count_ready_and_delayed_messages(redis_client: redis.Redis) -> None:
    broker = build_broker(redis_client)

    @dramatiq.actor(broker=broker, queue_name="waiting")
    def noop() -> None:
        """Never consumed in this test."""

    noop.send()
    noop.send()
    noop.send_with_options(delay=60_000)
    assert queue_depths(redis_client, ["waiting"]) == {"waiting": 2, "waiting.DQ": 1, "waiting.XQ": 0}
