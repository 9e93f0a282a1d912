"""The worker sizes itself from its cgroup's CPU quota (v1 and v2), and empties its metrics mount."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from akeneo_sync.worker.cpus import CpuQuota, cgroup_cpu_quota, default_processes
from akeneo_sync.worker.process import prepare_metrics_dir

CORES = len(os.sched_getaffinity(0))


def _v2(root: Path, own: str, files: dict[str, str]) -> Path:
    """A cgroup v2 tree: `files` maps a cgroup path to its cpu.max."""
    (root / "cgroup.controllers").parent.mkdir(parents=True, exist_ok=True)
    (root / "cgroup.controllers").write_text("cpu memory\n")
    for path, cpu_max in files.items():
        directory = root / path.lstrip("/")
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "cpu.max").write_text(cpu_max + "\n")
    proc = root.parent / "proc-self-cgroup"
    proc.write_text(f"0::{own}\n")
    return proc


def _v1(root: Path, own: str, files: dict[str, tuple[int, int]], mount: str = "cpu,cpuacct") -> Path:
    """A cgroup v1 tree: `files` maps a cgroup path to (cfs_quota_us, cfs_period_us)."""
    for path, (quota, period) in files.items():
        directory = root / mount / path.lstrip("/")
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "cpu.cfs_quota_us").write_text(f"{quota}\n")
        (directory / "cpu.cfs_period_us").write_text(f"{period}\n")
    proc = root.parent / "proc-self-cgroup"
    proc.write_text(f"12:memory:/elsewhere\n4:cpu,cpuacct:{own}\n0::/\n")
    return proc


def test_v2_cpu_max_of_the_own_cgroup(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    proc = _v2(root, "/kubepods/pod1/c1", {"/": "max 100000", "/kubepods/pod1/c1": "200000 100000"})
    assert cgroup_cpu_quota(root, proc) == CpuQuota(200_000, 100_000)
    assert default_processes(root, proc) == min(CORES, 2)


def test_v2_a_namespaced_cgroup_reads_the_mount_itself(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    proc = _v2(root, "/", {"/": "100000 100000"})
    assert cgroup_cpu_quota(root, proc) == CpuQuota(100_000, 100_000)
    assert default_processes(root, proc) == 1


def test_v2_no_limit_is_the_cores(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    proc = _v2(root, "/", {"/": "max 100000"})
    assert cgroup_cpu_quota(root, proc) is None
    assert default_processes(root, proc) == CORES


def test_v2_the_tightest_ancestor_wins(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    proc = _v2(root, "/pod/c", {"/pod": "50000 100000", "/pod/c": "max 100000"})
    assert cgroup_cpu_quota(root, proc) == CpuQuota(50_000, 100_000)
    assert default_processes(root, proc) == 1  # half a CPU still runs one process


def test_v1_cfs_quota_over_period(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    proc = _v1(
        root, "/kubepods/burstable/pod1/c1", {"/": (-1, 100_000), "/kubepods/burstable/pod1/c1": (150_000, 100_000)}
    )
    assert cgroup_cpu_quota(root, proc) == CpuQuota(150_000, 100_000)
    assert default_processes(root, proc) == min(CORES, 2)  # rounded up: 1.5 CPUs keep two busy


def test_v1_a_host_path_missing_under_the_mount_reads_the_mount(tmp_path: Path) -> None:
    # Docker on v1 without a cgroup namespace: /proc names the host path, the mount is the container's.
    root = tmp_path / "cgroup"
    proc = _v1(root, "/docker/abc", {"/": (100_000, 100_000)}, mount="cpu")
    assert cgroup_cpu_quota(root, proc) == CpuQuota(100_000, 100_000)


def test_v1_unlimited_and_unreadable_trees_fall_back_to_the_cores(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    proc = _v1(root, "/", {"/": (-1, 100_000)})
    assert default_processes(root, proc) == CORES
    assert default_processes(tmp_path / "nowhere", tmp_path / "no-proc") == CORES


def test_a_huge_quota_is_capped_at_the_usable_cores(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    proc = _v2(root, "/", {"/": f"{(CORES + 8) * 100_000} 100000"})
    assert default_processes(root, proc) == CORES


def test_the_worker_command_rejects_zero_processes(capsys: pytest.CaptureFixture[str]) -> None:
    from akeneo_sync.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["worker", "--processes", "0"])
    assert "must be at least 1" in capsys.readouterr().err


def test_the_metrics_dir_is_emptied_in_place(tmp_path: Path) -> None:
    metrics = tmp_path / "prometheus"
    (metrics / "nested").mkdir(parents=True)
    (metrics / "counter_123.db").write_bytes(b"old")
    (metrics / "nested" / "x").write_text("old")
    inode = metrics.stat().st_ino

    env = prepare_metrics_dir(metrics, port=9191)

    assert list(metrics.iterdir()) == []
    assert metrics.stat().st_ino == inode  # the same directory: a mount point stays a mount point
    assert env["PROMETHEUS_MULTIPROC_DIR"] == str(metrics)
    assert env["dramatiq_prom_port"] == "9191"


def test_the_metrics_dir_is_created_when_missing(tmp_path: Path) -> None:
    prepare_metrics_dir(tmp_path / "a" / "b", port=9191)
    assert (tmp_path / "a" / "b").is_dir()
