"""Every metric docs/operating.md names is registered under its exact name and labels."""

from __future__ import annotations

from akeneo_sync import metrics

DESIGN = {
    "akeneo_sync_products": {"tenant", "catalog", "action"},
    "akeneo_sync_pim_requests": {"endpoint", "status"},
    "akeneo_sync_pim_request_duration_seconds": {"endpoint"},
    "akeneo_sync_rate_limited": {"tenant"},
    "akeneo_sync_backoff_seconds": {"reason"},
    "akeneo_sync_token_refreshes": {"result"},
    "akeneo_sync_tenants_revoked": set(),
    "akeneo_sync_sync_runs": {"mode", "outcome"},
    "akeneo_sync_sync_duration_seconds": {"mode"},
    "akeneo_sync_catalog_lag_seconds": {"tenant", "catalog"},
    "akeneo_sync_last_success_timestamp_seconds": {"tenant", "catalog"},
    "akeneo_sync_catalog_enabled": {"tenant", "catalog"},
    "akeneo_sync_dead_letters": {"reason"},
    "akeneo_sync_target_push_duration_seconds": {"target"},
    "akeneo_sync_queue_depth": {"queue"},
    "akeneo_sync_events_received": {"type", "outcome"},
    # The web side's request metrics, by route template (never a raw path).
    "akeneo_sync_http_requests": {"method", "route", "status"},
    "akeneo_sync_http_request_duration_seconds": {"method", "route"},
}


def test_every_design_metric_is_defined_with_its_labels() -> None:
    defined = {m._name: set(m._labelnames) for m in metrics.ALL_METRICS}
    assert defined == DESIGN


def test_tenant_labels_can_be_collapsed_for_large_fleets() -> None:
    try:
        metrics.set_tenant_labels(False)
        assert metrics.tenant_label("tenant-42") == "_all"
    finally:
        metrics.set_tenant_labels(True)
    assert metrics.tenant_label("tenant-42") == "tenant-42"
