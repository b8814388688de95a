"""Suite-wide fixtures, and the check that the suite leaves no process behind."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

# Hooks found by name: the session is marked at start, checked for leftovers at the end.
from tests.support.leftovers import pytest_addoption, pytest_configure, pytest_sessionfinish

__all__ = ["pytest_addoption", "pytest_configure", "pytest_sessionfinish"]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Commands under test call ``configure_logging`` on pytest's capture streams; put the
    root logger back afterwards, so later log records never reach a closed stream."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()
