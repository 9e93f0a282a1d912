"""Retrying one HTTP call: `Retry-After`, full-jitter backoff, and the loop both clients run.

The PIM client (`akeneo.http.PimSender`) and the HTTP target (`targets.http.HttpTarget`) differ in
what they retry (their status tables) and what they raise once they give up; how long they wait
and when they stop is decided here, once. How these client retries stack with dramatiq's message
retries is stated in docs/architecture.md ("Retries").
"""

from __future__ import annotations

import email.utils
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Final, Generic, TypeVar

from akeneo_sync.clock import Clock

__all__ = ["Attempts", "Budget", "Verdict", "full_jitter", "parse_retry_after", "retry_call"]

_T = TypeVar("_T")
# delay-seconds is 1*DIGIT (RFC 9110 §10.2.3); a fraction is tolerated, a sign, "inf" or "nan" are not.
_DELAY_SECONDS: Final = re.compile(r"\d+(\.\d+)?")


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` header (delay-seconds or an HTTP date), else None.

    An HTTP date is always UTC (RFC 9110 §5.6.7), so a date that names no zone is read as UTC;
    a date in the past means "now" (0).
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def full_jitter(attempt: int, rng: random.Random, *, base_s: float, cap_s: float) -> float:
    """The wait after failed attempt `attempt` (1-based): uniform in [0, min(cap, base * 2**(attempt-1))].

    Full jitter spreads the retries of many workers hit by the same outage over the whole window.
    """
    return rng.uniform(0.0, min(cap_s, base_s * 2 ** (attempt - 1)))


@dataclass(frozen=True, slots=True)
class Budget:
    """When a call stops retrying: attempts, total time (s), backoff bounds (s), longest `Retry-After` (s)."""

    max_attempts: int
    base_s: float
    cap_s: float
    deadline_s: float = math.inf
    # A longer Retry-After is not waited out in a worker thread: the caller gives up at once.
    max_retry_after_s: float = math.inf


@dataclass(frozen=True, slots=True)
class Verdict:
    """What `classify` says of one attempt's result.

    `retry` False: the result is final (a success, or an error not worth repeating). Otherwise
    the loop waits `retry_after_s` when the server named a delay, else the jittered backoff, and
    counts the wait under `reason`. `at_once` retries without waiting and outside the budget (a
    token was just refreshed: the failure was ours, not the server's).
    """

    retry: bool
    reason: str = ""
    retry_after_s: float | None = None
    at_once: bool = False


FINAL: Final = Verdict(retry=False)


@dataclass(frozen=True, slots=True)
class Attempts(Generic[_T]):
    """The last result, its verdict, how many attempts were made and how long they took (s)."""

    result: _T
    verdict: Verdict
    attempts: int
    spent_s: float

    @property
    def gave_up(self) -> bool:
        """True when the last result still asked for a retry: the budget ran out."""
        return self.verdict.retry


def retry_call(
    attempt: Callable[[], _T],
    classify: Callable[[_T], Verdict],
    *,
    budget: Budget,
    clock: Clock,
    rng: random.Random,
    on_retry: Callable[[_T, int, float, Verdict], None] | None = None,
) -> Attempts[_T]:
    """Call `attempt` until `classify` calls its result final or `budget` runs out.

    Never raises on its own: the caller turns the returned `Attempts` into its value or its
    error. `on_retry(result, attempt, wait_s, verdict)` runs before each wait (logs, metrics).
    """
    started = clock.monotonic()
    made = 0
    while True:
        made += 1
        result = attempt()
        verdict = classify(result)
        if verdict.retry and verdict.at_once:
            continue
        spent = clock.monotonic() - started
        if not verdict.retry:
            return Attempts(result, verdict, made, spent)
        if verdict.retry_after_s is not None:
            wait = verdict.retry_after_s
            too_long = wait > budget.max_retry_after_s
        else:
            wait = full_jitter(made, rng, base_s=budget.base_s, cap_s=budget.cap_s)
            too_long = False
        if made >= budget.max_attempts or too_long or spent + wait > budget.deadline_s:
            return Attempts(result, verdict, made, spent)
        if on_retry is not None:
            on_retry(result, made, wait, verdict)
        clock.sleep(wait)
