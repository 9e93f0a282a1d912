"""The error hierarchy: one root, and every class says whether it is retryable."""

from __future__ import annotations

import inspect

import pytest

from akeneo_sync import errors

ALL_ERRORS = [obj for _, obj in inspect.getmembers(errors, inspect.isclass) if issubclass(obj, errors.AkeneoSyncError)]
TRANSIENT = {errors.RateLimitedError, errors.PimUnavailableError, errors.TargetUnavailableError, errors.StateError}


def test_every_exported_name_is_an_akeneo_sync_error() -> None:
    assert sorted(errors.__all__) == sorted(cls.__name__ for cls in ALL_ERRORS)


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_exactly_the_transient_errors_are_retryable(cls: type[errors.AkeneoSyncError]) -> None:
    assert cls.retryable is (cls in TRANSIENT)
    assert cls.__doc__, "each error documents when it is raised"


def test_pim_errors_carry_structured_fields_and_a_trimmed_body() -> None:
    exc = errors.RateLimitedError(
        "throttled", endpoint="mapped-products", status=429, body="x" * 2000, retry_after_s=15.0, tenant="t1"
    )
    assert (exc.endpoint, exc.status, exc.retry_after_s, exc.tenant) == ("mapped-products", 429, 15.0, "t1")
    assert len(exc.body) == 500
    assert isinstance(exc, errors.PimError)
