"""The Grafana dashboards of akeneo-sync as data: an overview and a per-tenant drill-down.

`generate.py` writes them to `grafana/dashboards/*.json`. Panel ids and grid positions are
assigned here, so they are unique and never overlap; queries use only metrics from
`akeneo_sync.metrics`, dramatiq's Prometheus middleware and `up` (a pytest checks this).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from alerts import CONFIG, OVERVIEW_UID, TENANT_UID

DS: dict[str, str] = {"type": "prometheus", "uid": "${datasource}"}
RATE = "$__rate_interval"
# Our metrics carry tenant/catalog; `=~` lets the "All" option (`.*`) and multi-select work.
TC = 'tenant=~"$tenant", catalog=~"$catalog"'
T = 'tenant=~"$tenant"'
WIDTH = 24
# Every selector is narrowed to the `namespace` variable (one install per namespace; "All" is
# `.*`, which also matches series without the label, e.g. a plain scrape outside Kubernetes).
NS = 'namespace=~"$namespace"'
_SELECTOR = re.compile(r"\b(akeneo_sync_\w+|dramatiq_\w+|up)\b(\{([^}]*)\})?")


def in_namespace(expr: str) -> str:
    """`expr` with the namespace matcher added to each selector of our, dramatiq's and `up` series."""

    def add(match: re.Match[str]) -> str:
        inner = match.group(3)
        return f"{match.group(1)}{{{NS}{', ' + inner if inner else ''}}}"

    return _SELECTOR.sub(add, expr)


@dataclass(frozen=True, slots=True)
class Query:
    """One PromQL target of a panel."""

    expr: str
    legend: str = ""
    instant: bool = False


@dataclass(frozen=True, slots=True)
class Graph:
    """A panel: a time series by default, `stat` or `table` when asked."""

    title: str
    description: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: str = "timeseries"
    width: int = 8
    height: int = 8


def q(expr: str, legend: str = "", *, instant: bool = False) -> Query:
    """Shorthand for a target (narrowed to the selected namespaces)."""
    return Query(in_namespace(expr), legend, instant)


