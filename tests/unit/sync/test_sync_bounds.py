"""How windows are asked of the PIM, where a cursor stands, and where windows are cut."""

from __future__ import annotations

import itertools

import pytest

from akeneo_sync.clock import to_utc_datetime
from akeneo_sync.sync.bounds import Bounds, cursor_position
from akeneo_sync.sync.cuts import cut_points
from akeneo_sync.sync.windows import sampled_windows, unplanned_windows

T = 1_780_000_000
NEXT = (
    "https://pim.example/api/rest/v1/catalogs/c/mapped-products?limit=100"
    "&updated_after=2026-05-28T20%3A26%3A39%2B00%3A00&updated_before=2026-05-29T20%3A26%3A40%2B00%3A00"
    "&search_after=80000000-0000-4000-8000-000000000000"
)


def test_two_bounds_are_asked_wide_until_the_pim_is_proven_inclusive_then_exactly() -> None:
    bounds = Bounds()
    assert bounds.params(T, T + 10) == (to_utc_datetime(T - 1), to_utc_datetime(T + 10))

    bounds.prove_inclusive()

    assert bounds.params(T, T + 10) == (to_utc_datetime(T), to_utc_datetime(T + 9))
    assert bounds.params(T, T + 1) == (to_utc_datetime(T), to_utc_datetime(T))


def test_one_bound_is_asked_strictly_under_either_reading() -> None:
    for bounds in (Bounds(), Bounds(inclusive=True)):
        assert bounds.params(None, T) == (None, to_utc_datetime(T))
        assert bounds.params(T, None) == (to_utc_datetime(T - 1), None)
        assert bounds.params(None, None) == (None, None)


def test_a_next_link_gets_new_bounds_and_keeps_the_pims_cursor_byte_for_byte() -> None:
    rebound = Bounds(inclusive=True).rebound(NEXT, T, T + 5)

    assert rebound.startswith("https://pim.example/api/rest/v1/catalogs/c/mapped-products?limit=100&")
    assert "search_after=80000000-0000-4000-8000-000000000000" in rebound
    assert "updated_after=2026-05-28T20%3A26%3A40%2B00%3A00" in rebound
    assert "updated_before=2026-05-28T20%3A26%3A44%2B00%3A00" in rebound
    assert rebound.count("updated_") == 2
    assert "updated_after" not in Bounds().rebound(NEXT, None, T)


def test_a_cursor_stands_where_its_uuid_is_in_uuid_space() -> None:
    assert cursor_position(NEXT) == pytest.approx(0.5)
    assert cursor_position(None) is None
    assert cursor_position("https://pim/x?limit=100") is None
    assert cursor_position("https://pim/x?search_after=apollon") is None  # not a UUID: never cut


def test_windows_are_cut_at_the_quantiles_of_their_sample_else_evenly() -> None:
    # 80 % of the sample in one second: that second gets pieces of its own.
    sample = sorted([T - 86_400 * k for k in range(1, 5)] + [T + 100] * 16)
    cuts = cut_points(T - 10 * 86_400, T + 1_000, 4, sample)
    assert cuts is not None
    assert T + 100 in cuts
    assert cut_points(0, 100, 4) == [0, 25, 50, 75, 100]
    assert cut_points(0, 1, 4) is None  # one second cannot be cut
    assert cut_points(None, T, 4)[:2] == [None, T - 60 * 16**6]  # type: ignore[index]


def test_a_run_starts_from_windows_cut_at_the_sampled_dates() -> None:
    dates = [T - 5_000 + i for i in range(60)] + [T - 400_000 + 1_000 * i for i in range(40)]

    windows = sampled_windows(T, dates, 5)

    assert windows[-1].tail
    assert windows[-1].lo == T
    body = windows[:-1]
    assert body[0].lo is None
    assert body[-1].hi == T
    assert all(a.hi == b.lo for a, b in itertools.pairwise(body))
    assert len(body) >= 3
    assert sampled_windows(T, [T - 1], 5) == unplanned_windows(T)
