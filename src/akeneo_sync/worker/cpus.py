"""How many worker processes this container can run: its cgroup CPU quota, not the node's cores.

`os.cpu_count()` answers the node's cores inside a pod: a 16-core node would start 16 processes of
~70 MB each under a 2-CPU, 1 GiB limit and get the pod OOMKilled. Kubernetes turns
`resources.limits.cpu` into a CFS quota on the container's cgroup; this module reads it:

- cgroup v2: ``cpu.max`` holds ``"<quota> <period>"`` or ``"max <period>"`` (no limit);
- cgroup v1: ``cpu.cfs_quota_us`` (``-1``: no limit) over ``cpu.cfs_period_us``.

The container's cgroup is found through ``/proc/self/cgroup``. With a cgroup namespace (the default
on v2) that path is ``/`` and the mount is the container's own cgroup; without one (Docker on v1)
the mount may already be the container's directory while the path names it from the host's root,
so a path that does not exist under the mount falls back to the mount itself. Every ancestor up to
the mount is read too: the smallest quota on the way is the one the kernel enforces.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["CGROUP_ROOT", "PROC_SELF_CGROUP", "CpuQuota", "cgroup_cpu_quota", "default_processes"]

CGROUP_ROOT: Final = Path("/sys/fs/cgroup")
PROC_SELF_CGROUP: Final = Path("/proc/self/cgroup")
# Names under which distributions mount the v1 cpu controller (`cpu` is often a symlink).
_V1_CPU_DIRS: Final = ("cpu", "cpu,cpuacct", "cpuacct,cpu")


@dataclass(frozen=True, slots=True)
class CpuQuota:
    """A CFS quota: `quota_us` of CPU time per `period_us` of wall time."""

    quota_us: int
    period_us: int

    @property
    def cpus(self) -> float:
        """The limit in CPUs (Kubernetes' `limits.cpu`)."""
        return self.quota_us / self.period_us


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _own_paths(proc_cgroup: Path) -> tuple[str | None, str | None]:
    """(v2 path, v1 cpu path) of this process, from /proc/self/cgroup."""
    v2 = v1 = None
    for line in (_read(proc_cgroup) or "").splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and controllers == "":
            v2 = path
        elif "cpu" in controllers.split(","):
            v1 = path
    return v2, v1


def _chain(mount: Path, own: str | None) -> list[Path]:
    """The container's cgroup directory and its ancestors up to the mount, innermost first."""
    start = mount / own.lstrip("/") if own else mount
    if not start.is_dir():
        start = mount
    chain = [start]
    while chain[-1] != mount and mount in chain[-1].parents:
        chain.append(chain[-1].parent)
    return chain


def _v2_quota(directory: Path) -> CpuQuota | None:
    text = _read(directory / "cpu.max")
    if text is None:
        return None
    quota, _, period = text.partition(" ")
    if quota == "max" or not quota.isdigit() or not period.isdigit() or int(period) == 0:
        return None
    return CpuQuota(int(quota), int(period))


def _v1_quota(directory: Path) -> CpuQuota | None:
    quota, period = _read(directory / "cpu.cfs_quota_us"), _read(directory / "cpu.cfs_period_us")
    if quota is None or period is None or not quota.isdigit() or not period.isdigit() or int(period) == 0:
        return None  # "-1" (no limit) is not a digit string
    return CpuQuota(int(quota), int(period))


def cgroup_cpu_quota(root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_SELF_CGROUP) -> CpuQuota | None:
    """The tightest CFS quota on this process's cgroup and its ancestors, or None without one."""
    v2_path, v1_path = _own_paths(proc_cgroup)
    found: list[CpuQuota] = []
    if (root / "cgroup.controllers").is_file():  # v2 mounted at the root: the unified hierarchy
        found = [q for d in _chain(root, v2_path) if (q := _v2_quota(d)) is not None]
    else:
        mount = next((root / name for name in _V1_CPU_DIRS if (root / name).is_dir()), None)
        if mount is not None:
            found = [q for d in _chain(mount, v1_path) if (q := _v1_quota(d)) is not None]
    return min(found, key=lambda q: q.cpus, default=None)


def default_processes(root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_SELF_CGROUP) -> int:
    """Worker processes for this container: the CPU quota rounded up, at most the usable cores.

    Rounded up because the actors mostly wait on I/O: a 1.5-CPU limit still keeps two processes
    busy, and the quota throttles them if not. Never below 1.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = cgroup_cpu_quota(root, proc_cgroup)
    if quota is None:
        return max(1, cores)
    return max(1, min(cores, math.ceil(quota.cpus)))