def _panel(pid: int, g: Graph, x: int, y: int) -> dict[str, Any]:
    targets = []
    for i, query in enumerate(g.queries):
        target: dict[str, Any] = {
            "datasource": DS,
            "refId": chr(ord("A") + i),
            "expr": query.expr,
            "legendFormat": query.legend or "__auto",
            "range": not query.instant,
            "instant": query.instant,
        }
        targets.append(target)
    options: dict[str, Any]
    if g.kind == "timeseries":
        options = {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    elif g.kind == "stat":
        options = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
            "textMode": "auto",
        }
    else:
        options = {"showHeader": True, "sortBy": [{"displayName": "Value", "desc": True}]}
    return {
        "id": pid,
        "type": g.kind,
        "title": g.title,
        "description": g.description,
        "datasource": DS,
        "gridPos": {"h": g.height, "w": g.width, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": g.unit}, "overrides": []},
        "options": options,
        "targets": targets,
    }


def _layout(sections: list[tuple[str, list[Graph]]]) -> list[dict[str, Any]]:
    """Rows of panels flowing left to right, with ids 1.. in reading order."""
    panels: list[dict[str, Any]] = []
    pid, y = 1, 0
    for title, graphs in sections:
        panels.append(
            {
                "id": pid,
                "type": "row",
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": WIDTH, "x": 0, "y": y},
                "panels": [],
            }
        )
        pid, y, x, row_h = pid + 1, y + 1, 0, 0
        for g in graphs:
            if x + g.width > WIDTH:
                x, y, row_h = 0, y + row_h, 0
            panels.append(_panel(pid, g, x, y))
            pid, x, row_h = pid + 1, x + g.width, max(row_h, g.height)
        y += row_h
    return panels


def _datasource_var() -> dict[str, Any]:
    return {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "refresh": 1,
        "hide": 0,
        "includeAll": False,
        "multi": False,
        "regex": "",
        "options": [],
    }


def _query_var(name: str, label: str, query: str, *, multi: bool) -> dict[str, Any]:
    """A label_values variable, refreshed on time-range change; `multi` adds "All" and multi-select."""
    var: dict[str, Any] = {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DS,
        "query": {"query": query, "refId": f"{name}-var"},
        "refresh": 2,
        "sort": 1,
        "hide": 0,
        "includeAll": multi,
        "multi": multi,
        "regex": "",
        "options": [],
    }
    if multi:
        var |= {"allValue": ".*", "current": {"text": "All", "value": "$__all"}}
    return var


def _namespace_var() -> dict[str, Any]:
    """The namespaces running akeneo-sync (any of its scrape jobs); "All" by default."""
    return _query_var("namespace", "Namespace", 'label_values(up{job=~".*akeneo-sync.*"}, namespace)', multi=True)


def _dashboard(
    uid: str, title: str, description: str, panels: list[dict[str, Any]], variables: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["akeneo-sync"],
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "timezone": "utc",
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "annotations": {"list": []},
        "links": [
            {
                "title": "akeneo-sync dashboards",
                "type": "dashboards",
                "tags": ["akeneo-sync"],
                "asDropdown": False,
                "includeVars": True,
                "keepTime": True,
                "icon": "external link",
                "targetBlank": False,
                "tooltip": "",
                "url": "",
            }
        ],
        "templating": {"list": variables},
        "panels": panels,
    }


def overview() -> dict[str, Any]:
    """The fleet overview: throughput, the PIM, errors, queues and catalogs."""
    worker_up = f"sum(up{{{CONFIG.worker_job_selector}}})"
    sections: list[tuple[str, list[Graph]]] = [
        (
            "Throughput",
            [
                Graph(
                    "Products per second by action",
                    "Upserted, deleted, skipped (unchanged digest) and failed.",
                    (q(f"sum by (action) (rate(akeneo_sync_products_total[{RATE}]))", "{{action}}"),),
                    "ops",
                ),
                Graph(
                    "Sync runs by outcome",
                    "Finished sync runs per minute, by mode and outcome.",
                    (
                        q(
                            f"sum by (mode, outcome) (rate(akeneo_sync_sync_runs_total[{RATE}])) * 60",
                            "{{mode}} {{outcome}}",
                        ),
                    ),
                    "short",
                ),
                Graph(
                    "Sync duration p95 by mode",
                    "95th percentile wall time of a sync run.",
                    (
                        q(
                            "histogram_quantile(0.95, sum by (le, mode) "
                            f"(rate(akeneo_sync_sync_duration_seconds_bucket[{RATE}])))",
                            "{{mode}}",
                        ),
                    ),
                    "s",
                ),
                Graph(
                    "Messages processed by actor",
                    "Dramatiq messages handled per second (failures included).",
                    (q(f"sum by (actor_name) (rate(dramatiq_messages_total[{RATE}]))", "{{actor_name}}"),),
                    "ops",
                ),
                Graph(
                    "Messages in progress",
                    "Messages being processed right now, fleet-wide.",
                    (q("sum by (actor_name) (dramatiq_messages_inprogress)", "{{actor_name}}"),),
                    "short",
                ),
                Graph(
                    "Target push latency p95",
                    "95th percentile time to push one batch downstream.",
                    (
                        q(
                            "histogram_quantile(0.95, sum by (le, target) "
                            f"(rate(akeneo_sync_target_push_duration_seconds_bucket[{RATE}])))",
                            "{{target}}",
                        ),
                    ),
                    "s",
                ),
            ],
        ),
        (
            "PIM",
            [
                Graph(
                    "PIM requests by endpoint and status",
                    "Requests per second sent to the PIMs.",
                    (
                        q(
                            f"sum by (endpoint, status) (rate(akeneo_sync_pim_requests_total[{RATE}]))",
                            "{{endpoint}} {{status}}",
                        ),
                    ),
                    "reqps",
                    width=12,
                ),
                Graph(
                    "PIM latency by endpoint",
                    "p50 and p95 of PIM request latency.",
                    (
                        q(
                            "histogram_quantile(0.95, sum by (le, endpoint) "
                            f"(rate(akeneo_sync_pim_request_duration_seconds_bucket[{RATE}])))",
                            "p95 {{endpoint}}",
                        ),
                        q(
                            "histogram_quantile(0.5, sum by (le, endpoint) "
                            f"(rate(akeneo_sync_pim_request_duration_seconds_bucket[{RATE}])))",
                            "p50 {{endpoint}}",
                        ),
                    ),
                    "s",
                    width=12,
                ),
                Graph(
                    "429 answers by tenant",
                    "Rate-limited answers per second; sustained means over fair use.",
                    (q(f"sum by (tenant) (rate(akeneo_sync_rate_limited_total[{RATE}]))", "{{tenant}}"),),
                    "reqps",
                ),
                Graph(
                    "Back-off by reason",
                    "Seconds spent waiting before retries per second, fleet-wide: 3 means"
                    " three worker threads back off all the time.",
                    (q(f"sum by (reason) (rate(akeneo_sync_backoff_seconds_total[{RATE}]))", "{{reason}}"),),
                    "short",
                ),
                Graph(
                    "Token refreshes and revocations",
                    "Connection-token refreshes by result; tenants revoked.",
                    (
                        q(
                            f"sum by (result) (increase(akeneo_sync_token_refreshes_total[{RATE}]))",
                            "refresh {{result}}",
                        ),
                        q(f"sum(increase(akeneo_sync_tenants_revoked_total[{RATE}]))", "tenants revoked"),
                    ),
                    "short",
                ),
            ],
        ),
        (
            "Errors and dead letters",
            [
                Graph(
                    "Dead letters by reason",
                    "Items recorded as dead letters (replay with `dead-letters replay`).",
                    (q(f"sum by (reason) (increase(akeneo_sync_dead_letters_total[{RATE}]))", "{{reason}}"),),
                    "short",
                ),
                Graph(
                    "Message errors and rejects",
                    "Dramatiq errors (retried) and rejects (dead-lettered messages).",
                    (
                        q(
                            f"sum by (actor_name) (rate(dramatiq_message_errors_total[{RATE}]))",
                            "errors {{actor_name}}",
                        ),
                        q(
                            f"sum by (actor_name) (rate(dramatiq_message_rejects_total[{RATE}]))",
                            "rejects {{actor_name}}",
                        ),
                    ),
                    "ops",
                ),
                Graph(
                    "PIM errors",
                    "4xx/5xx answers from the PIMs per second.",
                    (
                        q(
                            "sum by (endpoint, status) "
                            f'(rate(akeneo_sync_pim_requests_total{{status=~"4..|5.."}}[{RATE}]))',
                            "{{endpoint}} {{status}}",
                        ),
                    ),
                    "reqps",
                ),
                Graph(
                    "Events received",
                    "Event Platform deliveries by type and outcome.",
                    (
                        q(
                            f"sum by (type, outcome) (rate(akeneo_sync_events_received_total[{RATE}]))",
                            "{{type}} {{outcome}}",
                        ),
                    ),
                    "ops",
                    width=24,
                    height=7,
                ),
            ],
        ),
        (
            "Queues and workers",
            [
                Graph(
                    "Queue depth",
                    "Messages waiting per queue (ready, delayed, dead-lettered).",
                    (q("max by (queue) (akeneo_sync_queue_depth)", "{{queue}}"),),
                    "short",
                ),
                Graph(
                    "Backlog (KEDA's signal)",
                    "Messages ready, delayed and in flight (held by a worker: running "
                    "or prefetched), read from Redis by the scheduler leader. KEDA adds a worker per 16.",
                    (q("max by (state) (akeneo_sync_fleet_backlog_messages)", "{{state}}"),),
                    "short",
                ),
                Graph(
                    "Message duration p95 by actor",
                    "95th percentile time to process one message.",
                    (
                        q(
                            "histogram_quantile(0.95, sum by (le, actor_name) "
                            f"(rate(dramatiq_message_duration_milliseconds_bucket[{RATE}]))) / 1000",
                            "{{actor_name}}",
                        ),
                    ),
                    "s",
                ),
                Graph("Workers up", "Worker pods answering scrapes.", (q(worker_up, "workers"),), "short", kind="stat"),
            ],
        ),
        (
            "Catalogs (fleet health, from Redis)",
            [
                Graph(
                    "Catalog lag",
                    "Seconds since the watermark of each catalog's last successful sync, read from "
                    "Redis by the scheduler leader: present after a rollout, whether or not a worker ran since.",
                    (q("max by (tenant, catalog) (akeneo_sync_fleet_catalog_lag_seconds)", "{{tenant}}/{{catalog}}"),),
                    "s",
                    width=12,
                ),
                Graph(
                    "Time since last successful sync",
                    "Per catalog; compare with the incremental interval.",
                    (
                        q(
                            "time() - max by (tenant, catalog) "
                            "(akeneo_sync_fleet_catalog_last_success_timestamp_seconds > 0)",
                            "{{tenant}}/{{catalog}}",
                            instant=True,
                        ),
                    ),
                    "s",
                    kind="table",
                    width=12,
                ),
                Graph(
                    "Catalogs by state",
                    "How many catalogs are idle, running, failed, paused or disabled.",
                    (
                        q(
                            "sum by (state) (max by (tenant, catalog, state) (akeneo_sync_fleet_catalog_state))",
                            "{{state}}",
                        ),
                    ),
                    "short",
                    width=8,
                ),
                Graph(
                    "Disabled catalogs",
                    "Catalogs the PIM reports as disabled.",
                    (
                        q(
                            "count(max by (tenant, catalog) (akeneo_sync_fleet_catalog_enabled) == 0) or vector(0)",
                            "disabled",
                        ),
                    ),
                    "short",
                    kind="stat",
                    width=4,
                    height=8,
                ),
                Graph(
                    "Enabled catalogs",
                    "Catalogs being synced.",
                    (
                        q(
                            "count(max by (tenant, catalog) (akeneo_sync_fleet_catalog_enabled) == 1) or vector(0)",
                            "enabled",
                        ),
                    ),
                    "short",
                    kind="stat",
                    width=4,
                    height=8,
                ),
                Graph(
                    "Disconnected tenants",
                    "Tenants whose token was revoked: their catalogs do not sync.",
                    (
                        q(
                            "count(max by (tenant) (akeneo_sync_fleet_tenant_connected) == 0) or vector(0)",
                            "disconnected",
                        ),
                    ),
                    "short",
                    kind="stat",
                    width=4,
                    height=8,
                ),
                Graph(
                    "Scheduler leader",
                    "1: a scheduler leads (polls, incremental syncs, this fleet health).",
                    (q("sum(akeneo_sync_scheduler_leader)", "leaders"),),
                    "short",
                    kind="stat",
                    width=4,
                    height=8,
                ),
            ],
        ),
        (
            "Web",
            [
                Graph(
                    "Requests by route and status",
                    "Requests per second served by the web side, by route template.",
                    (
                        q(
                            f"sum by (route, status) (rate(akeneo_sync_http_requests_total[{RATE}]))",
                            "{{route}} {{status}}",
                        ),
                    ),
                    "reqps",
                    width=12,
                ),
                Graph(
                    "Latency p95 by route",
                    "95th percentile time to serve a request, by route template.",
                    (
                        q(
                            "histogram_quantile(0.95, sum by (le, route) "
                            f"(rate(akeneo_sync_http_request_duration_seconds_bucket[{RATE}])))",
                            "{{route}}",
                        ),
                    ),
                    "s",
                    width=12,
                ),
            ],
        ),
    ]
    return _dashboard(
        OVERVIEW_UID,
        "akeneo-sync / Overview",
        "The whole akeneo-sync fleet: throughput, PIM traffic, errors, queues and catalogs.",
        _layout(sections),
        [_datasource_var(), _namespace_var()],
    )


def tenant() -> dict[str, Any]:
    """The drill-down for one tenant (and some of its catalogs)."""
    sections: list[tuple[str, list[Graph]]] = [
        (
            "Catalogs",
            [
                Graph(
                    "Catalog enabled",
                    "1 enabled, 0 disabled in the PIM.",
                    (q(f"max by (catalog) (akeneo_sync_fleet_catalog_enabled{{{TC}}})", "{{catalog}}"),),
                    "short",
                    kind="stat",
                ),
                Graph(
                    "Catalog lag",
                    "Seconds since the watermark of the last successful sync (from Redis).",
                    (q(f"max by (catalog) (akeneo_sync_fleet_catalog_lag_seconds{{{TC}}})", "{{catalog}}"),),
                    "s",
                ),
                Graph(
                    "Time since last successful sync",
                    "Seconds since the last sync of each catalog succeeded.",
                    (
                        q(
                            "time() - max by (catalog)"
                            f" (akeneo_sync_fleet_catalog_last_success_timestamp_seconds{{{TC}}} > 0)",
                            "{{catalog}}",
                        ),
                    ),
                    "s",
                ),
                Graph(
                    "Catalog state",
                    "The state each catalog is in (idle, running, failed, paused, disabled).",
                    (
                        q(
                            f"max by (catalog, state) (akeneo_sync_fleet_catalog_state{{{TC}}}) == 1",
                            "{{catalog}} {{state}}",
                        ),
                    ),
                    "short",
                    kind="table",
                ),
                Graph(
                    "Dead letters stored",
                    "Dead letters of this tenant (replay lowers it).",
                    (q(f"max by (tenant) (akeneo_sync_fleet_dead_letters{{{T}}})", "{{tenant}}"),),
                    "short",
                ),
                Graph(
                    "Connected",
                    "1: the tenant's token works; 0: disconnected (revoked).",
                    (q(f"max by (tenant) (akeneo_sync_fleet_tenant_connected{{{T}}})", "{{tenant}}"),),
                    "short",
                    kind="stat",
                ),
            ],
        ),
        (
            "Products",
            [
                Graph(
                    "Products per second by action",
                    "What the syncs of these catalogs do downstream.",
                    (
                        q(
                            f"sum by (catalog, action) (rate(akeneo_sync_products_total{{{TC}}}[{RATE}]))",
                            "{{catalog}} {{action}}",
                        ),
                    ),
                    "ops",
                    width=12,
                ),
                Graph(
                    "Products in the range by action",
                    "Totals over the selected time range.",
                    (
                        q(
                            f"sum by (action) (increase(akeneo_sync_products_total{{{TC}}}[$__range]))",
                            "{{action}}",
                            instant=True,
                        ),
                    ),
                    "short",
                    kind="stat",
                    width=12,
                ),
            ],
        ),
        (
            "Fair use",
            [
                Graph(
                    "429 answers",
                    "Rate-limited answers from this tenant's PIM.",
                    (q(f"sum by (tenant) (rate(akeneo_sync_rate_limited_total{{{T}}}[{RATE}]))", "{{tenant}}"),),
                    "reqps",
                    width=24,
                    height=7,
                ),
            ],
        ),
    ]
    return _dashboard(
        TENANT_UID,
        "akeneo-sync / Tenant",
        "One tenant's catalogs: lag, last success, products and 429s.",
        _layout(sections),
        [
            _datasource_var(),
            _namespace_var(),
            # One tenant at a time (alerts link here with var-tenant), any of its catalogs:
            # from the fleet health, so every catalog is listed, synced lately or not.
            _query_var(
                "tenant", "Tenant", f"label_values(akeneo_sync_fleet_catalog_enabled{{{NS}}}, tenant)", multi=False
            ),
            _query_var(
                "catalog",
                "Catalog",
                f"label_values(akeneo_sync_fleet_catalog_enabled{{{NS}, {T}}}, catalog)",
                multi=True,
            ),
        ],
    )
