"""The HTTP target: signed JSON batches POSTed to any platform's endpoint (the README's wire format).

`POST TARGET_URL` with `{"tenant", "catalog", "run", "upserts", "deletes"}`, an `Idempotency-Key`
of `<run>:<page>` (a page re-sent after a crash carries the same key) and
`X-Akeneo-Sync-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. 2xx: all applied; 207:
`{"rejected": [{"uuid", "reason"}]}`; 408/429/5xx, timeouts and dropped connections: retried
(`Retry-After`, else exponential backoff with full jitter), then `TargetUnavailableError`; any
other status: every item of the batch is rejected with the status and the start of the body.
Product models go in their own batches (`apply_models`, format in `targets.http_models`) with
the key `<run>:models:<page>`, retried and signed the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from akeneo_sync import __version__
from akeneo_sync.akeneo.types import MappedModel, MappedProduct
from akeneo_sync.clock import Clock, SystemClock
from akeneo_sync.errors import ConfigError, TargetUnavailableError
from akeneo_sync.logging import get_logger
from akeneo_sync.metrics import BACKOFF_SECONDS
from akeneo_sync.retry import FINAL, Budget, Verdict, parse_retry_after, retry_call
from akeneo_sync.targets.base import BatchContext, BatchResult, ModelBatchResult, Rejection, timed_push
from akeneo_sync.targets.encoding import DEFAULT_MAX_BODY_BYTES, EncodedBatch, encode_batch, trim
from akeneo_sync.targets.http_models import model_rejections, models_body
from akeneo_sync.targets.model_encoding import encode_models

__all__ = [
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "HttpRetryPolicy",
    "HttpTarget",
    "RejectedItem",
    "RejectedItems",
    "sign",
]

SIGNATURE_HEADER: Final = "X-Akeneo-Sync-Signature"
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
_RETRIED_STATUSES: Final = frozenset({408, 429})
_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain"})
DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=5.0)

log = get_logger(__name__)


class RejectedItem(BaseModel):
    """One item a platform refused in a 207 answer."""

    model_config = ConfigDict(frozen=True)

    uuid: str
    reason: str


class RejectedItems(BaseModel):
    """A 207 answer's body: the items that were not applied (everything else was)."""

    model_config = ConfigDict(frozen=True)

    rejected: list[RejectedItem]


@dataclass(frozen=True, slots=True)
class HttpRetryPolicy:
    """How hard to insist on a failing platform before handing the batch back to the run."""

    max_attempts: int = 5
    base_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    # A longer Retry-After is not waited out in a worker thread: the run retries later instead.
    max_retry_after_s: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or min(self.base_backoff_s, self.max_backoff_s, self.max_retry_after_s) < 0:
            raise ConfigError(f"invalid HTTP target retry policy: {self}")

    def budget(self) -> Budget:
        """The shared retry loop's budget for this policy."""
        return Budget(
            self.max_attempts, self.base_backoff_s, self.max_backoff_s, max_retry_after_s=self.max_retry_after_s
        )


