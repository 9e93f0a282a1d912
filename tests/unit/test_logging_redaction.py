"""Secrets never reach the log output: fields under secret-looking keys, bearer credentials, tracebacks."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
import structlog

from akeneo_sync.logging import configure_logging, get_logger

TOKEN = "eyJhbGciOi-very-secret-token"  # a fake token the output must not show


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """What the configured JSON handler writes (its formatter, on a buffer of our own)."""
    configure_logging("json", "INFO")
    root = logging.getLogger()
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    yield buffer
    structlog.reset_defaults()
    root.handlers.clear()


@pytest.mark.parametrize("source", ["structlog", "stdlib"])
def test_a_token_inside_an_exception_message_never_reaches_the_output(output: io.StringIO, source: str) -> None:
    try:
        raise RuntimeError(f"PIM refused: Authorization: Bearer {TOKEN}")
    except RuntimeError:
        if source == "structlog":
            get_logger("test").exception("call_failed")
        else:
            logging.getLogger("dramatiq.worker").exception("call failed")
    written = output.getvalue()
    assert "RuntimeError" in written
    assert TOKEN not in written
    assert "Bearer ***" in written


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_fields_under_secret_keys_are_masked_at_any_depth(log_format: str) -> None:
    configure_logging(log_format, "INFO")
    root = logging.getLogger()
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    try:
        get_logger("test").info(
            "token_refreshed",
            access_token=TOKEN,
            headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"},
            attempts=[{"client_secret": TOKEN, "status": 401}],
            detail=f"the PIM answered 401 to Bearer {TOKEN}",
            tenant="t1",
        )
    finally:
        structlog.reset_defaults()
        root.handlers.clear()
    written = buffer.getvalue()
    assert TOKEN not in written
    # What is not secret stays readable.
    assert "token_refreshed" in written
    assert "application/json" in written
    assert "t1" in written
    assert "Bearer ***" in written
