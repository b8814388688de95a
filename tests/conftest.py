"""Suite-wide fixtures, and the check that the suite leaves no process behind."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
import structlog

# Hooks found by name: the session is marked at start, checked for leftovers at the end.
from monitor.observability.logs import INHERITED_SETTINGS
from tests.support.environment import kept_in_environment
from tests.support.leftovers import (
    pytest_addoption,
    pytest_configure,
    pytest_sessionfinish,
    pytest_testnodedown,
)
from tests.support.loop_guard import guarded
from tests.support.loopback_only import sitecustomize as loopback_only

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "pytest_sessionfinish",
    "pytest_testnodedown",
]

# No network beyond loopback, here and in every Python process a test starts.
_GUARD = str(Path(loopback_only.__file__).parent)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_GUARD, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
)
os.environ[loopback_only.ENV] = "1"
loopback_only.install()

# The daemon runs on uvloop (decision 0079), so the suite's async tests do too; a test
# marked ``@pytest.mark.asyncio(loop_factories=[...])`` runs on each loop it names.
# WIREWATCH_TEST_EVENT_LOOP=asyncio runs the rest on asyncio's own loop instead.
# Each closes with a guard: parse workers a test left running fail it by name, and a
# close that never returns ends the run with every stack (tests/support/loop_guard.py).
LOOP_FACTORIES: Mapping[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "uvloop": guarded("uvloop"),
    "asyncio": guarded("asyncio"),
}
SUITE_LOOP = os.environ.get("WIREWATCH_TEST_EVENT_LOOP", "uvloop")


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    marker = item.get_closest_marker("asyncio")
    if marker is not None and "loop_factories" in marker.kwargs:
        return LOOP_FACTORIES
    return {SUITE_LOOP: LOOP_FACTORIES[SUITE_LOOP]}


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


@pytest.fixture(autouse=True)
def _restore_inherited_log_settings() -> Iterator[None]:
    """``configure_logging`` on stderr leaves its settings in the environment for the
    processes started afterwards (``INHERITED_SETTINGS``): put them back after each test,
    so a parse pool's fork server a later test of the same worker starts does not log as
    an earlier test configured."""
    with kept_in_environment(INHERITED_SETTINGS):
        yield
