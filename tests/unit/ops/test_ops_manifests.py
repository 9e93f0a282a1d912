"""The Kubernetes manifests say what docs/operating.md requires of each process."""

from __future__ import annotations

import base64
import math
import re
from typing import Any

import pytest
from cryptography.fernet import Fernet
from ops_support import render_overlay
from pydantic import SecretStr

from akeneo_sync.errors import ConfigError
from akeneo_sync.settings import Settings, load_settings

Doc = dict[str, Any]
WORKER_SHUTDOWN_TIMEOUT_S = 60
# A path inside the container, on its own emptyDir (not this machine's /tmp).
MULTIPROC_DIR = "/tmp/prometheus"  # noqa: S108


def _find(manifests: dict[str, list[Doc]], path: str, kind: str, name: str) -> Doc:
    (doc,) = [d for d in manifests[path] if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def _deployments(manifests: dict[str, list[Doc]]) -> list[Doc]:
    return [d for docs in manifests.values() for d in docs if d["kind"] == "Deployment"]


def _env_names(secret: bool) -> set[str]:
    """AKENEO_SYNC_* names of the settings that are (or are not) secrets."""
    out = set()
    for name, field in Settings.model_fields.items():
        is_secret = "SecretStr" in str(field.annotation) or field.annotation is SecretStr
        if is_secret == secret:
            out.add(f"AKENEO_SYNC_{name.upper()}")
    return out


def test_every_pod_runs_locked_down(manifests: dict[str, list[Doc]]) -> None:
    for dep in _deployments(manifests):
        pod = dep["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, dep["metadata"]["name"]
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            sc = container["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, container["name"]
            assert sc["allowPrivilegeEscalation"] is False, container["name"]
            assert sc["capabilities"]["drop"] == ["ALL"], container["name"]
            assert {"cpu", "memory"} <= container["resources"]["requests"].keys(), container["name"]
            assert {"cpu", "memory"} <= container["resources"]["limits"].keys(), container["name"]
            assert container["livenessProbe"], container["name"]
            assert container["readinessProbe"], container["name"]


def test_the_web_side_probes_healthz_and_readyz_on_port_8000(manifests: dict[str, list[Doc]]) -> None:
    dep = _find(manifests, "base/web.yaml", "Deployment", "akeneo-sync-web")
    (web,) = dep["spec"]["template"]["spec"]["containers"]
    assert web["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    svc = _find(manifests, "base/web.yaml", "Service", "akeneo-sync-web")
    assert [p["port"] for p in svc["spec"]["ports"]] == [8000]


def test_the_worker_outlives_its_graceful_shutdown_and_exposes_multiprocess_metrics(
    manifests: dict[str, list[Doc]],
) -> None:
    pod = _find(manifests, "base/worker.yaml", "Deployment", "akeneo-sync-worker")["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] > WORKER_SHUTDOWN_TIMEOUT_S
    (worker,) = pod["containers"]
    assert worker["args"] == ["worker"]
    env = {e["name"]: e["value"] for e in worker["env"]}
    assert env["PROMETHEUS_MULTIPROC_DIR"] == MULTIPROC_DIR
    assert env["dramatiq_prom_db"] == env["PROMETHEUS_MULTIPROC_DIR"]
    mount = next(m for m in worker["volumeMounts"] if m["mountPath"] == MULTIPROC_DIR)
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert "emptyDir" in volume
    assert worker["livenessProbe"]["tcpSocket"]["port"] == "metrics"
    assert {"name": "metrics", "containerPort": 9191, "protocol": "TCP"} in worker["ports"]


def test_the_scheduler_runs_two_replicas(manifests: dict[str, list[Doc]]) -> None:
    dep = _find(manifests, "base/scheduler.yaml", "Deployment", "akeneo-sync-scheduler")
    assert dep["spec"]["replicas"] == 2
    assert dep["spec"]["template"]["spec"]["containers"][0]["args"] == ["scheduler"]


def _generated(overlay: str, kind: str) -> Doc:
    """The rendered ConfigMap or Secret named `akeneo-sync-<hash>` (kustomize's generators)."""
    (doc,) = [
        d for d in render_overlay(overlay) if d["kind"] == kind and d["metadata"]["name"].startswith("akeneo-sync-")
    ]
    return doc


def _example_secrets() -> dict[str, str]:
    data = _generated("dev", "Secret")["data"]
    return {k: base64.b64decode(v).decode() for k, v in data.items()}


def test_settings_and_secrets_are_generated_with_a_hash_every_pod_reads(manifests: dict[str, list[Doc]]) -> None:
    # A changed setting is a new name, so a new pod template: `kubectl apply -k` rolls the pods.
    for overlay in ("dev", "prod"):
        docs = render_overlay(overlay)
        config = _generated(overlay, "ConfigMap")["metadata"]["name"]
        assert re.fullmatch(r"akeneo-sync-[a-z0-9]{10}", config)
        secret = _generated("dev", "Secret")["metadata"]["name"] if overlay == "dev" else "akeneo-sync"
        for dep in (d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"].startswith("akeneo-sync")):
            (container,) = dep["spec"]["template"]["spec"]["containers"]
            assert container["envFrom"] == [{"configMapRef": {"name": config}}, {"secretRef": {"name": secret}}]
    # The overlays' own values land in the generated ConfigMap (merge), and change its hash.
    assert _generated("prod", "ConfigMap")["data"]["AKENEO_SYNC_REDIS_URL"].startswith(
        "redis://redis.akeneo-sync-infra"
    )
    assert _generated("dev", "ConfigMap")["data"]["AKENEO_SYNC_LOG_LEVEL"] == "DEBUG"
    assert _generated("dev", "ConfigMap")["metadata"]["name"] != _generated("prod", "ConfigMap")["metadata"]["name"]


def test_the_configmap_holds_only_known_non_secret_settings() -> None:
    data = _generated("prod", "ConfigMap")["data"]
    assert set(data) <= _env_names(secret=False), sorted(set(data) - _env_names(secret=False))
    assert "AKENEO_SYNC_REDIS_URL" in data
    assert all(isinstance(v, str) for v in data.values())


def test_the_example_secret_holds_every_secret_setting_as_a_placeholder() -> None:
    secrets = _example_secrets()
    assert set(secrets) == _env_names(secret=True)
    assert all(v.startswith("REPLACE-WITH-") for v in secrets.values())


def test_no_secret_is_part_of_the_base_or_prod(manifests: dict[str, list[Doc]]) -> None:
    for path, docs in manifests.items():
        if not path.startswith("overlays/dev/"):
            assert all(d["kind"] != "Secret" for d in docs), path


def test_prod_scales_workers_on_the_fleet_backlog_with_a_cpu_fallback(manifests: dict[str, list[Doc]]) -> None:
    so = _find(manifests, "overlays/prod/scaledobject.yaml", "ScaledObject", "akeneo-sync-worker")
    assert so["spec"]["scaleTargetRef"]["name"] == "akeneo-sync-worker"
    triggers = {t["type"]: t for t in so["spec"]["triggers"]}
    assert "akeneo_sync_fleet_backlog_messages" in triggers["prometheus"]["metadata"]["query"]
    assert triggers["cpu"]["metricType"] == "Utilization"
    # One worker pod's thread capacity: processes (its CPU limit) x threads (the CLI's default 8).
    worker = _find(manifests, "base/worker.yaml", "Deployment", "akeneo-sync-worker")
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    capacity = math.ceil(float(container["resources"]["limits"]["cpu"])) * 8
    assert container["args"] == ["worker"]  # no --threads/--processes: the defaults above apply
    assert triggers["prometheus"]["metadata"]["threshold"] == str(capacity)


def test_the_rendered_prod_overlay_leaves_the_replica_count_of_keda_targets_to_keda() -> None:
    docs = render_overlay("prod")
    targets = {d["spec"]["scaleTargetRef"]["name"] for d in docs if d["kind"] == "ScaledObject"}
    assert targets == {"akeneo-sync-worker"}
    for dep in docs:
        if dep["kind"] == "Deployment" and dep["metadata"]["name"] in targets:
            assert "replicas" not in dep["spec"], dep["metadata"]["name"]
    # The others keep theirs (web: the overlay's 3; the scheduler: a leader and a stand-by).
    counts = {d["metadata"]["name"]: d["spec"].get("replicas") for d in docs if d["kind"] == "Deployment"}
    assert counts == {"akeneo-sync-web": 3, "akeneo-sync-scheduler": 2, "akeneo-sync-worker": None}


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_fallback_renderer_agrees_with_kustomize(overlay: str) -> None:
    # validate-deploy.sh and the pod-like start test use it where kubectl is missing.
    def by_name(docs: list[Doc]) -> dict[tuple[str, str], Doc]:
        return {(d["kind"], d["metadata"]["name"]): d for d in docs}

    assert by_name(render_overlay(overlay, fallback=True)) == by_name(render_overlay(overlay))


def test_dev_adds_a_single_redis(manifests: dict[str, list[Doc]]) -> None:
    dep = _find(manifests, "overlays/dev/redis.yaml", "Deployment", "redis")
    assert dep["spec"]["replicas"] == 1
    assert _find(manifests, "overlays/dev/redis.yaml", "Service", "redis")["spec"]["ports"][0]["port"] == 6379


@pytest.mark.parametrize("path", ["base/kustomization.yaml", "overlays/prod/kustomization.yaml"])
def test_kustomizations_pin_a_versioned_image_tag(manifests: dict[str, list[Doc]], path: str) -> None:
    (k,) = manifests[path]
    (image,) = k["images"]
    assert image["name"] == "ghcr.io/example/akeneo-sync"
    assert image["newTag"] not in {"", "latest"}


def test_the_configmap_and_example_secret_load_as_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    data = {**_generated("prod", "ConfigMap")["data"], "AKENEO_SYNC_REDIS_URL": "redis://redis:6379/0"}
    secrets = _example_secrets()
    for name, value in {**data, **secrets}.items():
        monkeypatch.setenv(name, value)
    # The placeholder is not a Fernet key (on purpose: it must be replaced); use a real one here.
    monkeypatch.setenv("AKENEO_SYNC_ENCRYPTION_KEY", Fernet.generate_key().decode())

    settings = load_settings()

    assert settings.metrics_port == 9191
    assert settings.redis_url == "redis://redis:6379/0"
    assert settings.scopes == ("read_catalogs", "write_catalogs", "delete_catalogs", "read_products")
    assert settings.allow_private_pim is False


def test_the_example_encryption_key_is_rejected_until_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = _example_secrets()
    monkeypatch.setenv("AKENEO_SYNC_ENCRYPTION_KEY", secrets["AKENEO_SYNC_ENCRYPTION_KEY"])

    with pytest.raises(ConfigError, match="AKENEO_SYNC_ENCRYPTION_KEY"):
        load_settings()
