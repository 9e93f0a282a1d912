"""Request rate, latency and status per route template: ids never become label values."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from web_support import API_KEY, CATALOG

AUTH = {"Authorization": f"Bearer {API_KEY}"}


def _count(method: str, route: str, status: str) -> float:
    labels = {"method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("akeneo_sync_http_requests_total", labels) or 0.0


def _observations(method: str, route: str) -> float:
    labels = {"method": method, "route": route}
    return REGISTRY.get_sample_value("akeneo_sync_http_request_duration_seconds_count", labels) or 0.0


def test_requests_are_counted_by_route_template_and_status(client: TestClient, tenant: str) -> None:
    status_route = "/v1/tenants/{tenant}/catalogs/{catalog}"
    before = {
        "ok": _count("GET", status_route, "200"),
        "unknown": _count("GET", status_route, "404"),
        "unauthorised": _count("GET", status_route, "401"),
        "unmatched": _count("GET", "unmatched", "404"),
        "events": _count("POST", "/events", "401"),
        "timed": _observations("GET", status_route),
    }

    assert client.get(f"/v1/tenants/{tenant}/catalogs/{CATALOG}", headers=AUTH).status_code == 200
    assert client.get(f"/v1/tenants/{tenant}/catalogs/nope", headers=AUTH).status_code == 404
    assert client.get(f"/v1/tenants/{tenant}/catalogs/{CATALOG}").status_code == 401
    assert client.get("/no/such/path/12345").status_code == 404
    bad = client.post("/events", content=b'{"x":1}', headers={"Content-Type": "application/json", "X-Signature": "0"})
    assert bad.status_code == 401

    assert _count("GET", status_route, "200") == before["ok"] + 1
    assert _count("GET", status_route, "404") == before["unknown"] + 1
    assert _count("GET", status_route, "401") == before["unauthorised"] + 1
    assert _count("GET", "unmatched", "404") == before["unmatched"] + 1
    assert _count("POST", "/events", "401") == before["events"] + 1
    assert _observations("GET", status_route) == before["timed"] + 3
    # No series carries a raw path or an id.
    routes = {s.labels["route"] for m in REGISTRY.collect() if m.name == "akeneo_sync_http_requests" for s in m.samples}
    assert not any(tenant in r or "12345" in r for r in routes), routes
