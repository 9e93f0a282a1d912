"""HTTP to the PIM: one pooled `httpx.Client` per PIM per process, the retry policy, the sender.

The policy is data (`akeneo/statuses.py`: whether to retry an answer, which error it becomes);
`PimSender` applies it to every API call `AkeneoClient` makes (the client itself only builds
requests and parses answers), in the retry loop every HTTP client shares (`akeneo_sync.retry`).

Every socket operation has a timeout because dramatiq's `TimeLimit` cannot interrupt a blocked
socket call; HTTP/1.1 keep-alive is what the PIM's fair-use rules assume. A per-read timeout alone
lets a hostile PIM drip one byte per read forever, so each attempt also has a total deadline
(the client's read timeout, i.e. `PIM_TIMEOUT_S`) checked as the body streams in, and a body-size
cap (`MAX_BODY_BYTES`), so one PIM cannot hold a worker thread or its memory.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from akeneo_sync.akeneo.auth import TokenProvider
from akeneo_sync.akeneo.ratelimit import FairUseLimiter
from akeneo_sync.akeneo.statuses import TRANSPORT_RULE, rule_for_status, status_error
from akeneo_sync.clock import Clock
from akeneo_sync.errors import (
    PimError,
    PimUnavailableError,
    TokenRevokedError,
)
from akeneo_sync.logging import get_logger
from akeneo_sync.metrics import BACKOFF_SECONDS, PIM_REQUEST_DURATION, PIM_REQUESTS, RATE_LIMITED, tenant_label
from akeneo_sync.retry import FINAL, Budget, Verdict, parse_retry_after, retry_call

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_CALLS_PER_CLIENT",
    "PIM_INSTANCE_MAX_CONCURRENCY",
    "HttpClientPool",
    "PimSender",
    "RetryPolicy",
    "build_http_client",
    "pim_limits",
    "pim_timeout",
]

# Akeneo's fair-use page allows 10 concurrent calls per PIM instance: more sockets to one PIM
# from one process would only be refused, so the pool never opens more.
PIM_INSTANCE_MAX_CONCURRENCY: Final = 10
# Connecting is cheap when the PIM is healthy; a long connect wait only delays the retry.
_CONNECT_TIMEOUT_CAP_S: Final = 5.0
_KEEPALIVE_EXPIRY_S: Final = 30.0
_USER_AGENT: Final = "akeneo-sync"
_log = get_logger(__name__)
# A page of 100 mapped products is a few MB at most; anything far larger is not an API answer.
MAX_BODY_BYTES: Final = 64 * 1024 * 1024
# A client serves one job (one run): 250,000 calls page through 12 million products twice over.
# A PIM that keeps handing out next pages past that is hostile or broken; the run stops there.
MAX_CALLS_PER_CLIENT: Final = 250_000
# Headers that described the wire form of a body we now hold decoded.
_WIRE_HEADERS: Final = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def pim_timeout(timeout_s: float) -> httpx.Timeout:
    """Timeouts for PIM calls: `timeout_s` for read/write/pool, a shorter connect timeout."""
    connect = min(timeout_s, _CONNECT_TIMEOUT_CAP_S)
    return httpx.Timeout(connect=connect, read=timeout_s, write=timeout_s, pool=timeout_s)


def pim_limits(max_concurrency_per_token: int) -> httpx.Limits:
    """Pool limits sized from fair use: keep alive as many sockets as one token may use at once."""
    keepalive = min(max_concurrency_per_token, PIM_INSTANCE_MAX_CONCURRENCY)
    return httpx.Limits(
        max_connections=PIM_INSTANCE_MAX_CONCURRENCY,
        max_keepalive_connections=keepalive,
        keepalive_expiry=_KEEPALIVE_EXPIRY_S,
    )


def build_http_client(
    *,
    timeout_s: float = 30.0,
    max_concurrency_per_token: int = 4,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """A new HTTP/1.1 keep-alive client for one PIM (redirects are not followed: the PIM never redirects API calls)."""
    return httpx.Client(
        timeout=pim_timeout(timeout_s),
        limits=pim_limits(max_concurrency_per_token),
        http1=True,
        http2=False,
        follow_redirects=False,
        headers={"User-Agent": _USER_AGENT, "Accept": "application/json"},
        transport=transport,
    )


def _origin(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class HttpClientPool:
    """Thread-safe map from a PIM's origin to its one shared `httpx.Client` in this process."""

    def __init__(
        self,
        *,
        timeout_s: float = 30.0,
        max_concurrency_per_token: int = 4,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._timeout_s = timeout_s
        self._max_concurrency = max_concurrency_per_token
        self._transport = transport
        self._clients: dict[str, httpx.Client] = {}
        self._lock = threading.Lock()

    def get(self, base_url: str) -> httpx.Client:
        """The client for this PIM, created on first use."""
        key = _origin(base_url)
        with self._lock:
            client = self._clients.get(key)
            if client is None or client.is_closed:
                client = build_http_client(
                    timeout_s=self._timeout_s,
                    max_concurrency_per_token=self._max_concurrency,
                    transport=self._transport,
                )
                self._clients[key] = client
            return client

    def close(self) -> None:
        """Close every client (at process shutdown)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long one logical call may keep trying: attempts, a total deadline, backoff bounds (s)."""

    max_attempts: int = 6
    deadline_s: float = 120.0
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 30.0

    def budget(self) -> Budget:
        """The shared retry loop's budget for this policy."""
        return Budget(self.max_attempts, self.backoff_base_s, self.backoff_cap_s, deadline_s=self.deadline_s)


@dataclass(frozen=True, slots=True)
class _Answer:
    """One attempt: the PIM's answer, or the transport failure (or token error) that stood for it."""

    response: httpx.Response | None
    failure: Exception | None
    token: str


class PimSender:
    """Sends one logical API call to a PIM: fair-use slot, bearer token, bounded retries, typed errors.

    The only place that catches `httpx` exceptions for API calls; it applies the status table
    above, and every error carries endpoint, status and a trimmed body, never the token.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        tokens: TokenProvider,
        limiter: FairUseLimiter,
        clock: Clock,
        rng: random.Random,
        policy: RetryPolicy,
        tenant: str,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_calls: int = MAX_CALLS_PER_CLIENT,
    ) -> None:
        self._http = http
        self._max_body_bytes = max_body_bytes
        self._max_calls = max_calls
        self._calls_left = max_calls
        self._calls_lock = threading.Lock()
        # The whole attempt (headers and body) within the read timeout: see the module docstring.
        self._attempt_deadline_s = http.timeout.read
        self._tokens = tokens
        self._limiter = limiter
        self._clock = clock
        self._rng = rng
        self._policy = policy
        self._tenant = tenant
        # Set by the first 401 that re-authentication cannot cure: every later call of this
        # client (other cursors of the same run) fails at once instead of sending the dead token.
        self._revoked = False

    def send(
        self,
        method: str,
        endpoint: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: dict[str, Any] | None = None,
        catalog: str | None = None,
    ) -> httpx.Response:
        """One logical call: fair-use slot, bearer token, bounded retries, typed errors."""
        with self._calls_lock:
            self._calls_left -= 1
            exhausted = self._calls_left < 0
        if exhausted:
            raise PimError(
                f"{endpoint}: this run already made {self._max_calls} PIM calls; the PIM keeps handing out pages",
                endpoint=endpoint,
                tenant=self._tenant,
                catalog=catalog,
            )
        if self._revoked:
            raise TokenRevokedError(
                f"{endpoint}: the token was revoked (an earlier call got 401)",
                endpoint=endpoint,
                status=401,
                tenant=self._tenant,
                catalog=catalog,
            )
        reauthenticated = False

        def attempt() -> _Answer:
            try:
                token = self._tokens.token()
            except PimUnavailableError as exc:
                # A connection token's endpoint hiccuped: retried under the same budget as the call.
                return _Answer(None, exc, "")
            response, failure = self._attempt(
                method=method, endpoint=endpoint, url=url, params=params, body=body, token=token
            )
            return _Answer(response, failure, token)

        def classify(answer: _Answer) -> Verdict:
            nonlocal reauthenticated
            response = answer.response
            if response is None:
                return Verdict(retry=True, reason=TRANSPORT_RULE.backoff_reason)
            if response.is_success:
                return FINAL
            if response.status_code == 401 and not reauthenticated and self._tokens.on_unauthorized(answer.token):
                reauthenticated = True
                return Verdict(retry=True, at_once=True)
            rule = rule_for_status(response.status_code)
            if response.status_code == 429:
                RATE_LIMITED.labels(tenant=tenant_label(self._tenant)).inc()
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock.now())
            if not rule.retry:
                return Verdict(retry=False, retry_after_s=retry_after)
            return Verdict(
                retry=True,
                reason="retry_after" if retry_after is not None else rule.backoff_reason,
                retry_after_s=retry_after,
            )

        def on_retry(answer: _Answer, attempt: int, wait: float, verdict: Verdict) -> None:
            _log.warning("pim_retry", endpoint=endpoint, status=_status_of(answer), attempt=attempt, wait_s=wait)
            BACKOFF_SECONDS.labels(reason=verdict.reason).inc(wait)

        outcome = retry_call(
            attempt, classify, budget=self._policy.budget(), clock=self._clock, rng=self._rng, on_retry=on_retry
        )
        answer = outcome.result
        if outcome.gave_up:
            _log.error(
                "pim_gave_up",
                endpoint=endpoint,
                status=_status_of(answer),
                attempts=outcome.attempts,
                spent_s=outcome.spent_s,
            )
        if answer.response is None:
            raise PimUnavailableError(
                f"{endpoint}: no answer after {outcome.attempts} attempts ({type(answer.failure).__name__})",
                endpoint=endpoint,
                tenant=self._tenant,
                catalog=catalog,
            ) from answer.failure
        if answer.response.is_success:
            return answer.response
        error = status_error(
            rule_for_status(answer.response.status_code),
            answer.response,
            attempts=outcome.attempts,
            retry_after_s=outcome.verdict.retry_after_s,
            endpoint=endpoint,
            tenant=self._tenant,
            catalog=catalog,
        )
        if isinstance(error, TokenRevokedError):
            self._revoked = True
        raise error

    def _attempt(
        self,
        *,
        method: str,
        endpoint: str,
        url: str,
        params: Mapping[str, str | int] | None,
        body: dict[str, Any] | None,
        token: str,
    ) -> tuple[httpx.Response | None, httpx.TransportError | None]:
        headers = {"Authorization": f"Bearer {token}"}
        with self._limiter.acquire():
            started = self._clock.monotonic()
            try:
                request = self._http.build_request(method, url, params=params, json=body, headers=headers)
                response = self._read_bounded(self._http.send(request, stream=True), endpoint, started)
            except httpx.TransportError as exc:
                PIM_REQUESTS.labels(endpoint=endpoint, status="error").inc()
                return None, exc
            except httpx.HTTPError as exc:
                raise PimError(f"{endpoint}: unusable answer ({type(exc).__name__})", endpoint=endpoint) from exc
            finally:
                PIM_REQUEST_DURATION.labels(endpoint=endpoint).observe(self._clock.monotonic() - started)
        PIM_REQUESTS.labels(endpoint=endpoint, status=str(response.status_code)).inc()
        return response, None

    def _read_bounded(self, streamed: httpx.Response, endpoint: str, started: float) -> httpx.Response:
        """The answer read in full within the attempt deadline and the body cap (decoded size)."""
        try:
            declared = streamed.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self._max_body_bytes:
                raise self._too_large(endpoint, streamed)
            chunks: list[bytes] = []
            size = 0
            for chunk in streamed.iter_bytes():
                size += len(chunk)
                if size > self._max_body_bytes:
                    raise self._too_large(endpoint, streamed)
                deadline = self._attempt_deadline_s
                if deadline is not None and self._clock.monotonic() - started > deadline:
                    # A transport failure like any timeout: retried under the policy's deadline.
                    raise httpx.ReadTimeout(f"answer not complete within {deadline:g} s", request=streamed.request)
                chunks.append(chunk)
        finally:
            streamed.close()
        wire_free = [(k, v) for k, v in streamed.headers.multi_items() if k.lower() not in _WIRE_HEADERS]
        return httpx.Response(
            streamed.status_code,
            headers=wire_free,
            content=b"".join(chunks),
            request=streamed.request,
            extensions=streamed.extensions,
        )

    def _too_large(self, endpoint: str, streamed: httpx.Response) -> PimError:
        return PimError(
            f"{endpoint}: answer larger than {self._max_body_bytes} bytes",
            endpoint=endpoint,
            status=streamed.status_code,
            tenant=self._tenant,
        )


def _status_of(answer: _Answer) -> int | str:
    """The HTTP status, or the failure's type name, for logs."""
    return answer.response.status_code if answer.response is not None else type(answer.failure).__name__
