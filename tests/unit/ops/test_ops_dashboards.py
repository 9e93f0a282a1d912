"""The dashboards are well-formed Grafana models that show what operators need."""

from __future__ import annotations

from typing import Any

import yaml
from ops_support import ROOT, all_panels, grafana_to_promql, selected_metrics

DS_UID = "${datasource}"


def test_panel_ids_are_unique_within_each_dashboard(dashboards: dict[str, dict[str, Any]]) -> None:
    for name, dash in dashboards.items():
        ids = [p["id"] for p in all_panels(dash)]
        assert len(ids) == len(set(ids)), name


def test_panels_fit_the_grid_without_overlapping(dashboards: dict[str, dict[str, Any]]) -> None:
    for name, dash in dashboards.items():
        taken: set[tuple[int, int]] = set()
        for panel in all_panels(dash):
            g = panel["gridPos"]
            assert g["x"] >= 0, (name, panel["title"])
            assert g["x"] + g["w"] <= 24, (name, panel["title"])
            cells = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
            assert not cells & taken, (name, panel["title"])
            taken |= cells


def test_every_query_uses_the_datasource_variable(dashboards: dict[str, dict[str, Any]]) -> None:
    for name, dash in dashboards.items():
        (ds_var,) = [v for v in dash["templating"]["list"] if v["name"] == "datasource"]
        assert ds_var["type"] == "datasource"
        assert ds_var["query"] == "prometheus"
        for panel in all_panels(dash):
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] == DS_UID, (name, panel["title"])
            assert panel["targets"], (name, panel["title"])
            assert all(t["datasource"]["uid"] == DS_UID for t in panel["targets"]), (name, panel["title"])


def test_the_tenant_dashboard_has_tenant_and_catalog_variables(dashboards: dict[str, dict[str, Any]]) -> None:
    variables = {v["name"]: v for v in dashboards["akeneo-sync-tenant.json"]["templating"]["list"]}
    assert variables["tenant"]["type"] == "query"
    assert variables["catalog"]["type"] == "query"
    # The catalog list follows the chosen tenant.
    assert "$tenant" in variables["catalog"]["query"]["query"]
    assert variables["tenant"]["datasource"]["uid"] == DS_UID
    # A drill-down shows one tenant; within it, any set of catalogs.
    assert variables["tenant"]["multi"] is False
    assert variables["catalog"]["multi"] is True
    assert variables["catalog"]["allValue"] == ".*"


def test_tenant_dashboard_queries_on_tenant_metrics_filter_by_tenant(dashboards: dict[str, dict[str, Any]]) -> None:
    for panel in all_panels(dashboards["akeneo-sync-tenant.json"]):
        for target in panel.get("targets", []):
            assert 'tenant=~"$tenant"' in target["expr"], panel["title"]


def test_every_query_and_variable_is_narrowed_to_the_namespace_variable(
    dashboards: dict[str, dict[str, Any]],
) -> None:
    for name, dash in dashboards.items():
        variables = {v["name"]: v for v in dash["templating"]["list"]}
        assert variables["namespace"]["includeAll"] is True, name
        for var in variables.values():
            if var["type"] == "query" and var["name"] != "namespace":
                assert 'namespace=~"$namespace"' in var["query"]["query"], (name, var["name"])
        for panel in all_panels(dash):
            for target in panel.get("targets", []):
                expr = grafana_to_promql(target["expr"].replace('namespace=~"$namespace"', "NS"))
                # Every selector carries the matcher: none is left without it.
                for metric in selected_metrics(grafana_to_promql(target["expr"])):
                    assert f"{metric}{{NS" in expr, (name, panel["title"], metric)


def test_the_overview_shows_every_area_operators_watch(dashboards: dict[str, dict[str, Any]]) -> None:
    used: set[str] = set()
    for panel in all_panels(dashboards["akeneo-sync-overview.json"]):
        for target in panel.get("targets", []):
            used |= selected_metrics(grafana_to_promql(target["expr"]))
    wanted = {
        "akeneo_sync_products_total",  # throughput
        "akeneo_sync_pim_request_duration_seconds_bucket",  # PIM latency by endpoint
        "akeneo_sync_rate_limited_total",  # 429s
        "akeneo_sync_backoff_seconds_total",  # back-off
        "akeneo_sync_token_refreshes_total",
        "akeneo_sync_tenants_revoked_total",
        "akeneo_sync_dead_letters_total",
        "dramatiq_message_errors_total",
        "akeneo_sync_queue_depth",
        # Catalog health from Redis (the scheduler leader): present after a rollout.
        "akeneo_sync_fleet_catalog_lag_seconds",
        "akeneo_sync_fleet_catalog_last_success_timestamp_seconds",
        "akeneo_sync_fleet_catalog_state",
        "akeneo_sync_fleet_backlog_messages",  # KEDA's signal
        "akeneo_sync_scheduler_leader",
        "akeneo_sync_http_requests_total",  # web rate and status
        "akeneo_sync_http_request_duration_seconds_bucket",  # web latency
        "akeneo_sync_sync_runs_total",  # runs by outcome
    }
    assert wanted <= used, sorted(wanted - used)


def test_alert_dashboard_links_point_at_shipped_dashboards(
    dashboards: dict[str, dict[str, Any]], alert_rules: list[dict[str, Any]]
) -> None:
    uids = {d["uid"] for d in dashboards.values()}
    for rule in alert_rules:
        url = rule["annotations"]["dashboard_url"]
        assert url.split("/d/", 1)[1].split("?", 1)[0] in uids, rule["alert"]


def test_provisioning_loads_the_dashboards_from_files_with_a_prometheus_datasource() -> None:
    providers = yaml.safe_load((ROOT / "grafana/provisioning/dashboards.yaml").read_text(encoding="utf-8"))
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"]
    sources = yaml.safe_load((ROOT / "grafana/provisioning/datasources.yaml").read_text(encoding="utf-8"))
    assert [d["type"] for d in sources["datasources"]] == ["prometheus"]
