"""The processes `make observe` starts: each in its own process group, all stopped by PID at the end."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

STOP_GRACE_S = 15.0


def free_port() -> int:
    """A free loopback port (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Processes:
    """Every process started by the run; `stop_all` ends them (SIGTERM, then SIGKILL) by group."""

    logs: Path
    started: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start `argv` in a new session (its children share its process group), logging to a file."""
        with (self.logs / f"{name}.log").open("ab") as out:
            proc = subprocess.Popen(  # noqa: S603 -- argv built by run.py
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started.append((name, proc))
        return proc

    def akeneo_sync(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start an `akeneo-sync` sub-command with this interpreter."""
        return self.start(name, [sys.executable, "-m", "akeneo_sync", *args], env)

    def check_alive(self) -> None:
        """Fail fast, with the log tail, when a started process died."""
        for name, proc in self.started:
            if proc.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def stop(self, name: str) -> None:
        """SIGTERM one process's group and wait for it (SIGKILL after the grace)."""
        for entry in [e for e in self.started if e[0] == name]:
            proc = entry[1]
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
            self.started.remove(entry)

    def stop_all(self) -> None:
        """SIGTERM every group we started (graceful worker stop), SIGKILL what is left after the grace."""
        for _name, proc in reversed(self.started):
            if proc.poll() is None:
                _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for _name, proc in reversed(self.started):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
            # Children of the group (dramatiq's workers) may outlive a master that exited.
            _signal_group(proc.pid, signal.SIGKILL)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def wait_until(
    what: str,
    ready: Callable[[], bool],
    timeout_s: float,
    *,
    every_s: float = 0.2,
    alive: Callable[[], None] | None = None,
) -> float:
    """Poll `ready` until true (returns the seconds waited); raise after `timeout_s`."""
    start = time.monotonic()
    while not ready():
        if alive is not None:
            alive()
        if time.monotonic() - start > timeout_s:
            raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every_s)
    return time.monotonic() - start


def http_ok(url: str) -> Callable[[], bool]:
    """A readiness probe: `url` answers 2xx."""

    def probe() -> bool:
        try:
            return httpx.get(url, timeout=2.0).is_success
        except httpx.HTTPError:
            return False

    return probe
