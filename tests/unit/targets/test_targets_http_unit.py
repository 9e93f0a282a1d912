"""HTTP target decisions on a scripted transport: statuses, Retry-After, jitter, URLs, 207 bodies."""

from __future__ import annotations

import random
from collections.abc import Callable

import httpx
import pytest

from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import ConfigError, TargetUnavailableError
from akeneo_sync.targets.base import BatchContext, Rejection
from akeneo_sync.targets.http import HttpRetryPolicy, HttpTarget, sign

Build = Callable[[list[object]], HttpTarget]
BATCH = BatchContext("t1", "c1", "run-1", 1)
NOW = 1_700_000_000.0


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def test_sign_is_the_hex_hmac_sha256_of_the_body() -> None:
    # Known answer from RFC 4231 test case 2.
    assert sign(b"Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(scripted_target: Build, status: int, clock: ManualClock) -> None:
    target = scripted_target([httpx.Response(status), httpx.Response(200)])

    assert target.apply(BATCH, [{"uuid": "u1"}], []).rejected == ()
    assert len(clock.sleeps) == 1


def test_timeouts_are_retried_then_reported_as_unavailable(scripted_target: Build, clock: ManualClock) -> None:
    target = scripted_target([timeout, timeout, timeout])

    with pytest.raises(TargetUnavailableError, match="ReadTimeout") as caught:
        target.apply(BATCH, [{"uuid": "u1"}], [])

    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert len(clock.sleeps) == 2


def test_backoff_is_full_jitter_under_an_exponential_cap(scripted_target: Build, clock: ManualClock) -> None:
    target = scripted_target([httpx.Response(503)] * 3)

    with pytest.raises(TargetUnavailableError):
        target.apply(BATCH, [{"uuid": "u1"}], [])

    rng = random.Random(3)
    assert clock.sleeps == [rng.uniform(0.0, 1.0), rng.uniform(0.0, 2.0)]


def test_backoff_never_exceeds_the_policy_maximum() -> None:
    policy = HttpRetryPolicy(max_attempts=10, base_backoff_s=1.0, max_backoff_s=4.0)
    clock = ManualClock()
    with httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(500))) as client:
        target = HttpTarget("https://x.example", "k", client=client, clock=clock, rng=random.Random(1), policy=policy)
        with pytest.raises(TargetUnavailableError):
            target.apply(BATCH, [{"uuid": "u1"}], [])

    assert len(clock.sleeps) == 9
    assert max(clock.sleeps) <= 4.0


def test_a_retry_after_beyond_the_limit_hands_back_at_once(scripted_target: Build, clock: ManualClock) -> None:
    target = scripted_target([httpx.Response(429, headers={"Retry-After": "3600"})])

    with pytest.raises(TargetUnavailableError, match="429"):
        target.apply(BATCH, [{"uuid": "u1"}], [])

    assert clock.sleeps == [], "an hour is not waited out inside a worker thread"


def test_a_207_with_an_unreadable_body_rejects_every_item(scripted_target: Build) -> None:
    target = scripted_target([httpx.Response(207, json={"rejected": [{"id": "u1"}]})])

    result = target.apply(BATCH, [{"uuid": "u1"}, {"uuid": "u2"}], [])

    assert [r.uuid for r in result.rejected] == ["u1", "u2"]
    assert all(r.reason.startswith("HTTP 207 with an unreadable body") for r in result.rejected)


def test_a_207_naming_uuids_outside_the_batch_ignores_them(scripted_target: Build) -> None:
    answer = {"rejected": [{"uuid": "u1", "reason": "bad"}, {"uuid": "elsewhere", "reason": "?"}]}
    target = scripted_target([httpx.Response(207, json=answer)])

    result = target.apply(BATCH, [{"uuid": "u1"}, {"uuid": "u2"}], [])

    assert result.rejected == (Rejection("u1", "bad"),)


def test_other_2xx_statuses_mean_everything_applied(scripted_target: Build) -> None:
    target = scripted_target([httpx.Response(202), httpx.Response(204)])

    assert target.apply(BATCH, [{"uuid": "u1"}], []).rejected == ()
    assert target.apply(BATCH, [], ["u1"]).rejected == ()


def test_a_redirect_is_not_followed_and_rejects_the_batch(scripted_target: Build) -> None:
    target = scripted_target([httpx.Response(301, headers={"Location": "https://elsewhere.example"})])

    result = target.apply(BATCH, [{"uuid": "u1"}], [])

    assert [r.reason.split(":")[0] for r in result.rejected] == ["HTTP 301"]


def test_a_long_error_body_is_trimmed_in_the_reason(scripted_target: Build) -> None:
    target = scripted_target([httpx.Response(422, text="x" * 10_000)])

    [rejection] = target.apply(BATCH, [{"uuid": "u1"}], []).rejected

    assert len(rejection.reason) < 300


def test_a_batch_with_nothing_valid_is_not_sent(scripted_target: Build) -> None:
    target = scripted_target([])  # any request would exhaust the script

    result = target.apply(BATCH, [{"no": "uuid"}], [])

    assert len(result.rejected) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/batches",
        "http://127.8.9.10/batches",
        "http://[::1]:9000/batches",
        "http://localhost:9000/batches",
        "https://shop.example.com/batches",
        "https://10.0.0.5/batches",
    ],
)
def test_https_anywhere_and_http_on_loopback_are_accepted(url: str) -> None:
    HttpTarget(url, "k").close()


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.example.com/batches",
        "http://10.0.0.5/batches",
        "http://localhost.evil.com/",
        "ftp://x/",
        "https://",
    ],
)
def test_other_urls_are_config_errors_naming_the_setting(url: str) -> None:
    with pytest.raises(ConfigError, match="AKENEO_SYNC_TARGET_URL"):
        HttpTarget(url, "k")


def test_an_empty_secret_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="AKENEO_SYNC_TARGET_SECRET"):
        HttpTarget("https://shop.example.com/", "")


def test_the_request_carries_explicit_timeouts(scripted_target: Build) -> None:
    seen: list[dict[str, float | None]] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200)

    scripted_target([record]).apply(BATCH, [{"uuid": "u1"}], [])

    assert seen == [{"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0}]


@pytest.mark.parametrize("policy", [{"max_attempts": 0}, {"base_backoff_s": -1.0}, {"max_retry_after_s": -5.0}])
def test_a_retry_policy_that_could_never_send_or_waits_negative_time_is_refused(policy: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="retry policy"):
        HttpRetryPolicy(**policy)  # type: ignore[arg-type]
