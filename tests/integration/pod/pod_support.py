"""Start an `akeneo-sync` process the way its pod does, without a container engine (root needed).

What the kubelet would give the container, rebuilt from the rendered manifest:

- a private mount namespace (`unshare --mount`) whose root filesystem is bind-remounted read-only
  (readOnlyRootFilesystem: true);
- a tmpfs at every emptyDir mount path, sized by its sizeLimit, group-owned by fsGroup;
- a cgroup with the container's CPU limit as its CFS quota (v1 `cpu.cfs_quota_us` or v2 `cpu.max`,
  whichever this machine lets us write), joined before the program starts;
- the pod's runAsUser/runAsGroup, no supplementary groups, every capability dropped and
  no_new_privs (`setpriv`), i.e. allowPrivilegeEscalation: false and capabilities.drop: [ALL];
- the container's env (ConfigMap, then Secret, then `env`: the envFrom order) and args.

The network namespace is shared with the test: the test's Redis and the probes must reach it, so
the ports are the only values changed (`PodProcess.overrides` lists every change).
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
CGROUP = Path("/sys/fs/cgroup")
PERIOD_US = 100_000
Doc = dict[str, Any]


def render(overlay: str) -> list[Doc]:
    """The overlay rendered like validate-deploy.sh does: kubectl kustomize, else the fallback."""
    directory = ROOT / "deploy" / "overlays" / overlay
    kubectl = shutil.which("kubectl")
    if kubectl:
        out = subprocess.run([kubectl, "kustomize", str(directory)], check=True, capture_output=True, text=True)
    else:
        fallback = ROOT / "scripts" / "deploy-check" / "render_fallback.py"
        out = subprocess.run(
            [sys.executable, str(fallback), str(directory)], check=True, capture_output=True, text=True
        )
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def _quantity_cpus(text: str) -> float:
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


def _quantity_bytes(text: str) -> int:
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}
    match = re.fullmatch(r"(\d+)(Ki|Mi|Gi)?", text)
    assert match, f"unsupported quantity {text}"
    return int(match[1]) * units.get(match[2] or "", 1)


@dataclass(frozen=True, slots=True)
class EmptyDir:
    path: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class PodSpec:
    """What one Deployment's only container is started with."""

    name: str
    args: list[str]
    env: dict[str, str]
    uid: int
    gid: int
    fs_group: int
    read_only_root: bool
    dropped_capabilities: list[str]
    cpu_limit: float
    empty_dirs: list[EmptyDir]
    grace_period_s: int
    ports: dict[str, int]
    probes: dict[str, Doc]


