"""The alert rules of akeneo-sync: thresholds, selectors and links in one place, then the rules.

`generate.py` renders these into `deploy/base/prometheus-rules.yaml` (a `PrometheusRule`).
Change a threshold here, run `make generate-deploy`, commit both files: CI fails on drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# --- Everything an operator may want to tune lives in this block. -------------------------------


@dataclass(frozen=True, slots=True)
class AlertConfig:
    """Thresholds, windows, selectors and links shared by every alert rule."""

    # Seconds a catalog may lag behind the PIM. Six default incremental intervals
    # (INCREMENTAL_INTERVAL_S=300): one slow or failed run is normal, several in a row are not.
    sync_lag_seconds: int = 1800
    sync_lag_for: str = "15m"
    # A PIM user disabling a catalog is deliberate; tell someone only once it stays off.
    catalog_disabled_for: str = "30m"
    # How long a revocation keeps its alert firing (the counter has no tenant label: look it up).
    tenant_revoked_window: str = "1h"
    # Item dead letters per window above which someone should look at the reasons.
    dead_letters_window: str = "30m"
    dead_letters_max: int = 10
    dead_letters_for: str = "10m"
    # Any dead-lettered *message* (a whole job that exhausted its retries) is worth a look.
    messages_dead_lettered_window: str = "30m"
    messages_dead_lettered_for: str = "5m"
    # 429 answers per minute from one tenant's PIM, sustained: the fleet is over its fair use.
    rate_limited_per_minute: int = 6
    rate_limited_window: str = "10m"
    rate_limited_for: str = "15m"
    # A worker target that stops answering scrapes for this long is down (not a rolling restart).
    # A warning: one pod of many down delays nothing for long (its messages go to the others);
    # AkeneoSyncNoWorkers is the page.
    worker_down_for: str = "5m"
    # Every web pod of a namespace failing its scrape: activations, events and the API are down.
    web_down_for: str = "3m"
    # No scheduler leads: nothing polls, no incremental sync nor reconciliation is enqueued, and
    # the fleet health (lag, backlog) is no longer exported. A hand-over takes the lease TTL (10 s).
    no_scheduler_leader_for: str = "5m"
    # Bad event signatures: more than this many in the window, and most events failing it, is a
    # secret rotation mistake (EVENT_SECRETS), not noise; the platform suspends a subscription
    # whose deliveries keep failing.
    bad_signatures_window: str = "10m"
    bad_signatures_min: int = 10
    bad_signatures_share: float = 0.5
    bad_signatures_for: str = "2m"
    # No worker answering at all (pods pending, Deployment scaled to zero, scrape broken): nothing
    # syncs. Pending pods are not scrape targets, so AkeneoSyncWorkerDown alone would miss this.
    no_workers_for: str = "5m"
    # Ready messages in one queue above which a growing backlog pages: KEDA should have caught up.
    queue_depth_max: int = 1000
    queue_growth_window: str = "15m"
    queue_growing_for: str = "15m"
    # `job` label of the worker pods' scrape: prometheus-operator names a PodMonitor's job
    # `<namespace>/<podmonitor name>`; adjust for a hand-written scrape config.
    worker_job_selector: str = 'job=~".*akeneo-sync-worker"'
    # The web side is scraped through its Service: the ServiceMonitor's job is the Service's name.
    web_job_selector: str = 'job=~".*akeneo-sync-web"'
    # Where alerts link to: the runbook (docs/operating.md anchors) and Grafana.
    runbook_base: str = "https://github.com/example/akeneo-sync/blob/main/docs/operating.md"
    grafana_base: str = "https://grafana.example.com"
    # Alerts that do not suit a setup (e.g. AkeneoSyncWorkerDown under aggressive autoscaling).
    disabled: frozenset[str] = field(default_factory=frozenset)


CONFIG = AlertConfig()

# --- The rules. --------------------------------------------------------------------------------

OVERVIEW_UID = "akeneo-sync-overview"
TENANT_UID = "akeneo-sync-tenant"


@dataclass(frozen=True, slots=True)
class Alert:
    """One alerting rule with the annotations every akeneo-sync alert carries."""

    name: str
    expr: str
    for_: str
    severity: str
    summary: str
    description: str
    # The dashboard to open, and its URL query (template variables filled from labels).
    dashboard_uid: str = OVERVIEW_UID
    dashboard_query: str = ""


def alerts(cfg: AlertConfig = CONFIG) -> list[Alert]:
    """Every alert rule, in runbook order."""
    tenant_catalog = "?var-tenant={{ $labels.tenant }}&var-catalog={{ $labels.catalog }}"
    bad = 'akeneo_sync_events_received_total{outcome="bad_signature"}'
    rules = [
        Alert(
            name="AkeneoSyncCatalogLagHigh",
            # The scheduler leader exports these from Redis: a catalog keeps its series after a
            # rollout, however long since a worker last synced it.
            expr=(
                "max by (namespace, tenant, catalog) (akeneo_sync_fleet_catalog_lag_seconds)"
                f" > {cfg.sync_lag_seconds}\n"
                "and on (namespace, tenant, catalog)"
                " max by (namespace, tenant, catalog) (akeneo_sync_fleet_catalog_enabled) == 1"
            ),
            for_=cfg.sync_lag_for,
            severity="warning",
            summary="Catalog {{ $labels.catalog }} of tenant {{ $labels.tenant }} is behind the PIM",
            description=(
                "The enabled catalog {{ $labels.catalog }} (tenant {{ $labels.tenant }}) has not been"
                " synced successfully for {{ $value | humanizeDuration }}"
                f" (threshold {cfg.sync_lag_seconds}s): products changed in the PIM are missing downstream."
            ),
            dashboard_uid=TENANT_UID,
            dashboard_query=tenant_catalog,
        ),
        Alert(
            name="AkeneoSyncCatalogDisabled",
            expr="max by (namespace, tenant, catalog) (akeneo_sync_fleet_catalog_enabled) == 0",
            for_=cfg.catalog_disabled_for,
            severity="info",
            summary="Catalog {{ $labels.catalog }} of tenant {{ $labels.tenant }} is disabled in the PIM",
            description=(
                "The PIM reports catalog {{ $labels.catalog }} (tenant {{ $labels.tenant }}) as disabled:"
                " akeneo-sync stopped syncing it. Enabling it in the PIM starts a full sync."
            ),
            dashboard_uid=TENANT_UID,
            dashboard_query=tenant_catalog,
        ),
        Alert(
            name="AkeneoSyncCatalogScopeMissing",
            expr='max by (namespace, tenant, catalog) (akeneo_sync_fleet_catalog_state{state="scope_missing"}) == 1',
            for_="5m",
            severity="warning",
            summary="Catalog {{ $labels.catalog }} of tenant {{ $labels.tenant }} is refused for a missing scope",
            description=(
                "The PIM answers 403 to catalog {{ $labels.catalog }} (tenant {{ $labels.tenant }}): the app's"
                " token lacks a scope it now asks for, and akeneo-sync stopped syncing the catalog. A PIM user"
                " must connect the app again to grant it."
            ),
            dashboard_uid=TENANT_UID,
            dashboard_query=tenant_catalog,
        ),
        Alert(
            name="AkeneoSyncTenantRevoked",
            expr=f"sum by (namespace) (increase(akeneo_sync_tenants_revoked_total[{cfg.tenant_revoked_window}])) > 0",
            for_="0m",
            severity="warning",
            summary="A tenant's PIM token was revoked",
            description=(
                "{{ $value | humanize }} tenant(s) answered 401 in the last"
                f" {cfg.tenant_revoked_window} and were marked disconnected; their catalogs no longer sync."
                " The metric has no tenant label: `akeneo-sync tenants list` names them."
            ),
        ),
        Alert(
            name="AkeneoSyncDeadLettersGrowing",
            # Dead letters stored per tenant, read from Redis by the scheduler leader (max: one
            # leader's value even while two are scraped), compared with the window's start.
            expr=(
                "max by (namespace, tenant) (akeneo_sync_fleet_dead_letters)\n"
                "- max by (namespace, tenant)"
                f" (akeneo_sync_fleet_dead_letters offset {cfg.dead_letters_window}) > {cfg.dead_letters_max}"
            ),
            for_=cfg.dead_letters_for,
            severity="warning",
            summary="Products of tenant {{ $labels.tenant }} are piling up as dead letters",
            description=(
                "{{ $value | humanize }} more dead letters are stored for tenant {{ $labels.tenant }} than"
                f" {cfg.dead_letters_window} ago (threshold {cfg.dead_letters_max}): those products are missing"
                " downstream until fixed and replayed (`akeneo-sync dead-letters list --tenant`)."
            ),
            dashboard_uid=TENANT_UID,
            dashboard_query="?var-tenant={{ $labels.tenant }}",
        ),
        Alert(
            name="AkeneoSyncMessagesDeadLettered",
            expr=(
                "sum by (namespace, queue_name, actor_name)"
                f" (increase(dramatiq_message_rejects_total[{cfg.messages_dead_lettered_window}])) > 0"
            ),
            for_=cfg.messages_dead_lettered_for,
            severity="warning",
            summary="{{ $labels.actor_name }} messages on queue {{ $labels.queue_name }} were dead-lettered",
            description=(
                "{{ $value | humanize }} {{ $labels.actor_name }} messages on queue {{ $labels.queue_name }}"
                f" exhausted their retries or failed for good in the last {cfg.messages_dead_lettered_window}."
            ),
        ),
        Alert(
            name="AkeneoSyncRateLimited",
            expr=(
                f"sum by (namespace, tenant) (rate(akeneo_sync_rate_limited_total[{cfg.rate_limited_window}])) * 60"
                f" > {cfg.rate_limited_per_minute}"
            ),
            for_=cfg.rate_limited_for,
            severity="warning",
            summary="The PIM of tenant {{ $labels.tenant }} keeps answering 429",
            description=(
                "Tenant {{ $labels.tenant }}'s PIM sends {{ $value | humanize }} 429 answers per minute"
                f" (threshold {cfg.rate_limited_per_minute}) for {cfg.rate_limited_for}: workers spend their"
                " time backing off and syncs fall behind."
            ),
            dashboard_uid=TENANT_UID,
            dashboard_query="?var-tenant={{ $labels.tenant }}",
        ),
        Alert(
            name="AkeneoSyncWorkerDown",
            expr=f"up{{{cfg.worker_job_selector}}} == 0",
            for_=cfg.worker_down_for,
            severity="warning",
            summary="Worker {{ $labels.pod }} in {{ $labels.namespace }} is down",
            description=(
                "Prometheus could not scrape worker {{ $labels.pod }} ({{ $labels.instance }}, namespace"
                f" {{{{ $labels.namespace }}}}) for {cfg.worker_down_for}: its messages wait for another worker."
                " One pod of many is not urgent; AkeneoSyncNoWorkers pages when none answers."
            ),
        ),
        Alert(
            name="AkeneoSyncNoWorkers",
            expr=f"absent(up{{{cfg.worker_job_selector}}} == 1)",
            for_=cfg.no_workers_for,
            severity="critical",
            summary="No akeneo-sync worker is running",
            description=(
                f"No worker target has answered a scrape for {cfg.no_workers_for}: no sync runs and the"
                " queues only grow. The alert carries no labels: look at the worker Deployment."
            ),
        ),
        Alert(
            name="AkeneoSyncQueueGrowing",
            expr=(
                f"max by (namespace, queue) (akeneo_sync_queue_depth) > {cfg.queue_depth_max}\n"
                f"and max by (namespace, queue) (deriv(akeneo_sync_queue_depth[{cfg.queue_growth_window}])) > 0"
            ),
            for_=cfg.queue_growing_for,
            severity="warning",
            summary="Queue {{ $labels.queue }} keeps growing",
            description=(
                "Queue {{ $labels.queue }} holds {{ $value | humanize }} messages"
                f" (threshold {cfg.queue_depth_max}) and is still growing: workers do not keep up."
            ),
        ),
        Alert(
            name="AkeneoSyncWebDown",
            expr=(
                f"sum by (namespace) (up{{{cfg.web_job_selector}}}) == 0\nor absent(up{{{cfg.web_job_selector}}} == 1)"
            ),
            for_=cfg.web_down_for,
            severity="critical",
            summary="The akeneo-sync web side is down",
            description=(
                f"No web pod has answered a scrape for {cfg.web_down_for}: app activations fail, Event Platform"
                " deliveries fail (the platform suspends a subscription that keeps failing) and the API is"
                " unreachable."
            ),
        ),
        Alert(
            name="AkeneoSyncNoSchedulerLeader",
            expr=(
                "sum by (namespace) (max_over_time(akeneo_sync_scheduler_leader[1m])) < 1\n"
                "or absent(akeneo_sync_scheduler_leader)"
            ),
            for_=cfg.no_scheduler_leader_for,
            severity="critical",
            summary="No akeneo-sync scheduler leads",
            description=(
                f"No scheduler has held the leader lease for {cfg.no_scheduler_leader_for}: catalogs are no longer"
                " polled, no incremental sync or reconciliation is enqueued, and the fleet health series"
                " (lag, dead letters, KEDA's backlog) are no longer exported."
            ),
        ),
        Alert(
            name="AkeneoSyncEventSignaturesRejected",
            expr=(
                # The share first: it is the value the description shows.
                f"sum by (namespace) (increase({bad}[{cfg.bad_signatures_window}]))\n"
                f"/ sum by (namespace) (increase(akeneo_sync_events_received_total[{cfg.bad_signatures_window}]))"
                f" > {cfg.bad_signatures_share}\n"
                "and\n"
                f"sum by (namespace) (increase({bad}[{cfg.bad_signatures_window}])) > {cfg.bad_signatures_min}"
            ),
            for_=cfg.bad_signatures_for,
            severity="critical",
            summary="Most Event Platform deliveries fail their signature check",
            description=(
                "{{ $value | humanizePercentage }} of the events received in the last"
                f" {cfg.bad_signatures_window} were rejected for a bad signature (at least"
                f" {cfg.bad_signatures_min}): AKENEO_SYNC_EVENT_SECRETS does not hold the platform's current"
                " secret. The platform retries, then suspends the subscription."
            ),
        ),
    ]
    return [a for a in rules if a.name not in cfg.disabled]


def prometheus_rule(cfg: AlertConfig = CONFIG) -> dict[str, Any]:
    """The `PrometheusRule` resource holding every alert."""
    rules = []
    for a in alerts(cfg):
        description = a.description
        if "by (namespace" in a.expr and "$labels.namespace" not in a.summary + description:
            # Alerts group by namespace (one install per namespace); say which, when there is one.
            description += "{{ with $labels.namespace }} Namespace: {{ . }}.{{ end }}"
        rules.append(
            {
                "alert": a.name,
                "expr": a.expr,
                "for": a.for_,
                "labels": {"severity": a.severity},
                "annotations": {
                    "summary": a.summary,
                    "description": description,
                    "runbook_url": f"{cfg.runbook_base}#{a.name.lower()}",
                    "dashboard_url": f"{cfg.grafana_base}/d/{a.dashboard_uid}{a.dashboard_query}",
                },
            }
        )
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "akeneo-sync",
            "labels": {"app.kubernetes.io/name": "akeneo-sync", "app.kubernetes.io/component": "alerts"},
        },
        "spec": {"groups": [{"name": "akeneo-sync", "rules": rules}]},
    }
