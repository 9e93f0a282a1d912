"""The enqueue/status API and the probes, against real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from web_support import API_KEY, CATALOG, TestClient

from akeneo_sync.clock import ManualClock
from akeneo_sync.state import CatalogStatus, NewDeadLetter, StateStore, TokenCipher
from akeneo_sync.web import WebConfig, create_app
from akeneo_sync.web.testing import Enqueued, RecordingEnqueuer

pytestmark = pytest.mark.integration
AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {API_KEY}"},
        {"Authorization": API_KEY},
        {"Authorization": f"Bearer {API_KEY}x"},
    ],
)
def test_the_api_refuses_a_missing_or_wrong_key_and_enqueues_nothing(
    tenant: str, client: TestClient, enqueuer: RecordingEnqueuer, headers: dict[str, str]
) -> None:
    sync = client.post(f"/v1/tenants/{tenant}/catalogs/{CATALOG}/sync", json={"mode": "full"}, headers=headers)
    status = client.get(f"/v1/tenants/{tenant}/catalogs/{CATALOG}", headers=headers)
    assert (sync.status_code, status.status_code) == (401, 401)
    assert sync.headers["WWW-Authenticate"] == "Bearer"
    assert enqueuer.calls == []


@pytest.mark.parametrize("mode", ["full", "incremental", "refresh"])
def test_a_sync_request_is_enqueued_and_answered_202(
    tenant: str, client: TestClient, enqueuer: RecordingEnqueuer, mode: str
) -> None:
    response = client.post(f"/v1/tenants/{tenant}/catalogs/{CATALOG}/sync", json={"mode": mode}, headers=AUTH)
    assert response.status_code == 202
    assert response.json() == {"enqueued": True, "tenant": tenant, "catalog": CATALOG, "mode": mode}
    assert enqueuer.calls == [Enqueued("sync_catalog", tenant, (CATALOG, mode))]


def test_an_invalid_mode_is_refused(tenant: str, client: TestClient, enqueuer: RecordingEnqueuer) -> None:
    response = client.post(f"/v1/tenants/{tenant}/catalogs/{CATALOG}/sync", json={"mode": "everything"}, headers=AUTH)
    assert response.status_code == 422
    assert enqueuer.calls == []


@pytest.mark.parametrize(("tenant_id", "catalog"), [("nobody", CATALOG), ("tenant-1", "no-such-catalog")])
def test_an_unknown_tenant_or_catalog_is_404(
    tenant: str, client: TestClient, enqueuer: RecordingEnqueuer, tenant_id: str, catalog: str
) -> None:
    sync = client.post(f"/v1/tenants/{tenant_id}/catalogs/{catalog}/sync", json={"mode": "full"}, headers=AUTH)
    status = client.get(f"/v1/tenants/{tenant_id}/catalogs/{catalog}", headers=AUTH)
    assert (sync.status_code, status.status_code) == (404, 404)
    assert enqueuer.calls == []


def test_the_status_of_a_never_synced_catalog(tenant: str, client: TestClient) -> None:
    response = client.get(f"/v1/tenants/{tenant}/catalogs/{CATALOG}", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {
        "tenant": tenant,
        "catalog": CATALOG,
        "name": "Store",
        "enabled": True,
        "state": "idle",
        "action": None,
        "last_run": None,
        "counts": {"upserted": 0, "skipped": 0, "deleted": 0, "failed": 0},
        "lag_s": None,
        "dead_letters": 0,
    }


def test_the_status_reports_the_last_run_lag_and_dead_letters(
    tenant: str, client: TestClient, store: StateStore, clock: ManualClock
) -> None:
    run_started = clock.now()
    pipe = store.transaction()
    store.catalogs.stage_status(pipe, tenant, CATALOG, CatalogStatus.DISABLED, enabled=False)
    store.commit(pipe)
    store.redis.hset(
        store.keys.catalog(tenant, CATALOG),
        mapping={
            "watermark": str(run_started),
            "last_run_id": "run-7",
            "last_run_at": str(run_started + 12),
            "last_outcome": "success",
            "count_upserted": "40",
            "count_failed": "2",
        },
    )
    store.dead_letters.add(tenant, NewDeadLetter(catalog=CATALOG, reason="invalid", detail="no uuid", payload={}))
    clock.advance(100)
    body = client.get(f"/v1/tenants/{tenant}/catalogs/{CATALOG}", headers=AUTH).json()
    assert (body["enabled"], body["state"]) == (False, "disabled")
    assert body["last_run"] == {"id": "run-7", "finished_at": run_started + 12, "outcome": "success"}
    assert body["counts"]["upserted"] == 40
    assert body["counts"]["failed"] == 2
    assert body["lag_s"] == 100.0
    assert body["dead_letters"] == 1


def test_the_status_of_a_catalog_refused_for_a_missing_scope_says_what_the_pim_user_must_do(
    tenant: str, client: TestClient, store: StateStore
) -> None:
    store.catalogs.set_status(tenant, CATALOG, CatalogStatus.SCOPE_MISSING)
    body = client.get(f"/v1/tenants/{tenant}/catalogs/{CATALOG}", headers=AUTH).json()
    assert body["state"] == "scope_missing"
    assert "connect it again to grant the scopes" in body["action"]


def test_the_api_is_typed_in_the_openapi_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    sync = document["paths"]["/v1/tenants/{tenant}/catalogs/{catalog}/sync"]["post"]
    status = document["paths"]["/v1/tenants/{tenant}/catalogs/{catalog}"]["get"]
    accepted = sync["responses"]["202"]["content"]["application/json"]["schema"]
    assert accepted == {"$ref": "#/components/schemas/SyncAccepted"}
    assert status["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CatalogStatusResponse"
    }
    assert {"401", "404"} <= set(status["responses"])
    assert "HTTPBearer" in document["components"]["securitySchemes"]


def test_healthz_answers_ok(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_200_when_redis_answers(client: TestClient) -> None:
    assert client.get("/readyz").status_code == 200


@pytest.fixture
def client_without_redis(config: WebConfig, enqueuer: RecordingEnqueuer, clock: ManualClock) -> Iterator[TestClient]:
    """The app on a Redis address where nothing listens."""
    # No retries: redis-py would otherwise back off for seconds before giving up.
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    store = StateStore(dead, cipher=TokenCipher.generate(), clock=clock, prefix="web-test")
    app = create_app(config, store=store, enqueuer=enqueuer, clock=clock)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def test_readyz_is_503_when_redis_is_gone(client_without_redis: TestClient) -> None:
    response = client_without_redis.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "redis unavailable"}


def test_metrics_exposes_the_event_counter(tenant: str, client: TestClient) -> None:
    client.post("/events", content=b"{}")  # unsigned: counted as bad_signature
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'akeneo_sync_events_received_total{outcome="bad_signature",type="other"}' in response.text


@pytest.mark.parametrize("path", ["/v1/tenants/t/catalogs/c", "/activate?pim_url=https://93.184.216.34"])
def test_redis_failure_during_a_request_is_a_503_not_a_500(client_without_redis: TestClient, path: str) -> None:
    response = client_without_redis.get(path, headers=AUTH)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"


@pytest.mark.parametrize("body", [b"{bad}", b"", b'{"mode": "everything"}', b"x" * 100_000])
def test_without_the_key_any_body_is_a_401_never_a_parse_error(
    tenant: str, client: TestClient, enqueuer: RecordingEnqueuer, body: bytes
) -> None:
    response = client.post(
        f"/v1/tenants/{tenant}/catalogs/{CATALOG}/sync", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401
    assert enqueuer.calls == []


def test_an_authenticated_body_over_4_kib_is_a_413(
    tenant: str, client: TestClient, enqueuer: RecordingEnqueuer
) -> None:
    body = b'{"mode": "full", "pad": "' + b"x" * 5000 + b'"}'
    response = client.post(
        f"/v1/tenants/{tenant}/catalogs/{CATALOG}/sync",
        content=body,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert enqueuer.calls == []


def test_an_authenticated_malformed_body_is_a_422_naming_the_body(tenant: str, client: TestClient) -> None:
    response = client.post(
        f"/v1/tenants/{tenant}/catalogs/{CATALOG}/sync",
        content=b"{bad}",
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"
