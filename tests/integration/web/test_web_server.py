"""The `akeneo-sync web` process and the broker-backed enqueuer, on real Redis."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
import redis
from cryptography.fernet import Fernet
from redis.backoff import NoBackoff
from redis.retry import Retry
from web_support import REDIS_URL

from akeneo_sync.errors import StateError
from akeneo_sync.web.broker_enqueuer import BrokerEnqueuer
from akeneo_sync.worker.broker import build_broker
from akeneo_sync.worker.queues import queue_depths

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_broker_enqueuer_puts_one_message_per_call_on_the_named_queue(real_redis: redis.Redis) -> None:
    broker = build_broker(real_redis)
    enqueuer = BrokerEnqueuer(broker, enabled_catalogs=lambda _t: [], queues={"sync_catalog": "syncs"})
    enqueuer.sync_products("t1", ("u1", "u2"))
    enqueuer.sync_catalog("t1", "c1", "full")
    assert queue_depths(real_redis, ["default", "syncs"]) == {
        "default": 1,
        "default.DQ": 0,
        "default.XQ": 0,
        "syncs": 1,
        "syncs.DQ": 0,
        "syncs.XQ": 0,
    }
    (raw,) = real_redis.hvals("dramatiq:default.msgs")
    message = json.loads(raw)
    assert (message["actor_name"], message["args"]) == ("sync_products", ["t1", ["u1", "u2"]])


def test_the_broker_enqueuer_speaks_the_worker_actors_names(real_redis: redis.Redis) -> None:
    enqueuer = BrokerEnqueuer(build_broker(real_redis), enabled_catalogs=lambda _t: ["c1", "c2"])
    enqueuer.delete_products("t1", ["u9"])
    enqueuer.reconcile_tenant("t1")
    enqueuer.app_activated("t1")
    enqueuer.tenant_disconnected("t1")
    sent = sorted((m["actor_name"], m["args"]) for m in map(json.loads, real_redis.hvals("dramatiq:default.msgs")))
    assert sent == [
        ("app_activated", ["t1"]),
        ("reconcile_catalog", ["t1", "c1"]),
        ("reconcile_catalog", ["t1", "c2"]),
        ("sync_products", ["t1", ["u9"]]),
        ("tenant_disconnected", ["t1"]),
    ]


def test_an_unreachable_broker_is_a_state_error(real_redis: redis.Redis) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    enqueuer = BrokerEnqueuer(build_broker(dead), enabled_catalogs=lambda _t: [])
    with pytest.raises(StateError, match="sync_products"):
        enqueuer.sync_products("t1", ["u1"])


def test_akeneo_sync_web_serves_until_sigterm(real_redis: redis.Redis) -> None:
    port = free_port()
    env = {
        **os.environ,
        "AKENEO_SYNC_REDIS_URL": REDIS_URL,
        "AKENEO_SYNC_CLIENT_ID": "cli-app",
        "AKENEO_SYNC_CLIENT_SECRET": "s3cret",
        "AKENEO_SYNC_API_KEY": "k3y",
        "AKENEO_SYNC_EVENT_SECRETS": "p,s",
        "AKENEO_SYNC_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "AKENEO_SYNC_ALLOW_PRIVATE_PIM": "true",
    }
    cmd = [sys.executable, "-m", "akeneo_sync", "web", "--host", "127.0.0.1", "--port", str(port)]
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as process:
        try:
            base = f"http://127.0.0.1:{port}"
            # A bounded poll for the process to start listening (start-up, not test time passing).
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, "web exited during start-up"
                assert time.monotonic() < deadline, "web did not start within 30 s"
                time.sleep(0.1)
            assert httpx.get(f"{base}/readyz").status_code == 200
            redirect = httpx.get(f"{base}/activate", params={"pim_url": "http://127.0.0.1:9"})
            assert redirect.status_code == 302
            assert redirect.headers["location"].startswith("http://127.0.0.1:9/connect/apps/v1/authorize?")
            assert httpx.get(f"{base}/v1/tenants/t/catalogs/c").status_code == 401
        finally:
            process.send_signal(signal.SIGTERM)
            output = process.communicate(timeout=30)[0].decode()
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells what stopped it.
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "s3cret" not in output


def test_akeneo_sync_web_exits_2_naming_missing_settings() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AKENEO_SYNC_")}
    result = subprocess.run(
        [sys.executable, "-m", "akeneo_sync", "web"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "AKENEO_SYNC_CLIENT_ID" in result.stderr
    assert "AKENEO_SYNC_API_KEY" in result.stderr


DECLARED_ACTORS = """
import json, dramatiq
from dramatiq.brokers.stub import StubBroker
broker = StubBroker()
dramatiq.set_broker(broker)
from akeneo_sync.worker import actors  # noqa: F401 - declares the actors on the broker
print(json.dumps({name: broker.get_actor(name).queue_name for name in broker.get_declared_actors()}))
"""


def test_every_message_the_web_side_sends_names_a_worker_actor_on_its_queue(real_redis: redis.Redis) -> None:
    # In a fresh interpreter: importing the actors binds them to whichever broker is global.
    declared = json.loads(
        subprocess.run(
            [sys.executable, "-c", DECLARED_ACTORS], capture_output=True, text=True, timeout=60, check=True
        ).stdout
    )
    enqueuer = BrokerEnqueuer(build_broker(real_redis), enabled_catalogs=lambda _t: ["c1"])
    enqueuer.app_activated("t1")
    enqueuer.sync_products("t1", ["u1"])
    enqueuer.delete_products("t1", ["u2"])
    enqueuer.tenant_disconnected("t1")
    enqueuer.sync_catalog("t1", "c1", "full")
    enqueuer.reconcile_tenant("t1")
    sent = [json.loads(raw) for raw in real_redis.hvals("dramatiq:default.msgs")]
    assert len(sent) == 6
    for message in sent:
        assert declared.get(message["actor_name"]) == message["queue_name"], message["actor_name"]
