"""Suite-wide fixtures, and the check that the suite leaves no process behind."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

# Hooks found by name: the session is marked at start, checked for leftovers at the end.
from tests.support.leftovers import pytest_addoption, pytest_configure, pytest_sessionfinish
from tests.support.loopback_only import sitecustomize as loopback_only

__all__ = ["pytest_addoption", "pytest_configure", "pytest_sessionfinish"]

# No network beyond loopback, here and in every Python process a test starts.
_GUARD = str(Path(loopback_only.__file__).parent)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_GUARD, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
)
os.environ[loopback_only.ENV] = "1"
loopback_only.install()


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
