"""Starting worker processes: the environment Prometheus needs, then dramatiq's own CLI.

`akeneo-sync worker` prepares the environment and re-executes Python as ``python -m dramatiq
akeneo_sync.worker.main``: prometheus_client picks multiprocess mode when it is first imported,
so ``PROMETHEUS_MULTIPROC_DIR`` must be in the environment before any of our modules load
— otherwise the exposition server serves an empty body). The directory is emptied first: files
of dead PIDs from an earlier run would otherwise be summed into this one. It is emptied, never
removed: in the pod it is an emptyDir mount point, and removing a mount point fails with EBUSY
(every worker pod crash-looped on that).
Dramatiq's master forwards SIGTERM to the workers, which finish their page and checkpoint.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Final

__all__ = ["WORKER_MODULE", "prepare_metrics_dir", "worker_argv"]

WORKER_MODULE: Final = "akeneo_sync.worker.main"
# Below the pods' terminationGracePeriodSeconds (90 s in deploy/): a sync checkpoints after its
# current page, which takes seconds; this bounds a stuck one.
SHUTDOWN_TIMEOUT_MS: Final = 60_000


def prepare_metrics_dir(path: Path, *, port: int, host: str = "0.0.0.0") -> dict[str, str]:  # noqa: S104
    """Empty `path` (keeping the directory itself) and return the env pointing prometheus_client
    and dramatiq at it."""
    path.mkdir(parents=True, exist_ok=True)
    for entry in path.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    return {
        "PROMETHEUS_MULTIPROC_DIR": str(path),
        "dramatiq_prom_db": str(path),
        "dramatiq_prom_port": str(port),
        "dramatiq_prom_host": host,
    }


def worker_argv(*, processes: int, threads: int, queues: list[str] | None = None) -> list[str]:
    """The dramatiq command line of the worker."""
    argv = [
        sys.executable,
        "-m",
        "dramatiq",
        WORKER_MODULE,
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--worker-shutdown-timeout",
        str(SHUTDOWN_TIMEOUT_MS),
        "--skip-logging",
    ]
    for queue in queues or []:
        argv += ["--queues", queue]
    return argv


def exec_worker(*, processes: int, threads: int, metrics_dir: Path, metrics_port: int) -> None:
    """Replace this process with the dramatiq master (never returns)."""
    env = {**os.environ, **prepare_metrics_dir(metrics_dir, port=metrics_port)}
    argv = worker_argv(processes=processes, threads=threads)
    os.execve(sys.executable, argv, env)  # noqa: S606 -- our own interpreter and module
