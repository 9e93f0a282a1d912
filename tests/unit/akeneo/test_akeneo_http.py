"""The retry policy as data: the status table and the client pool (the shared loop: tests/unit/test_retry.py)."""

from __future__ import annotations

import pkgutil
import threading
from datetime import UTC, datetime

import httpx
import pytest

from akeneo_sync.akeneo.http import HttpClientPool, build_http_client
from akeneo_sync.akeneo.statuses import (
    OTHER_STATUS_RULE,
    SERVER_ERROR_RULE,
    STATUS_RULES,
    TRANSPORT_RULE,
    rule_for_status,
    status_error,
)
from akeneo_sync.errors import (
    CatalogNotFoundError,
    PimError,
    PimUnavailableError,
    PimValidationError,
    RateLimitedError,
    ScopeError,
    TokenRevokedError,
)

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("status", "error", "retried"),
    [
        (400, PimValidationError, False),
        (401, TokenRevokedError, False),
        (403, ScopeError, False),
        (404, CatalogNotFoundError, False),
        (408, PimUnavailableError, True),
        (422, PimValidationError, False),
        (429, RateLimitedError, True),
        (500, PimUnavailableError, True),
        (502, PimUnavailableError, True),
        (503, PimUnavailableError, True),
        (504, PimUnavailableError, True),
    ],
)
def test_each_documented_status_maps_to_its_error_and_retry_decision(
    status: int, error: type[PimError], retried: bool
) -> None:
    rule = rule_for_status(status)
    assert rule.error is error
    assert rule.retry is retried


def test_every_error_status_has_a_rule_and_only_408_429_and_5xx_are_retried() -> None:
    for status in range(400, 600):
        rule = rule_for_status(status)
        assert issubclass(rule.error, PimError)
        assert rule.retry is (status in (408, 429) or status >= 500), status
        if rule.retry:
            assert rule.backoff_reason.startswith("backoff_")
            assert rule.error.retryable, status
        else:
            assert not rule.error.retryable, status


def test_the_table_names_no_status_the_ranges_would_already_cover_differently() -> None:
    assert all(400 <= status < 500 for status in STATUS_RULES)
    assert rule_for_status(599) is SERVER_ERROR_RULE
    assert rule_for_status(415) is OTHER_STATUS_RULE
    assert rule_for_status(302) is OTHER_STATUS_RULE


def _transport_error_classes() -> list[type[httpx.TransportError]]:
    found: list[type[httpx.TransportError]] = []
    pending: list[type[httpx.TransportError]] = [httpx.TransportError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_httpx_transport_error_is_covered_by_the_retried_transport_rule() -> None:
    classes = _transport_error_classes()
    # Walk httpx's own tree so a new httpx exception class cannot slip past the policy.
    assert {httpx.ConnectTimeout, httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ConnectError} <= set(classes)
    assert TRANSPORT_RULE.retry
    assert TRANSPORT_RULE.error is PimUnavailableError


def test_a_final_422_carries_every_message_of_the_body() -> None:
    body = {
        "code": 422,
        "message": "Validation failed.",
        "errors": [{"property": "name", "message": "This value should not be blank."}],
    }
    response = httpx.Response(422, json=body)
    error = status_error(
        rule_for_status(422), response, attempts=1, retry_after_s=None, endpoint="catalogs", tenant="t", catalog=None
    )
    assert isinstance(error, PimValidationError)
    assert error.errors == ["Validation failed.", "name: This value should not be blank."]
    assert error.status == 422
    assert error.endpoint == "catalogs"


def test_a_final_error_with_an_html_body_still_gets_a_readable_message() -> None:
    response = httpx.Response(502, text="<html>" + "x" * 2000 + "</html>")
    error = status_error(
        SERVER_ERROR_RULE, response, attempts=4, retry_after_s=None, endpoint="products", tenant="t", catalog="c"
    )
    assert isinstance(error, PimUnavailableError)
    assert "HTTP 502 after 4 attempts: Bad Gateway" in str(error)
    assert len(error.body) == 500
    assert error.catalog == "c"


def test_a_final_429_keeps_the_pims_last_retry_after_hint() -> None:
    error = status_error(
        rule_for_status(429),
        httpx.Response(429),
        attempts=6,
        retry_after_s=12.0,
        endpoint="x",
        tenant="t",
        catalog=None,
    )
    assert isinstance(error, RateLimitedError)
    assert error.retry_after_s == 12.0


def test_the_pool_shares_one_client_per_pim_origin() -> None:
    pool = HttpClientPool(timeout_s=10, max_concurrency_per_token=4)
    try:
        first = pool.get("https://PIM.example.com/")
        assert pool.get("https://pim.example.com/api/rest/v1") is first
        assert pool.get("https://other.example.com") is not first
    finally:
        pool.close()
    assert first.is_closed


def test_a_closed_client_is_replaced_on_next_use() -> None:
    pool = HttpClientPool()
    try:
        first = pool.get("https://pim.example.com")
        first.close()
        assert pool.get("https://pim.example.com") is not first
    finally:
        pool.close()


def test_every_client_has_explicit_timeouts_and_fair_use_sized_limits() -> None:
    client = build_http_client(timeout_s=12.0, max_concurrency_per_token=4)
    try:
        assert client.timeout == httpx.Timeout(connect=5.0, read=12.0, write=12.0, pool=12.0)
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert pool._max_connections == 10
        assert pool._max_keepalive_connections == 4
        assert pool._http1 is True
        assert pool._http2 is False
    finally:
        client.close()


def test_the_package_exports_exactly_its_sorted_public_names() -> None:
    import akeneo_sync.akeneo as package

    assert package.__all__ == sorted(package.__all__)
    assert all(hasattr(package, name) for name in package.__all__)
    public = {name for name in vars(package) if not name.startswith("_")}
    modules = {module.name for module in pkgutil.iter_modules(package.__path__)}
    assert public - modules == set(package.__all__)


def test_threads_asking_the_pool_at_once_share_a_single_client() -> None:
    pool = HttpClientPool()
    start = threading.Barrier(8)
    seen: list[httpx.Client] = []

    def ask() -> None:
        start.wait()
        seen.append(pool.get("https://pim.example.com"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len({id(client) for client in seen}) == 1
    finally:
        pool.close()
