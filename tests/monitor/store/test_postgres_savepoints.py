"""Only a write whose publishing can be refused (it opens a story) takes the savepoint a
refusal goes back to; a refused one re-settles in one round trip; a write without the
savepoint, refused all the same (by the last-try lock of an older daemon, migration
0019), is redone whole, never sent back to a savepoint it did not take (decision 0088)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from monitor.store.interface import ArticleRecord
from monitor.store.postgres.schema import Connection
from monitor.store.postgres.store import PostgresStore
from monitor.store.sql.dialect import POSTGRES
from tests.support.publishing import Meddled, Unrelated, article_record, stored_articles
from tests.support.round_trips import Exchanges, libpq_traced, sent
from tests.support.stores import POSTGRES_URL, two_postgres_stores

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]

_PUBLISHING = "wirewatch_publish_articles"
_LAST_TRY = "SELECT pg_advisory_xact_lock(hashtextextended('wirewatch.stories.last-try:' || current_schema(), 0))"  # noqa: E501


@pytest.fixture(name="daemons")
async def _daemons() -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """The first daemon on one connection, the one :func:`libpq_traced` follows."""
    async with two_postgres_stores(first_size=1) as daemons:
        yield daemons


def _sent(trace: Path) -> list[str]:
    """Each message the client sent, as libpq's trace shows it (kind, then text)."""
    lines = trace.read_text().splitlines()
    return ["\t".join(line.split("\t")[2:]) for line in lines if line.startswith("F\t")]


def _savepoints(messages: list[str]) -> int:
    return sum("SAVEPOINT publishing" in message for message in messages)


@pytest.mark.parametrize(
    ("records", "savepoints"),
    [
        ([article_record("grows", joins="s-old")], 0),  # opens no story: never refused
        ([article_record("grows", joins="s-old"), article_record("mine")], 1),
    ],
    ids=["opens no story", "opens a story"],
)
async def test_only_a_write_that_opens_a_story_takes_the_savepoint(
    daemons: tuple[PostgresStore, PostgresStore],
    tmp_path: Path,
    records: list[ArticleRecord],
    savepoints: int,
) -> None:
    first, second = daemons
    await second.record_articles([article_record("old")])
    first.watch_stories(Unrelated())
    trace = tmp_path / "libpq.trace"
    async with libpq_traced(first, trace):
        await first.record_articles(records)
    assert _savepoints(_sent(trace)) == savepoints
    assert (await stored_articles(first))["a-grows"][0] == "s-old"


async def test_a_refused_publishing_resettles_in_one_round_trip(
    daemons: tuple[PostgresStore, PostgresStore], tmp_path: Path
) -> None:
    """Between the refused publishing and the one sent again: back to the savepoint and
    the read of what was published since, in one pipeline (two round trips before)."""
    first, second = daemons

    async def meanwhile(conn: Connection, settled: int) -> None:
        if settled == 1:
            await second.record_articles([article_record("theirs")])

    first.stories = Meddled(meanwhile)
    first.watch_stories(Unrelated())
    trace = tmp_path / "libpq.trace"
    with capture_logs() as logs:
        async with libpq_traced(first, trace):
            await first.record_articles([article_record("mine")])
    assert [line["round"] for line in logs if line["event"] == "store_publish_resettled"] == [1]
    messages = _sent(trace)
    refused, again = (n for n, message in enumerate(messages) if _PUBLISHING in message)
    between = messages[refused + 1 : again]
    assert sent("".join(f"F\t0\t{message}\n" for message in between)) == Exchanges(2, 1)
    assert any("ROLLBACK TO SAVEPOINT publishing" in message for message in between)
    assert (await stored_articles(first))["a-mine"][0] == "s-mine"


async def test_a_write_without_the_savepoint_refused_by_an_older_daemon_is_redone_whole(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    """A daemon from before decision 0088 on its last try holds the last-try lock, which
    the publishing of schema versions 19 to 24 gives way to: a write that opens no story
    is refused then and took no savepoint, so it is rolled back and retried whole."""
    first, second = daemons
    [old_function] = [script for version, script in POSTGRES.migrations() if version == 19]
    await second.record_articles([article_record("old")])
    async with second._connection() as older:
        await older.execute(old_function)  # the publishing an older schema had
        await older.execute("BEGIN")
        await older.execute(_LAST_TRY)  # the older daemon's last try, until released

        async def meanwhile(conn: Connection, settled: int) -> None:
            if settled == 2:  # the retry's settling: the older daemon's try commits
                await older.execute("COMMIT")

        first.stories = Meddled(meanwhile)
        first.watch_stories(Unrelated())
        with capture_logs() as logs:
            await first.record_articles([article_record("grows", joins="s-old")])
    events = [(line["event"], line.get("reason")) for line in logs]
    assert events == [("store_write_retried", "serialization_failure")]
    assert first.stories.begun == 2
    assert (await stored_articles(first))["a-grows"][0] == "s-old"


async def test_the_publishing_gives_way_to_no_last_try_lock_from_schema_version_25(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    """No daemon takes the last-try lock since decision 0088; the publishing's check for it
    went with migration 0025: held, it refuses nothing (before, every publishing)."""
    first, second = daemons
    first.watch_stories(Unrelated())
    async with second._connection() as older:
        await older.execute("BEGIN")
        await older.execute(_LAST_TRY)
        with capture_logs() as logs:
            await first.record_articles([article_record("mine")])
        await older.execute("ROLLBACK")
    assert not logs
    assert (await stored_articles(first))["a-mine"][0] == "s-mine"
