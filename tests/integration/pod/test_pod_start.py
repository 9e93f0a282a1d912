"""Web, worker and scheduler start as their pods start them, stay up, serve their probes and
metrics, and exit 0 on SIGTERM within the pod's terminationGracePeriodSeconds.

Everything comes from the rendered dev overlay (`pod_support.render`): args, env (ConfigMap,
Secret, env), uid/gid, the read-only root, the emptyDir paths and sizes, the CPU limit, the probes
and the grace period. Only what points outside the pod changes: Redis (the test's own), the
example Secret's placeholder Fernet key, and the ports (the test shares the machine's network).
"""

from __future__ import annotations

import dataclasses
import math
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pod_support
import pytest
from cryptography.fernet import Fernet
from pod_support import PodProcess, PodSpec, pod_spec, render, start_pod

from redis_server import TEST_REDIS_PORT

POD_DB = 12
START_TIMEOUT_S = 60.0
# How long each process must keep answering its probes once up (the kubelet probes every 2-15 s).
STABLE_S = 3.0
DEPLOYMENTS = ["akeneo-sync-web", "akeneo-sync-worker", "akeneo-sync-scheduler"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _remap_ports(spec: PodSpec) -> tuple[PodSpec, dict[int, int]]:
    """The spec with every container port (in args and env) replaced by a free one here."""
    remap = {port: _free_port() for port in spec.ports.values()}
    args = [str(remap.get(int(a), a)) if a.isdigit() else a for a in spec.args]
    env = {
        k: str(remap.get(int(v), v)) if v.isdigit() and k.lower().endswith("_port") else v for k, v in spec.env.items()
    }
    return dataclasses.replace(spec, args=args, env=env), remap


def _overrides() -> dict[str, str]:
    return {
        "AKENEO_SYNC_REDIS_URL": f"redis://127.0.0.1:{TEST_REDIS_PORT}/{POD_DB}",
        # The example Secret holds a placeholder on purpose; a real key is what an operator sets.
        "AKENEO_SYNC_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }


def _probe(spec: PodSpec, remap: dict[int, int], probe: dict[str, object]) -> bool:
    """One kubelet probe against the process (httpGet: 2xx/3xx; tcpSocket: the port accepts)."""
    action = probe.get("httpGet") or probe.get("tcpSocket")
    assert isinstance(action, dict), probe
    port = action["port"]
    port = remap[spec.ports[port] if isinstance(port, str) else int(port)]
    try:
        if "httpGet" in probe:
            return 200 <= httpx.get(f"http://127.0.0.1:{port}{action['path']}", timeout=3).status_code < 400
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            return True
    except (httpx.HTTPError, OSError):
        return False


def _wait(what: str, ok: Callable[[], bool], pod: PodProcess, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        assert pod.proc.poll() is None, f"{pod.spec.name} exited {pod.proc.returncode}:\n{pod.log_text()}"
        assert time.monotonic() < deadline, f"{what} not within {timeout}s:\n{pod.log_text()}"
        time.sleep(0.2)


def _metrics_url(spec: PodSpec, remap: dict[int, int]) -> str:
    if spec.name == "web":
        return f"http://127.0.0.1:{remap[spec.ports['http']]}/metrics"
    return f"http://127.0.0.1:{remap[spec.ports['metrics']]}/metrics"


def _run_like_a_pod(
    deployment: str, tmp_path: Path, *, cpus: float | None = None
) -> tuple[PodSpec, dict[str, Any], str]:
    """Start, check probes/metrics/stability, SIGTERM, check the exit; (spec, what the kernel
    said of the running container, its cgroup's name)."""
    spec, remap = _remap_ports(pod_spec(render("dev"), deployment))
    with start_pod(spec, _overrides(), tmp_path / f"{spec.name}.log", cpus=cpus) as pod:
        for kind, probe in spec.probes.items():
            _wait(f"{spec.name} {kind}", lambda probe=probe: _probe(spec, remap, probe), pod)
        metrics = httpx.get(_metrics_url(spec, remap), timeout=5)
        assert metrics.status_code == 200
        assert "akeneo_sync_" in metrics.text or "dramatiq_" in metrics.text, metrics.text[:500]

        stable_until = time.monotonic() + STABLE_S
        while time.monotonic() < stable_until:
            assert pod.proc.poll() is None, pod.log_text()
            assert all(_probe(spec, remap, p) for p in spec.probes.values()), pod.log_text()
            time.sleep(0.5)

        checked = _inspect(pod)
        started = time.monotonic()
        pod.proc.send_signal(signal.SIGTERM)
        code = pod.proc.wait(timeout=spec.grace_period_s)
        took = time.monotonic() - started
        assert code == 0, f"{spec.name} exited {code} on SIGTERM:\n{pod.log_text()}"
        assert took < spec.grace_period_s
    return spec, checked, pod.cgroup.directory.name


def _inspect(pod: PodProcess) -> dict[str, Any]:
    """What the kernel says of the running container: identity, capabilities, root fs, cgroup."""
    pids = [pod.proc.pid, *pod.descendants()]
    statuses = [pod.status(pid) for pid in pids]
    root = Path(f"/proc/{pod.proc.pid}/root")
    mounts = Path(f"/proc/{pod.proc.pid}/mountinfo").read_text().splitlines()
    tmpfs = {line.split()[4] for line in mounts if " - tmpfs " in line}
    return {
        "pids": pids,
        "uids": {s["Uid"].split()[0] for s in statuses} | {s["Uid"].split()[1] for s in statuses},
        "gids": {s["Gid"].split()[0] for s in statuses},
        "groups": {s["Groups"] for s in statuses},
        "caps": {s[k] for s in statuses for k in ("CapEff", "CapPrm", "CapBnd", "CapAmb")},
        "no_new_privs": {s["NoNewPrivs"] for s in statuses},
        # Through /proc/PID/root: the container's view, its top mount of / included.
        "root_ro": bool(os.statvfs(root).f_flag & os.ST_RDONLY),
        "work_ro": bool(os.statvfs(root / str(pod_support.ROOT).lstrip("/")).f_flag & os.ST_RDONLY),
        "tmpfs": tmpfs,
        "cmdline": Path(f"/proc/{pod.proc.pid}/cmdline").read_text().split("\0"),
        "multiproc_pids": {f.stem.rsplit("_", 1)[1] for f in (root / "tmp/prometheus").glob("*.db")}
        if (root / "tmp/prometheus").is_dir()
        else set(),
        "cgroup": Path(f"/proc/{pod.proc.pid}/cgroup").read_text(),
    }


def _assert_locked_down(spec: PodSpec, checked: dict[str, Any], cgroup: str) -> None:
    assert checked["uids"] == {str(spec.uid)}
    assert checked["gids"] == {str(spec.gid)}
    assert checked["groups"] == {str(spec.gid)} or checked["groups"] == {""}
    assert checked["caps"] == {"0000000000000000"}
    assert checked["no_new_privs"] == {"1"}
    assert checked["root_ro"] is True
    assert checked["work_ro"] is True
    assert {e.path for e in spec.empty_dirs} <= checked["tmpfs"]
    assert cgroup in checked["cgroup"]


@pytest.mark.parametrize("deployment", ["akeneo-sync-web", "akeneo-sync-scheduler"])
def test_web_and_scheduler_start_like_their_pods(deployment: str, tmp_path: Path, redis_db: None) -> None:
    _assert_locked_down(*_run_like_a_pod(deployment, tmp_path))


def test_the_worker_starts_like_its_pod_with_one_process_per_cpu_of_its_limit(tmp_path: Path, redis_db: None) -> None:
    spec, checked, cgroup = _run_like_a_pod("akeneo-sync-worker", tmp_path)
    _assert_locked_down(spec, checked, cgroup)
    expected = min(len(os.sched_getaffinity(0)), math.ceil(spec.cpu_limit))
    assert checked["cmdline"][checked["cmdline"].index("--processes") + 1] == str(expected)
    assert len(checked["multiproc_pids"]) == expected


def test_under_a_one_cpu_quota_the_worker_runs_one_process(tmp_path: Path, redis_db: None) -> None:
    _spec, checked, _cgroup = _run_like_a_pod("akeneo-sync-worker", tmp_path, cpus=1.0)
    assert checked["cmdline"][checked["cmdline"].index("--processes") + 1] == "1"
    assert len(checked["multiproc_pids"]) == 1, checked["multiproc_pids"]


def test_the_worker_metrics_dir_is_its_own_emptydir_mount() -> None:
    # The crash-loop's cause: the directory the worker empties is a mount point. It must be one
    # (a fresh, empty volume per pod), and the worker must empty it in place (tests above).
    worker = pod_spec(render("dev"), "akeneo-sync-worker")
    assert worker.env["PROMETHEUS_MULTIPROC_DIR"] in {e.path for e in worker.empty_dirs}
    assert worker.env["dramatiq_prom_db"] == worker.env["PROMETHEUS_MULTIPROC_DIR"]
