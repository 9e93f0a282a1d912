"""Narrow decisions of `AkeneoClient` against a scripted PIM (behaviour is proven on the emulator)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from akeneo_sync.akeneo.auth import AppTokenProvider, ConnectionTokenProvider
from akeneo_sync.akeneo.client import AkeneoClient
from akeneo_sync.akeneo.ratelimit import FairUsePolicy, InProcessFairUseLimiter
from akeneo_sync.errors import (
    CatalogDisabledError,
    PimError,
    PimUnavailableError,
    RateLimitedError,
    TokenRevokedError,
)
from akeneo_sync.retry import full_jitter

PIM = "https://pim.example.com"  # the scripted PIM's base URL (see conftest.py)
UUIDS = f"{PIM}/api/rest/v1/catalogs/c1/product-uuids"
MakeKit = Callable[..., Any]  # conftest.make_kit -> ClientKit(client, pim, clock)


def page(items: list[object], next_href: str | None = None) -> httpx.Response:
    links: dict[str, object] = {"self": {"href": UUIDS}, "first": {"href": UUIDS}}
    if next_href is not None:
        links["next"] = {"href": next_href}
    return httpx.Response(200, json={"_links": links, "_embedded": {"items": items}})


def throttled(retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = {"code": 429, "message": "You have exceeded the limit of API requests per second."}
    return httpx.Response(429, json=body, headers=headers)


def test_a_429_with_retry_after_waits_exactly_that_long(make_kit: MakeKit, metric: Callable[..., float]) -> None:
    kit = make_kit(throttled("7"), page(["u1"]))
    before = metric("akeneo_sync_rate_limited_total", tenant="t1")
    assert kit.client.product_uuids_page("c1").items == ["u1"]
    assert kit.clock.sleeps == [7.0]
    assert metric("akeneo_sync_rate_limited_total", tenant="t1") == before + 1


def test_a_retry_after_http_date_is_measured_against_the_injected_clock(make_kit: MakeKit) -> None:
    kit = make_kit(page(["u1"]))
    when = datetime.fromtimestamp(kit.clock.now() + 20, tz=UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    kit.pim.answers[:0] = [throttled(when)]
    kit.client.product_uuids_page("c1")
    assert kit.clock.sleeps == [20.0]


def test_a_429_without_retry_after_backs_off_with_seeded_full_jitter(make_kit: MakeKit) -> None:
    kit = make_kit(throttled(), throttled(), page([]), seed=5)
    kit.client.product_uuids_page("c1")
    rng = random.Random(5)
    expected = [full_jitter(n, rng, base_s=1.0, cap_s=30.0) for n in (1, 2)]
    assert kit.clock.sleeps == expected
    assert 0 <= expected[0] <= 1.0
    assert 0 <= expected[1] <= 2.0


def test_429s_beyond_the_attempt_budget_raise_rate_limited_with_the_last_hint(make_kit: MakeKit) -> None:
    kit = make_kit(throttled("3"), max_attempts=4)
    with pytest.raises(RateLimitedError) as caught:
        kit.client.product_uuids_page("c1")
    assert len(kit.pim.requests) == 4
    assert kit.clock.sleeps == [3.0, 3.0, 3.0]
    assert caught.value.retry_after_s == 3.0
    assert caught.value.retryable


def test_a_retry_after_past_the_deadline_gives_up_at_once_instead_of_sleeping(make_kit: MakeKit) -> None:
    kit = make_kit(throttled("90"), deadline_s=60)
    with pytest.raises(RateLimitedError) as caught:
        kit.client.product_uuids_page("c1")
    assert kit.clock.sleeps == []
    assert caught.value.retry_after_s == 90.0


def _transport_errors() -> list[type[httpx.TransportError]]:
    found, pending = [], [httpx.TransportError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("error", _transport_errors(), ids=lambda cls: cls.__name__)
def test_every_transport_failure_is_retried_then_reported_unavailable(
    make_kit: MakeKit, metric: Callable[..., float], error: type[httpx.TransportError]
) -> None:
    kit = make_kit(error("boom"), max_attempts=3)
    before = metric("akeneo_sync_pim_requests_total", endpoint="product-uuids", status="error")
    with pytest.raises(PimUnavailableError) as caught:
        kit.client.product_uuids_page("c1")
    assert len(kit.pim.requests) == 3
    assert len(kit.clock.sleeps) == 2
    assert isinstance(caught.value.__cause__, error)
    assert metric("akeneo_sync_pim_requests_total", endpoint="product-uuids", status="error") == before + 3


def test_a_transient_5xx_then_success_returns_the_page(make_kit: MakeKit, metric: Callable[..., float]) -> None:
    kit = make_kit(httpx.Response(503), httpx.Response(500), page(["u1"]))
    before = metric("akeneo_sync_backoff_seconds_total", reason="backoff_5xx")
    assert kit.client.product_uuids_page("c1").items == ["u1"]
    assert metric("akeneo_sync_backoff_seconds_total", reason="backoff_5xx") == pytest.approx(
        before + sum(kit.clock.sleeps)
    )


def test_an_app_token_401_is_revoked_after_exactly_one_request(make_kit: MakeKit) -> None:
    kit = make_kit(httpx.Response(401, json={"code": 401, "message": "The access token provided is invalid."}))
    with pytest.raises(TokenRevokedError) as caught:
        kit.client.get_catalog("c1")
    assert len(kit.pim.requests) == 1
    assert "app-token" not in str(caught.value)
    assert "app-token" not in caught.value.body


def test_after_a_final_401_the_clients_other_calls_fail_without_a_request(make_kit: MakeKit) -> None:
    # The cursors of one run share a client: once one call learnt the token is revoked, the
    # others must not send it again (at most one request after the 401).
    kit = make_kit(httpx.Response(401, json={"code": 401, "message": "The access token provided is invalid."}))
    with pytest.raises(TokenRevokedError):
        kit.client.mapped_products_page("c1")
    with pytest.raises(TokenRevokedError):
        kit.client.mapped_products_page("c1")
    assert len(kit.pim.requests) == 1


def test_the_bearer_token_is_sent_on_every_call(make_kit: MakeKit) -> None:
    kit = make_kit(page([]))
    kit.client.product_uuids_page("c1")
    assert kit.pim.requests[0].headers["authorization"] == "Bearer app-token"


def test_dates_are_sent_as_atom_with_the_plus_sign_percent_encoded(make_kit: MakeKit) -> None:
    kit = make_kit(page([]))
    after = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    kit.client.mapped_products_page("c1", updated_after=after, updated_before=after, limit=50)
    query = kit.pim.requests[0].url.query.decode()
    assert "updated_after=2024-05-06T07%3A08%3A09%2B00%3A00" in query
    assert "updated_before=2024-05-06T07%3A08%3A09%2B00%3A00" in query
    assert "limit=50" in query


def test_a_path_only_next_link_is_resolved_against_the_pim(make_kit: MakeKit) -> None:
    kit = make_kit(page(["u1"], "/api/rest/v1/catalogs/c1/product-uuids?search_after=u1&limit=1"))
    result = kit.client.product_uuids_page("c1", limit=1)
    assert result.next_url == f"{PIM}/api/rest/v1/catalogs/c1/product-uuids?search_after=u1&limit=1"


def test_the_next_link_is_followed_verbatim_not_rebuilt(make_kit: MakeKit) -> None:
    cursor = f"{PIM}/api/rest/v1/catalogs/c1/product-uuids?search_after=opaque%2Fcursor&limit=1"
    kit = make_kit(page(["u1"], cursor), page(["u2"]))
    first = kit.client.product_uuids_page("c1", limit=1)
    assert first.next_url == cursor
    assert kit.client.product_uuids_page("c1", next_url=first.next_url).items == ["u2"]
    assert str(kit.pim.requests[1].url) == cursor


def test_giving_up_is_logged_once_with_the_attempts_spent(make_kit: MakeKit) -> None:
    kit = make_kit(httpx.ConnectError("refused"), max_attempts=3)
    with capture_logs() as logs, pytest.raises(PimUnavailableError):
        kit.client.get_catalog("c1")
    gave_up = [entry for entry in logs if entry["event"] == "pim_gave_up"]
    assert [(entry["status"], entry["attempts"]) for entry in gave_up] == [("ConnectError", 3)]


def test_a_next_link_to_another_host_is_refused_so_the_token_never_leaves(make_kit: MakeKit) -> None:
    kit = make_kit(page(["u1"], "https://evil.example.com/steal?search_after=u1"))
    with pytest.raises(PimError, match="another host"):
        kit.client.product_uuids_page("c1")
    assert len(kit.pim.requests) == 1


def test_a_resumed_next_url_off_the_pim_is_refused_before_any_request(make_kit: MakeKit) -> None:
    kit = make_kit(page([]))
    with pytest.raises(PimError, match="another host"):
        kit.client.mapped_products_page("c1", next_url="http://169.254.169.254/latest/meta-data")
    assert kit.pim.requests == []


def test_a_next_link_pointing_at_the_same_page_stops_the_iteration(make_kit: MakeKit) -> None:
    catalogs = f"{PIM}/api/rest/v1/catalogs?limit=100"
    item = {"id": "8c7a1f5e-0b1d-4f6e-9a57-2f0f4a6c3d21", "name": "Store", "enabled": True}
    looping = {"_links": {"self": {"href": catalogs}, "next": {"href": catalogs}}, "_embedded": {"items": [item]}}
    kit = make_kit(httpx.Response(200, json=looping))
    with pytest.raises(PimError, match="already read"):
        list(kit.client.iter_catalogs())


@pytest.mark.parametrize(
    "body",
    [
        {"error": "No products to synchronize. The catalog c1 has been disabled on the PIM side."},
        {"message": "No products to synchronize.", "error": "disabled"},
    ],
)
def test_a_200_error_body_on_a_product_list_is_a_disabled_catalog(make_kit: MakeKit, body: object) -> None:
    kit = make_kit(httpx.Response(200, json=body))
    with pytest.raises(CatalogDisabledError) as caught:
        kit.client.mapped_products_page("c1")
    assert caught.value.catalog == "c1"
    assert caught.value.tenant == "t1"
    assert len(kit.pim.requests) == 1


def test_a_disabled_catalog_on_a_single_mapped_product_uses_the_message_key(make_kit: MakeKit) -> None:
    kit = make_kit(httpx.Response(200, json={"message": "No product to synchronize."}))
    with pytest.raises(CatalogDisabledError):
        kit.client.get_mapped_product("c1", "u1")


def test_a_missing_mapped_product_is_none(make_kit: MakeKit) -> None:
    kit = make_kit(httpx.Response(404, json={"code": 404, "message": "Either catalog ..."}))
    assert kit.client.get_mapped_product("c1", "u1") is None


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, json={"_links": {}}),
        httpx.Response(200, json={"_links": {}, "_embedded": {"items": "nope"}}),
        httpx.Response(200, json=[1, 2]),
    ],
)
def test_a_malformed_200_body_is_a_retryable_unavailable_error_not_a_crash(
    make_kit: MakeKit, answer: httpx.Response
) -> None:
    kit = make_kit(answer)
    with pytest.raises(PimUnavailableError) as caught:
        kit.client.product_uuids_page("c1")
    assert caught.value.retryable


@pytest.mark.parametrize("status", [200, 201, 204])
def test_any_2xx_on_the_mapping_schema_put_is_success(make_kit: MakeKit, status: int) -> None:
    kit = make_kit(httpx.Response(status))
    kit.client.put_mapping_schema("c1", {"type": "object"})
    assert kit.pim.requests[0].method == "PUT"
    assert kit.pim.requests[0].url.path == "/api/rest/v1/catalogs/c1/mapping-schemas/product"


def test_catalog_ids_are_path_escaped(make_kit: MakeKit) -> None:
    kit = make_kit(httpx.Response(404, json={"code": 404, "message": "x"}))
    assert kit.client.get_mapped_product("../c1", "u/1") is None
    assert kit.pim.requests[0].url.raw_path.startswith(b"/api/rest/v1/catalogs/..%2Fc1/mapped-products/u%2F1")


def test_retries_are_logged_without_the_token(make_kit: MakeKit) -> None:
    kit = make_kit(throttled("1"), httpx.Response(503), page(["u1"]))
    with capture_logs() as logs:
        kit.client.product_uuids_page("c1")
    retries = [entry for entry in logs if entry["event"] == "pim_retry"]
    assert [entry["status"] for entry in retries] == [429, 503]
    assert not [entry for entry in logs if entry["event"] == "pim_gave_up"]
    assert "app-token" not in repr(logs)
    assert "app-token" not in repr(kit.client)


def test_each_request_is_counted_and_timed_by_endpoint_template(
    make_kit: MakeKit, metric: Callable[..., float]
) -> None:
    kit = make_kit(httpx.Response(503), page([]))
    ok = metric("akeneo_sync_pim_requests_total", endpoint="mapped-products", status="200")
    failed = metric("akeneo_sync_pim_requests_total", endpoint="mapped-products", status="503")
    timed = metric("akeneo_sync_pim_request_duration_seconds_count", endpoint="mapped-products")
    kit.client.mapped_products_page("c1")
    assert metric("akeneo_sync_pim_requests_total", endpoint="mapped-products", status="200") == ok + 1
    assert metric("akeneo_sync_pim_requests_total", endpoint="mapped-products", status="503") == failed + 1
    assert metric("akeneo_sync_pim_request_duration_seconds_count", endpoint="mapped-products") == timed + 2


def test_a_503_with_retry_after_waits_what_the_pim_asked(make_kit: MakeKit, metric: Callable[..., float]) -> None:
    kit = make_kit(httpx.Response(503, headers={"Retry-After": "5"}), page([]))
    before = metric("akeneo_sync_backoff_seconds_total", reason="retry_after")
    kit.client.product_uuids_page("c1")
    assert kit.clock.sleeps == [5.0]
    assert metric("akeneo_sync_backoff_seconds_total", reason="retry_after") == before + 5


def test_no_fair_use_slot_in_time_is_rate_limited_before_any_request(make_kit: MakeKit) -> None:
    kit = make_kit(page([]))
    # Swap in a tight limiter whose only slot is held elsewhere for longer than the caller may wait.
    tight = InProcessFairUseLimiter(
        policy=FairUsePolicy(max_concurrent=1, lease_ttl_s=600, max_wait_s=5, poll_s=1), clock=kit.clock
    )
    client = AkeneoClient(
        PIM, http=kit.http, tokens=AppTokenProvider("t"), limiter=tight, clock=kit.clock, rng=random.Random(1)
    )
    with tight.acquire(), pytest.raises(RateLimitedError) as caught:
        client.product_uuids_page("c1")
    assert kit.pim.requests == []
    assert caught.value.retryable


def test_a_token_endpoint_hiccup_is_retried_under_the_calls_budget(make_kit: MakeKit, clock: Any) -> None:
    token_answers = [httpx.Response(503), httpx.Response(200, json={"access_token": "a1", "expires_in": 3600})]

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        return token_answers.pop(0)

    token_http = httpx.Client(transport=httpx.MockTransport(token_endpoint))
    tokens = ConnectionTokenProvider(
        token_http, PIM, client_id="c", secret="s", username="u", password="p", clock=clock
    )
    kit = make_kit(page(["u1"]), tokens=tokens)
    try:
        assert kit.client.product_uuids_page("c1").items == ["u1"]
    finally:
        token_http.close()
    assert len(kit.clock.sleeps) == 1
    assert kit.pim.requests[0].headers["authorization"] == "Bearer a1"
