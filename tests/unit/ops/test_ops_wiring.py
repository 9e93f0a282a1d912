"""The manifests reference each other correctly: selectors select, ports and names exist.

Schema validation cannot see these: a Service whose selector matches no pod is valid YAML.
"""

from __future__ import annotations

from typing import Any

import pytest
from ops_support import render_overlay

Doc = dict[str, Any]
OVERLAYS = ("dev", "prod")


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> list[Doc]:
    """The overlay as kustomize renders it (generated names, patches and all)."""
    return render_overlay(request.param)


def _of(docs: list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def _pods(docs: list[Doc]) -> list[Doc]:
    return [d["spec"]["template"] for d in _of(docs, "Deployment")]


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _container_ports(pod: Doc) -> set[str]:
    return {p["name"] for c in pod["spec"]["containers"] for p in c.get("ports", [])}


def test_deployment_selectors_match_their_pod_templates(overlay: list[Doc]) -> None:
    for dep in _of(overlay, "Deployment"):
        assert _selects(dep["spec"]["selector"]["matchLabels"], dep["spec"]["template"]["metadata"]["labels"])


def test_services_select_pods_that_expose_their_target_port(overlay: list[Doc]) -> None:
    for svc in _of(overlay, "Service"):
        pods = [p for p in _pods(overlay) if _selects(svc["spec"]["selector"], p["metadata"]["labels"])]
        assert pods, svc["metadata"]["name"]
        for port in svc["spec"]["ports"]:
            assert all(port["targetPort"] in _container_ports(p) for p in pods), svc["metadata"]["name"]


def test_each_pod_disruption_budget_covers_exactly_one_deployment(overlay: list[Doc]) -> None:
    for pdb in _of(overlay, "PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        assert len([p for p in _pods(overlay) if _selects(selector, p["metadata"]["labels"])]) == 1


def test_monitors_select_targets_with_the_named_metrics_port(overlay: list[Doc]) -> None:
    for sm in _of(overlay, "ServiceMonitor"):
        services = [
            s
            for s in _of(overlay, "Service")
            if _selects(sm["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])
        ]
        assert len(services) == 1, sm["metadata"]["name"]
        assert {e["port"] for e in sm["spec"]["endpoints"]} <= {p["name"] for p in services[0]["spec"]["ports"]}
    for pm in _of(overlay, "PodMonitor"):
        pods = [p for p in _pods(overlay) if _selects(pm["spec"]["selector"]["matchLabels"], p["metadata"]["labels"])]
        assert len(pods) == 1, pm["metadata"]["name"]
        assert {e["port"] for e in pm["spec"]["podMetricsEndpoints"]} <= _container_ports(pods[0])


def test_every_akeneo_sync_process_is_scraped(overlay: list[Doc]) -> None:
    components = {p["metadata"]["labels"].get("app.kubernetes.io/component") for p in _pods(overlay)} - {None}
    monitored = {
        m["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
        for m in _of(overlay, "ServiceMonitor") + _of(overlay, "PodMonitor")
    }
    assert components == monitored == {"web", "worker", "scheduler"}


def test_env_sources_and_service_accounts_exist(overlay: list[Doc], request: pytest.FixtureRequest) -> None:
    config_maps = {d["metadata"]["name"] for d in _of(overlay, "ConfigMap")}
    secrets = {d["metadata"]["name"] for d in _of(overlay, "Secret")}
    accounts = {d["metadata"]["name"] for d in _of(overlay, "ServiceAccount")}
    for pod in _pods(overlay):
        if "serviceAccountName" in pod["spec"]:
            assert pod["spec"]["serviceAccountName"] in accounts
        for container in pod["spec"]["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps
                # prod expects the Secret to be created outside git; dev ships the example.
                if "secretRef" in source and request.node.callspec.params["overlay"] == "dev":
                    assert source["secretRef"]["name"] in secrets


def test_network_policies_select_existing_pods_and_let_prometheus_scrape(overlay: list[Doc]) -> None:
    for policy in _of(overlay, "NetworkPolicy"):
        selector = policy["spec"]["podSelector"]["matchLabels"]
        assert any(_selects(selector, p["metadata"]["labels"]) for p in _pods(overlay)), policy["metadata"]["name"]
    (main,) = [p for p in _of(overlay, "NetworkPolicy") if p["metadata"]["name"] == "akeneo-sync"]
    scrape_ports = {p["port"] for rule in main["spec"]["ingress"] for p in rule["ports"]}
    assert {8000, 9191} <= scrape_ports


def test_the_scaled_object_targets_the_worker_deployment(manifests: dict[str, list[Doc]]) -> None:
    (so,) = manifests["overlays/prod/scaledobject.yaml"]
    target = so["spec"]["scaleTargetRef"]
    (dep,) = [d for d in manifests["base/worker.yaml"] if d["kind"] == target["kind"]]
    assert dep["metadata"]["name"] == target["name"]
    # KEDA's cpu trigger needs CPU requests on the target's containers.
    assert all("cpu" in c["resources"]["requests"] for c in dep["spec"]["template"]["spec"]["containers"])


def test_every_deployment_spreads_over_zones_and_nodes(overlay: list[Doc]) -> None:
    for dep in _of(overlay, "Deployment"):
        if dep["metadata"]["name"] == "redis":  # the dev overlay's single throwaway Redis
            continue
        pod = dep["spec"]["template"]
        keys = set()
        for constraint in pod["spec"]["topologySpreadConstraints"]:
            assert _selects(constraint["labelSelector"]["matchLabels"], pod["metadata"]["labels"])
            assert constraint["whenUnsatisfiable"] == "ScheduleAnyway"  # never blocks a small cluster
            keys.add(constraint["topologyKey"])
        assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}, dep["metadata"]["name"]


def test_metrics_ingress_names_no_namespace(overlay: list[Doc]) -> None:
    # Prometheus runs in whatever namespace the cluster chose: select its pods by label instead.
    for policy in _of(overlay, "NetworkPolicy"):
        for rule in policy["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                assert "kubernetes.io/metadata.name" not in str(peer.get("namespaceSelector", {})), policy
                if "namespaceSelector" in peer:
                    assert peer["podSelector"]["matchLabels"], policy["metadata"]["name"]