def sign(secret: bytes, body: bytes) -> str:
    """The signature header's value for `body`: `sha256=` and the hex HMAC-SHA256 under `secret`."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class HttpTarget:
    """Signed JSON batches POSTed to a platform's endpoint (`https://…`, or `http://` on loopback)."""

    kind = "http"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        client: httpx.Client | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        policy: HttpRetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        _check_url(url)
        if not secret:
            raise ConfigError("AKENEO_SYNC_TARGET_SECRET is required for an HTTP target (it signs every batch)")
        self.url = url
        self._secret = secret.encode("utf-8")
        self._owns_client = client is None
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()  # noqa: S311 -- jitter, not cryptography
        self._policy = policy or HttpRetryPolicy()
        self._timeout = timeout
        self._max_body_bytes = max_body_bytes

    def __repr__(self) -> str:
        return f"HttpTarget(url={self.url!r})"

    def apply(self, batch: BatchContext, upserts: Sequence[MappedProduct], deletes: Sequence[str]) -> BatchResult:
        """POST the batch, retrying transient failures; refused items come back as rejections."""
        with timed_push(self.kind, self._clock):
            encoded = encode_batch(upserts, deletes, max_body_bytes=self._max_body_bytes)
            if not encoded.upserts and not encoded.deletes:
                return BatchResult(rejected=encoded.rejected)
            response = self._post(batch, _body(batch, encoded))
            return BatchResult(rejected=encoded.rejected + _rejections(response, encoded))

    def apply_models(
        self,
        batch: BatchContext,
        models: Sequence[MappedModel],
        model_deletes: Sequence[str] = (),
        variant_deletes: Sequence[str] = (),
    ) -> ModelBatchResult:
        """POST a models batch, retrying transient failures; refused models come back whole."""
        with timed_push(self.kind, self._clock):
            encoded = encode_models(models, model_deletes, variant_deletes, max_body_bytes=self._max_body_bytes)
            if not encoded.models and not encoded.model_deletes and not encoded.variant_deletes:
                return ModelBatchResult(
                    rejected=encoded.rejected, rejected_variant_deletes=encoded.rejected_variant_deletes
                )
            response = self._post(batch, models_body(batch, encoded), key=batch.models_idempotency_key)
            return model_rejections(response, encoded)

    def close(self) -> None:
        """Close the HTTP client if this target created it."""
        if self._owns_client:
            self._client.close()

    def _post(self, batch: BatchContext, body: bytes, *, key: str | None = None) -> httpx.Response:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"akeneo-sync/{__version__}",
            IDEMPOTENCY_HEADER: key or batch.idempotency_key,
            SIGNATURE_HEADER: sign(self._secret, body),
        }

        def attempt() -> httpx.Response | httpx.TransportError:
            try:
                return self._client.post(self.url, content=body, headers=headers, timeout=self._timeout)
            except httpx.TransportError as exc:  # timeouts, refused and dropped connections
                return exc

        def classify(answer: httpx.Response | httpx.TransportError) -> Verdict:
            if isinstance(answer, httpx.TransportError):
                return Verdict(retry=True, reason="target")
            if not _is_retried(answer.status_code):
                return FINAL
            retry_after = parse_retry_after(answer.headers.get("Retry-After"), self._clock.now())
            return Verdict(retry=True, reason="target", retry_after_s=retry_after)

        def on_retry(answer: httpx.Response | httpx.TransportError, attempt: int, wait: float, _v: Verdict) -> None:
            log.warning(
                "target_retry",
                url=self.url,
                attempt=attempt,
                failure=trim(_failure(answer), 200),
                wait_s=round(wait, 3),
            )
            BACKOFF_SECONDS.labels(reason="target").inc(wait)

        outcome = retry_call(
            attempt, classify, budget=self._policy.budget(), clock=self._clock, rng=self._rng, on_retry=on_retry
        )
        answer = outcome.result
        if isinstance(answer, httpx.Response) and not outcome.gave_up:
            return answer
        raise TargetUnavailableError(
            f"HTTP target failed after {outcome.attempts} attempt(s): {_failure(answer)}",
            tenant=batch.tenant,
            catalog=batch.catalog,
        ) from (answer if isinstance(answer, httpx.TransportError) else None)


def _failure(answer: httpx.Response | httpx.TransportError) -> str:
    if isinstance(answer, httpx.TransportError):
        return f"{type(answer).__name__}: {answer}"
    return f"HTTP {answer.status_code}: {trim(answer.text, 200)}"


def _is_retried(status: int) -> bool:
    return status in _RETRIED_STATUSES or status >= 500


def _body(batch: BatchContext, encoded: EncodedBatch) -> bytes:
    # Products are already JSON text: splice them in rather than parse and dump them again.
    head = json.dumps({"tenant": batch.tenant, "catalog": batch.catalog, "run": batch.run_id}, ensure_ascii=False)
    upserts = ",".join(p.body for p in encoded.upserts)
    deletes = json.dumps(list(encoded.deletes), ensure_ascii=False)
    return f'{head[:-1]},"upserts":[{upserts}],"deletes":{deletes}}}'.encode()


def _rejections(response: httpx.Response, encoded: EncodedBatch) -> tuple[Rejection, ...]:
    status = response.status_code
    if status == 207:
        try:
            answer = RejectedItems.model_validate_json(response.content)
        except ValidationError as exc:
            reason = f"HTTP 207 with an unreadable body ({exc.error_count()} error(s)): {trim(response.text, 200)}"
            return _reject_all(encoded, reason)
        known = {p.uuid for p in encoded.upserts} | set(encoded.deletes)
        unknown = [item.uuid for item in answer.rejected if item.uuid not in known]
        if unknown:
            log.warning("target_rejected_unknown_uuids", count=len(unknown), sample=unknown[:5])
        return tuple(Rejection(item.uuid, trim(item.reason)) for item in answer.rejected if item.uuid in known)
    if 200 <= status < 300:
        return ()
    return _reject_all(encoded, f"HTTP {status}: {trim(response.text, 200)}")


def _reject_all(encoded: EncodedBatch, reason: str) -> tuple[Rejection, ...]:
    return tuple(Rejection(p.uuid, reason) for p in encoded.upserts) + tuple(
        Rejection(uuid, reason) for uuid in encoded.deletes
    )


def _check_url(url: str) -> None:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ConfigError("AKENEO_SYNC_TARGET_URL is not a valid URL") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError("AKENEO_SYNC_TARGET_URL: an HTTP target needs an https:// URL with a host")
    if parsed.scheme == "http" and not _is_loopback(parsed.host):
        raise ConfigError(
            "AKENEO_SYNC_TARGET_URL: http:// is accepted only for loopback hosts; use https:// "
            f"for {parsed.host!r} (batches carry the whole catalog)"
        )


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
