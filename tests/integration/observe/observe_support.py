"""Helpers of the observability tests: real processes, scrapes, and per-process metric files."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

Labels = frozenset[tuple[str, str]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Processes:
    """Every `akeneo-sync` process a test started, each in its own group; none outlives the module."""

    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "akeneo_sync", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(proc)
        return proc

    def reap(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@dataclass(frozen=True, slots=True)
class Samples:
    """Parsed exposition: sample name → labels → value."""

    values: dict[str, dict[Labels, float]]

    @classmethod
    def parse(cls, text: str) -> Samples:
        values: dict[str, dict[Labels, float]] = defaultdict(dict)
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                values[sample.name][frozenset(sample.labels.items())] = sample.value
        return cls(dict(values))

    def total(self, name: str, **match: str) -> float:
        """Sum of the samples of `name` whose labels include `match`."""
        wanted = set(match.items())
        return sum(value for labels, value in self.values.get(name, {}).items() if wanted <= labels)

    def label_values(self, name: str, label: str) -> set[str]:
        return {dict(labels)[label] for labels in self.values.get(name, {}) if label in dict(labels)}


def per_process(metrics_dir: Path) -> dict[int, Samples]:
    """What each worker process alone wrote to the multiprocess directory (files `<kind>_<pid>.db`)."""
    by_pid: dict[int, list[Path]] = defaultdict(list)
    for path in metrics_dir.glob("*.db"):
        by_pid[int(path.stem.rsplit("_", 1)[1])].append(path)
    found: dict[int, Samples] = {}
    for pid, files in by_pid.items():
        with tempfile.TemporaryDirectory() as alone:
            for path in files:
                shutil.copy(path, alone)
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=alone)  # type: ignore[no-untyped-call]
            found[pid] = Samples.parse(generate_latest(registry).decode())
    return found