def pod_spec(docs: list[Doc], deployment: str) -> PodSpec:
    """The container of `deployment` as the rendered manifests define it."""
    (dep,) = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == deployment]
    pod = dep["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env |= by_kind["ConfigMap", source["configMapRef"]["name"]]["data"]
        else:
            secret = by_kind["Secret", source["secretRef"]["name"]]
            env |= {k: base64.b64decode(v).decode() for k, v in secret.get("data", {}).items()}
            env |= secret.get("stringData", {})
    env |= {e["name"]: e["value"] for e in container.get("env", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    empty_dirs = [
        EmptyDir(m["mountPath"], _quantity_bytes(volumes[m["name"]]["emptyDir"].get("sizeLimit", "64Mi")))
        for m in container.get("volumeMounts", [])
        if "emptyDir" in volumes[m["name"]]
    ]
    security = container["securityContext"]
    return PodSpec(
        name=container["name"],
        args=[str(a) for a in container["args"]],
        env={k: str(v) for k, v in env.items()},
        uid=pod["securityContext"]["runAsUser"],
        gid=pod["securityContext"]["runAsGroup"],
        fs_group=pod["securityContext"]["fsGroup"],
        read_only_root=security["readOnlyRootFilesystem"],
        dropped_capabilities=security["capabilities"]["drop"],
        cpu_limit=_quantity_cpus(str(container["resources"]["limits"]["cpu"])),
        empty_dirs=sorted(empty_dirs, key=lambda e: e.path.count("/")),
        grace_period_s=pod["terminationGracePeriodSeconds"],
        ports={p["name"]: p["containerPort"] for p in container["ports"]},
        probes={k: container[k] for k in ("livenessProbe", "readinessProbe", "startupProbe") if k in container},
    )


@dataclass
class CpuCgroup:
    """A cgroup of its own with a CFS quota (v2 when /sys/fs/cgroup is the unified hierarchy, else v1)."""

    cpus: float
    directory: Path = field(init=False)

    def __post_init__(self) -> None:
        quota = round(self.cpus * PERIOD_US)
        name = f"akeneo-sync-pod-{uuid.uuid4().hex[:8]}"
        if (CGROUP / "cgroup.controllers").is_file():
            self.directory = CGROUP / name
            self.directory.mkdir()
            (self.directory / "cpu.max").write_text(f"{quota} {PERIOD_US}\n")
        else:
            self.directory = CGROUP / "cpu" / name
            self.directory.mkdir()
            (self.directory / "cpu.cfs_period_us").write_text(f"{PERIOD_US}\n")
            (self.directory / "cpu.cfs_quota_us").write_text(f"{quota}\n")

    def join_command(self) -> str:
        """The shell step moving the shell (then the program it execs, and its forks) into it."""
        return f"echo $$ > {shlex.quote(str(self.directory / 'cgroup.procs'))}"

    def remove(self) -> None:
        self.directory.rmdir()


def _hidden_interpreter() -> tuple[Path, Path] | None:
    """(a directory others cannot enter, its child holding our interpreter), when there is one."""
    prefix = Path(os.path.realpath(sys.base_prefix))
    for ancestor in [*reversed(prefix.parents), prefix]:
        if not os.stat(ancestor).st_mode & 0o001:
            return (ancestor, ancestor / prefix.relative_to(ancestor).parts[0]) if ancestor != prefix else None
    return None


def _expose_interpreter() -> list[str]:
    """An image keeps Python in /usr/local; this machine may keep it under /root (0700). Inside
    the private namespace only, a read-only tmpfs replaces that directory and holds nothing but a
    bind mount of the interpreter's tree, so the non-root uid can run it and reach nothing else."""
    hidden = _hidden_interpreter()
    if hidden is None:
        return []
    closed, tree = (shlex.quote(str(p)) for p in hidden)
    stage = "/dev/shm/interpreter"  # noqa: S108 -- on the private tmpfs mounted just before
    return [
        f"mkdir {stage}",
        f"mount --bind {tree} {stage}",
        f"mount -t tmpfs -o size=1m,mode=755 tmpfs {closed}",
        f"mkdir -p {tree}",
        f"mount --move {stage} {tree}",
        f"mount -o remount,ro {closed}",
    ]


def _hidden_by_empty_dirs(spec: PodSpec) -> list[Path]:
    """The checkout and the virtualenv, where an emptyDir's tmpfs would cover them (a CI clone in /tmp)."""
    needed = {ROOT, Path(os.path.realpath(sys.prefix))}
    mounts = [Path(empty.path) for empty in spec.empty_dirs]
    hidden = {path for path in needed if any(path == m or m in path.parents for m in mounts)}
    return sorted(path for path in hidden if not any(other in path.parents for other in hidden))


def launcher(spec: PodSpec, cgroup: CpuCgroup) -> list[str]:
    """The command line that builds the container's cgroup, mounts and identity, then execs its program."""
    # The pod's own /dev/shm, and a staging place for what must stay visible.
    steps = [cgroup.join_command(), "mount -t tmpfs -o size=1m tmpfs /dev/shm", *_expose_interpreter()]
    kept = _hidden_by_empty_dirs(spec)
    for number, path in enumerate(kept):
        steps += [f"mkdir /dev/shm/kept{number}", f"mount --bind {shlex.quote(str(path))} /dev/shm/kept{number}"]
    if spec.read_only_root:
        steps += ["mount --bind / /", "mount -o remount,bind,ro /"]
    for empty in spec.empty_dirs:
        # The parent is either / (read-only: the path must already exist) or an earlier tmpfs.
        path = shlex.quote(empty.path)
        steps += [
            f"[ -d {path} ] || mkdir {path}",
            f"mount -t tmpfs -o size={empty.size_bytes},mode=2777,gid={spec.fs_group} tmpfs {path}",
        ]
    for number, kept_path in enumerate(kept):
        # Where an image keeps its code, outside any emptyDir: back in place, read-only. `-n`: with
        # the root read-only, mount(8) cannot record these in /run/mount/utab (and would fail).
        path = shlex.quote(str(kept_path))
        steps += [
            f"mkdir -p {path}",
            f"mount -n --move /dev/shm/kept{number} {path}",
            f"mount -n -o remount,bind,ro {path}",
        ]
    drop = ",".join(f"-{c.lower()}" for c in spec.dropped_capabilities)
    program = [str(Path(sys.executable).parent / "akeneo-sync"), *spec.args]
    steps.append(
        f"exec setpriv --reuid {spec.uid} --regid {spec.gid} --clear-groups --no-new-privs "
        f"--inh-caps={drop} --ambient-caps={drop} --bounding-set={drop} -- {shlex.join(program)}"
    )
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-ec", " && ".join(steps)]


@dataclass
class PodProcess:
    """One started container: its process (the container's PID 1 equivalent), log and changes."""

    spec: PodSpec
    proc: subprocess.Popen[bytes]
    log: Path
    cgroup: CpuCgroup
    overrides: dict[str, str]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def descendants(self) -> list[int]:
        """Every process below this one (the dramatiq master's forks)."""
        out: list[int] = []
        todo = [self.proc.pid]
        while todo:
            pid = todo.pop()
            for task in Path(f"/proc/{pid}/task").glob("*"):
                children = (
                    [int(c) for c in (task / "children").read_text().split()] if (task / "children").exists() else []
                )
                out += children
                todo += children
        return out

    def status(self, pid: int) -> dict[str, str]:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


@contextmanager
def start_pod(
    spec: PodSpec, overrides: dict[str, str], log: Path, *, cpus: float | None = None
) -> Iterator[PodProcess]:
    """Run `spec` with `overrides` applied to its env; stopped with SIGKILL if the test leaves it running."""
    cgroup = CpuCgroup(spec.cpu_limit if cpus is None else cpus)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/", **spec.env, **overrides}
    try:
        with log.open("ab") as out:
            proc = subprocess.Popen(launcher(spec, cgroup), env=env, stdout=out, stderr=subprocess.STDOUT, cwd="/")
        pod = PodProcess(spec, proc, log, cgroup, overrides)
        try:
            yield pod
        finally:
            if proc.poll() is None:
                for pid in [*pod.descendants(), proc.pid]:
                    with suppress(ProcessLookupError):
                        os.kill(pid, 9)
                proc.wait(timeout=30)
    finally:
        _wait_empty(cgroup)
        cgroup.remove()


def _wait_empty(cgroup: CpuCgroup) -> None:
    # Forks of a killed master exit a moment after it; the cgroup can only be removed empty.
    for _ in range(200):
        if not (cgroup.directory / "cgroup.procs").read_text().strip():
            return
        time.sleep(0.05)
