"""The HTTP target against a real platform server on loopback: signature, idempotency key, retries."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable

import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import TargetUnavailableError
from akeneo_sync.targets.base import BatchContext, Rejection
from akeneo_sync.targets.http import HttpTarget
from target_platform import Platform, ScriptedAnswer

pytestmark = pytest.mark.integration

Build = Callable[..., HttpTarget]
BATCH = BatchContext(tenant="t1", catalog="c1", run_id="run-42", page=3)


def test_the_body_is_the_wire_format_and_its_signature_verifies_with_the_secret(
    platform: Platform, http_target_factory: Build
) -> None:
    http_target_factory().apply(BATCH, [{"uuid": "u1", "name": "Café"}], ["u0"])

    [request] = platform.requests
    assert json.loads(request.body) == {
        "tenant": "t1",
        "catalog": "c1",
        "run": "run-42",
        "upserts": [{"uuid": "u1", "name": "Café"}],
        "deletes": ["u0"],
    }
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("akeneo-sync/")
    expected = hmac.new(Platform.SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-akeneo-sync-signature"] == f"sha256={expected}"
    assert platform.bad_signatures == 0


def test_a_target_with_the_wrong_secret_is_refused_by_the_platform(
    platform: Platform, http_target_factory: Build
) -> None:
    result = http_target_factory(secret="not-the-platform-secret").apply(BATCH, [{"uuid": "u1"}], [])

    assert platform.bad_signatures == 1
    assert result.rejected == (Rejection("u1", 'HTTP 401: {"error": "bad signature"}'),)
    assert platform.products("t1", "c1") == {}


def test_the_idempotency_key_is_run_and_page_and_stable_across_resends(
    platform: Platform, http_target_factory: Build
) -> None:
    target = http_target_factory()
    target.apply(BATCH, [{"uuid": "u1"}], [])
    target.apply(BATCH, [{"uuid": "u1"}], [])
    target.apply(BatchContext("t1", "c1", "run-42", 4), [{"uuid": "u2"}], [])

    keys = [r.headers["idempotency-key"] for r in platform.requests]
    assert keys == ["run-42:3", "run-42:3", "run-42:4"]
    assert platform.requests[0].body == platform.requests[1].body


def test_a_207_rejects_only_the_named_items(platform: Platform, http_target_factory: Build) -> None:
    upserts = [{"uuid": "u1"}, {"uuid": "u2", "refuse": "sku already used by another product"}, {"uuid": "u3"}]

    result = http_target_factory().apply(BATCH, upserts, [])

    assert result.rejected == (Rejection("u2", "sku already used by another product"),)
    assert set(platform.products("t1", "c1")) == {"u1", "u3"}


def test_a_429_with_retry_after_is_waited_out_then_the_batch_applies(
    platform: Platform, http_target_factory: Build, clock: ManualClock
) -> None:
    platform.script.append(ScriptedAnswer(429, b'{"error": "slow down"}', {"Retry-After": "7"}))
    before = REGISTRY.get_sample_value("akeneo_sync_target_push_duration_seconds_sum", {"target": "http"}) or 0.0

    result = http_target_factory().apply(BATCH, [{"uuid": "u1"}], [])

    assert result.rejected == ()
    assert clock.sleeps == [7.0]
    assert set(platform.products("t1", "c1")) == {"u1"}
    assert len({r.headers["idempotency-key"] for r in platform.requests}) == 1, "a retry is the same batch"
    after = REGISTRY.get_sample_value("akeneo_sync_target_push_duration_seconds_sum", {"target": "http"})
    assert after == pytest.approx(before + 7.0), "the push duration includes the wait"


def test_503s_without_retry_after_back_off_with_jitter_then_give_up(
    platform: Platform, http_target_factory: Build, clock: ManualClock
) -> None:
    platform.script.extend(ScriptedAnswer(503, b"maintenance") for _ in range(4))

    with pytest.raises(TargetUnavailableError, match="after 4 attempt") as caught:
        http_target_factory(max_attempts=4).apply(BATCH, [{"uuid": "u1"}], [])

    assert caught.value.retryable
    assert (caught.value.tenant, caught.value.catalog) == ("t1", "c1")
    assert len(platform.requests) == 4
    assert len(clock.sleeps) == 3, "no wait after the last attempt"
    caps = [0.5, 1.0, 2.0]
    assert all(0.0 <= wait <= cap for wait, cap in zip(clock.sleeps, caps, strict=True))
    assert platform.products("t1", "c1") == {}


def test_a_dropped_connection_is_retried(platform: Platform, http_target_factory: Build) -> None:
    platform.script.append(ScriptedAnswer(0, drop=True))

    result = http_target_factory().apply(BATCH, [{"uuid": "u1"}], [])

    assert result.rejected == ()
    assert len(platform.requests) == 2
    assert set(platform.products("t1", "c1")) == {"u1"}


def test_a_400_rejects_every_item_with_the_status_and_the_body(platform: Platform, http_target_factory: Build) -> None:
    platform.script.append(ScriptedAnswer(400, b'{"error": "unknown field color"}'))

    result = http_target_factory().apply(BATCH, [{"uuid": "u1"}, {"uuid": "u2"}], ["u3"])

    reason = 'HTTP 400: {"error": "unknown field color"}'
    assert result.rejected == (Rejection("u1", reason), Rejection("u2", reason), Rejection("u3", reason))
    assert len(platform.requests) == 1, "a 4xx is not retried"


def test_a_platform_that_is_down_makes_the_target_unavailable(
    http_target_factory: Build, free_port: int, clock: ManualClock
) -> None:
    target = http_target_factory(url=f"http://127.0.0.1:{free_port}/batches", max_attempts=3)

    with pytest.raises(TargetUnavailableError, match="ConnectError"):
        target.apply(BATCH, [{"uuid": "u1"}], [])

    assert len(clock.sleeps) == 2


def test_the_secret_never_appears_in_logs_or_errors(platform: Platform, http_target_factory: Build) -> None:
    platform.script.extend(ScriptedAnswer(503) for _ in range(2))
    target = http_target_factory(max_attempts=2)

    with capture_logs() as logs, pytest.raises(TargetUnavailableError) as caught:
        target.apply(BATCH, [{"uuid": "u1"}], [])

    assert [entry["event"] for entry in logs] == ["target_retry"]
    for text in (repr(logs), str(caught.value), repr(target)):
        assert Platform.SECRET not in text
