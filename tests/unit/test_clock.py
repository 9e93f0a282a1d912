"""The manual clock never sleeps: it advances and records each wait."""

from __future__ import annotations

from akeneo_sync.clock import ManualClock, SystemClock


def test_manual_clock_sleep_advances_both_clocks_and_is_recorded() -> None:
    clock = ManualClock(start=1000.0)
    clock.sleep(2.5)
    clock.sleep(-1)
    assert clock.now() == 1002.5
    assert clock.monotonic() == 2.5
    assert clock.sleeps == [2.5, -1]


def test_system_clock_monotonic_never_goes_back() -> None:
    clock = SystemClock()
    first = clock.monotonic()
    assert clock.monotonic() >= first
