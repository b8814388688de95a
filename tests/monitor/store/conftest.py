"""Fixtures the store tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from monitor.store.postgres.store import PostgresStore
from tests.support.stores import two_postgres_stores


@pytest.fixture(name="daemons")
async def _daemons() -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two daemons' stores on one fresh PostgreSQL schema."""
    async with two_postgres_stores() as daemons:
        yield daemons
