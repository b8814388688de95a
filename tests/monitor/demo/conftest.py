"""The demo newsroom tests' fixtures: a fake clock, a running newsroom on it, an HTTP client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from monitor.demo.newsroom import Newsroom
from tests.support.newsroom import RELEASE_EVERY, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def newsroom(clock: FakeClock) -> Iterator[Newsroom]:
    with Newsroom(release_every=RELEASE_EVERY, clock=clock) as room:
        yield room


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, trust_env=False) as client:
        yield client
