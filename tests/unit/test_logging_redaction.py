"""Tracebacks are redacted after they are formatted: an exception message may carry a token."""

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
