"""Test doubles with real sockets for the target tests: a downstream platform speaking the wire format.

The platform is a stdlib HTTP server (run in a background thread by the `platform_server`
fixture) that checks the signature and applies batches to an in-memory store, so the HTTP
target is tested end to end on its real wire format.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from akeneo_sync.akeneo.types import MappedModel, MappedProduct
from akeneo_sync.targets.base import Target


@dataclass
class ScriptedAnswer:
    """A canned answer the platform gives instead of applying the next batch."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


@dataclass
class ReceivedRequest:
    """What the platform received, byte for byte."""

    headers: dict[str, str]
    body: bytes


class Platform:
    """A downstream platform speaking the README's wire format; rejects products carrying `refuse`."""

    SECRET = "platform-test-secret"

    def __init__(self) -> None:
        self.secret = self.SECRET.encode()
        self.lock = threading.Lock()
        self.rows: dict[tuple[str, str], dict[str, MappedProduct]] = {}
        self.model_rows: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self.requests: list[ReceivedRequest] = []
        self.script: deque[ScriptedAnswer] = deque()
        self.bad_signatures = 0
        self.url = ""

    def products(self, tenant: str, catalog: str) -> dict[str, MappedProduct]:
        with self.lock:
            return dict(self.rows.get((tenant, catalog), {}))

    def models(self, tenant: str, catalog: str) -> dict[str, MappedModel]:
        """The models as the platform holds them (each replaced whole by the last batch naming it)."""
        with self.lock:
            items = dict(self.model_rows.get((tenant, catalog), {}))
        models = {code: MappedModel.assemble(item, item["variants"]) for code, item in items.items()}
        return {code: model for code, model in models.items() if model is not None}

    def handle(self, headers: dict[str, str], body: bytes) -> ScriptedAnswer:
        with self.lock:
            self.requests.append(ReceivedRequest(headers, body))
            if self.script:
                return self.script.popleft()
            expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, headers.get("x-akeneo-sync-signature", "")):
                self.bad_signatures += 1
                return ScriptedAnswer(401, b'{"error": "bad signature"}')
            batch = json.loads(body)
            if "models" in batch:
                return self._apply_models(batch)
            store = self.rows.setdefault((batch["tenant"], batch["catalog"]), {})
            rejected = []
            for product in batch["upserts"]:
                if "refuse" in product:
                    rejected.append({"uuid": product["uuid"], "reason": product["refuse"]})
                else:
                    store[product["uuid"]] = product
            for uuid in batch["deletes"]:
                store.pop(uuid, None)
            if rejected:
                return ScriptedAnswer(207, json.dumps({"rejected": rejected}).encode())
            return ScriptedAnswer(200, b"{}")

    def _apply_models(self, batch: dict[str, Any]) -> ScriptedAnswer:
        # The README's models wire format: a model item carries its complete variant set.
        store = self.model_rows.setdefault((batch["tenant"], batch["catalog"]), {})
        rejected = []
        for model in batch["models"]:
            if "refuse" in model:
                rejected.append({"code": model["code"], "reason": model["refuse"]})
                continue
            carried = {variant["uuid"] for variant in model["variants"]}
            for other in store.values():  # a variant moved here leaves its previous model
                other["variants"] = [v for v in other["variants"] if v["uuid"] not in carried]
            store[model["code"]] = model
        deleted = set(batch["variant_deletes"])
        for model in store.values():
            model["variants"] = [v for v in model["variants"] if v["uuid"] not in deleted]
        for code in batch["model_deletes"]:
            store.pop(code, None)
        if rejected:
            return ScriptedAnswer(207, json.dumps({"rejected": rejected}).encode())
        return ScriptedAnswer(200, b"{}")


class PlatformHandler(BaseHTTPRequestHandler):
    server: PlatformServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        answer = self.server.platform.handle({k.lower(): v for k, v in self.headers.items()}, body)
        if answer.drop:
            # Close without a word: the client sees a dropped connection.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


class PlatformServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, platform: Platform) -> None:
        super().__init__(("127.0.0.1", 0), PlatformHandler)
        self.platform = platform


@dataclass
class Harness:
    """A target under test and a way to read back what it really stored."""

    target: Target
    read: Callable[[str, str], dict[str, MappedProduct]]
    read_models: Callable[[str, str], dict[str, MappedModel]] | None = None
