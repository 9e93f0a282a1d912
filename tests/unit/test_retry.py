"""The retry loop both HTTP clients share: Retry-After, full jitter, and when the loop stops."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from akeneo_sync.clock import ManualClock
from akeneo_sync.retry import FINAL, Budget, Verdict, full_jitter, parse_retry_after, retry_call

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        (" 15 ", 15.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (format_datetime(datetime.fromtimestamp(NOW, tz=UTC) + timedelta(seconds=30), usegmt=True), 30.0),
        ("Mon, 23 Nov 2026 10:00:42 GMT", 42.0),
        ("Mon, 23 Nov 2026 09:59:00 GMT", 0.0),
        # HTTP dates are UTC: a date naming no zone (or "-0000") is read as UTC, not ignored.
        ("Mon, 23 Nov 2026 10:00:42", 42.0),
        ("Mon, 23 Nov 2026 10:00:42 -0000", 42.0),
        ("Mon, 23 Nov 2026 11:00:42 +0100", 42.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("inf", None),
        ("nan", None),
        ("1e3", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date_relative_to_now(
    header: str | None, expected: float | None
) -> None:
    assert parse_retry_after(header, NOW) == expected


@given(seconds=st.integers(min_value=0, max_value=10**6))
def test_any_delay_seconds_value_is_read_exactly(seconds: int) -> None:
    assert parse_retry_after(str(seconds), NOW) == seconds


@given(offset=st.integers(min_value=-(10**6), max_value=10**6))
def test_any_http_date_becomes_a_non_negative_wait_from_now(offset: int) -> None:
    when = datetime.fromtimestamp(NOW + offset, tz=UTC)
    assert parse_retry_after(format_datetime(when, usegmt=True), NOW) == max(0, offset)


def test_full_jitter_stays_within_the_exponential_envelope_and_the_cap() -> None:
    rng = random.Random(3)
    for attempt in range(1, 12):
        ceiling = min(30.0, 1.0 * 2 ** (attempt - 1))
        draws = [full_jitter(attempt, rng, base_s=1.0, cap_s=30.0) for _ in range(200)]
        assert all(0.0 <= draw <= ceiling for draw in draws)
        # Full jitter spreads over the whole envelope, not just near its top.
        assert min(draws) < ceiling * 0.1
        assert max(draws) > ceiling * 0.9


def test_the_same_seed_gives_the_same_backoff_sequence() -> None:
    first = [full_jitter(n, random.Random(11), base_s=0.5, cap_s=8) for n in range(1, 6)]
    second = [full_jitter(n, random.Random(11), base_s=0.5, cap_s=8) for n in range(1, 6)]
    assert first == second


class Script:
    """Answers in order; `classify` retries every answer but "ok"."""

    def __init__(self, *answers: str, retry_after_s: float | None = None) -> None:
        self.answers = list(answers)
        self.calls = 0
        self.retry_after_s = retry_after_s

    def __call__(self) -> str:
        self.calls += 1
        return self.answers.pop(0)

    def classify(self, answer: str) -> Verdict:
        if answer == "ok":
            return FINAL
        if answer == "refresh":
            return Verdict(retry=True, at_once=True)
        return Verdict(retry=True, reason="busy", retry_after_s=self.retry_after_s)


BUDGET = Budget(max_attempts=4, base_s=1.0, cap_s=30.0)


def test_a_final_result_ends_the_loop_after_jittered_waits() -> None:
    clock, script = ManualClock(), Script("busy", "busy", "ok")
    seen: list[tuple[str, int, float]] = []

    outcome = retry_call(
        script,
        script.classify,
        budget=BUDGET,
        clock=clock,
        rng=random.Random(5),
        on_retry=lambda answer, attempt, wait, _verdict: seen.append((answer, attempt, wait)),
    )

    rng = random.Random(5)
    expected = [full_jitter(n, rng, base_s=1.0, cap_s=30.0) for n in (1, 2)]
    assert (outcome.result, outcome.attempts, outcome.gave_up) == ("ok", 3, False)
    assert clock.sleeps == expected
    assert seen == [("busy", 1, expected[0]), ("busy", 2, expected[1])]
    assert outcome.spent_s == pytest.approx(sum(expected))


def test_the_loop_gives_up_after_max_attempts_without_a_last_wait() -> None:
    clock, script = ManualClock(), Script(*["busy"] * 10)

    outcome = retry_call(script, script.classify, budget=BUDGET, clock=clock, rng=random.Random(1))

    assert (outcome.result, outcome.attempts, outcome.gave_up) == ("busy", 4, True)
    assert len(clock.sleeps) == 3


def test_a_retry_after_is_waited_exactly_and_never_past_the_deadline() -> None:
    clock, script = ManualClock(), Script(*["busy"] * 10, retry_after_s=7.0)

    outcome = retry_call(
        script,
        script.classify,
        budget=Budget(max_attempts=10, base_s=1, cap_s=30, deadline_s=20),
        clock=clock,
        rng=random.Random(1),
    )

    # 7 + 7 = 14 s spent; a third wait would end at 21 s, past the 20 s deadline: give up instead.
    assert clock.sleeps == [7.0, 7.0]
    assert (outcome.attempts, outcome.gave_up) == (3, True)


def test_a_retry_after_longer_than_allowed_gives_up_at_once() -> None:
    clock, script = ManualClock(), Script("busy", "ok", retry_after_s=61.0)

    outcome = retry_call(
        script,
        script.classify,
        budget=Budget(max_attempts=5, base_s=1, cap_s=30, max_retry_after_s=60),
        clock=clock,
        rng=random.Random(1),
    )

    assert (outcome.attempts, outcome.gave_up, clock.sleeps) == (1, True, [])


def test_an_at_once_retry_does_not_wait_and_may_exceed_the_attempts() -> None:
    clock, script = ManualClock(), Script("busy", "refresh", "ok")

    outcome = retry_call(
        script, script.classify, budget=Budget(max_attempts=1, base_s=1, cap_s=30), clock=clock, rng=random.Random(1)
    )

    # The one budgeted attempt was spent on "busy": it gives up there, the refresh never runs.
    assert (outcome.result, outcome.gave_up, script.calls) == ("busy", True, 1)

    clock, script = ManualClock(), Script("refresh", "ok")
    outcome = retry_call(
        script, script.classify, budget=Budget(max_attempts=1, base_s=1, cap_s=30), clock=clock, rng=random.Random(1)
    )
    assert (outcome.result, outcome.attempts, clock.sleeps) == ("ok", 2, [])
