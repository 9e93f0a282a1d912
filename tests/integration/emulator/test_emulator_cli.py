"""`akeneo-sync emulator` serves the emulator as its own process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest
from emulator_support import API

pytestmark = pytest.mark.integration

START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_emulator_command_serves_the_seeded_products_with_latency() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "akeneo_sync",
            "emulator",
            "--port",
            str(port),
            "--products",
            "120",
            "--seed",
            "9",
            "--latency-ms",
            "150",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # A bounded poll for the child process to bind its port (startup, not time passing in a test).
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                httpx.get(f"{base}/_emulator/stats", timeout=1.0)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "emulator did not start"
                time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=10.0) as admin:
            token = admin.post("/_emulator/tokens", json={"client_id": "cli"}).json()["access_token"]
            api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10.0)
            catalog_id = api.post(f"{API}/catalogs", json={"name": "c"}).json()["id"]
            admin.put(f"/_emulator/catalogs/{catalog_id}/selection", json={"enabled_only": False}).raise_for_status()
            admin.post(f"/_emulator/catalogs/{catalog_id}/enable").raise_for_status()
            started = time.monotonic()
            page = api.get(f"{API}/catalogs/{catalog_id}/product-uuids", params={"limit": 1000}).json()
            elapsed = time.monotonic() - started
            api.close()
        assert len(page["_embedded"]["items"]) == 120
        assert page["_links"]["self"]["href"].startswith(base)
        assert elapsed >= 0.15
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
