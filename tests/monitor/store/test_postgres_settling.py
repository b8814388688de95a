"""A write that opens a story is refused at publishing when another daemon published past
the mark its folding knew, and folded into that daemon's story once caught up
(docs/decisions/0056); settling just before the publishing learns what was published
meanwhile, so only a story opened in one round trip refuses it (decision 0073)."""

from __future__ import annotations

import psycopg
import pytest
from structlog.testing import capture_logs

from monitor.store.interface import ArticleRecord
from monitor.store.postgres.schema import open_transaction, run_steps
from monitor.store.postgres.store import PostgresStore
from monitor.store.postgres.story_sync import OpenedMeanwhileError
from monitor.store.sql.articles import store_article
from monitor.store.sql.dialect import POSTGRES
from tests.support.publishing import Unrelated, Watch, article_record, stored_articles
from tests.support.stores import POSTGRES_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]


async def test_a_story_opened_elsewhere_meanwhile_refuses_the_write_then_folds_it(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = daemons
    watch = Watch()
    first.watch_stories(watch)
    mine = article_record("mine")
    async with first._connection() as conn:
        await conn.execute("BEGIN")
        folded, known = await first.stories.before_write(conn, [mine])
        await run_steps(conn, store_article(POSTGRES, *mine))
        await second.record_articles([article_record("theirs")])  # the same event, elsewhere
        with pytest.raises(psycopg.errors.SerializationFailure):
            await first.stories.publish(conn, folded, known)
        await conn.execute("ROLLBACK")
    first.stories.published([mine], None)
    assert "a-mine" not in await stored_articles(first)
    await first.record_articles([mine])  # as the retry does: caught up, then folded
    assert (await stored_articles(first))["a-mine"][0] == "s-theirs"
    assert [article.story_id for article in watch.learned] == ["s-theirs"]


async def _settled_write(first: PostgresStore, second: PostgresStore, mine: ArticleRecord) -> int:
    """``mine`` written by ``first`` while ``second`` publishes an article, then settled
    and published with its commit, as ``record_articles`` does; the newest ``seq``."""
    newest = None
    try:
        async with first._connection() as conn, open_transaction(conn):
            folded, known = await first.stories.before_write(conn, [mine])
            await run_steps(conn, store_article(POSTGRES, *mine))
            await second.record_articles([article_record("theirs")])  # published meanwhile
            asked = await first.stories.ask_settling(conn, first.stories.refusable(folded))
            known = await first.stories.settle(conn, folded, known, asked)
            newest = await first.stories.publish(conn, folded, known, commit=True)
            return newest
    finally:
        first.stories.published([mine], newest)


async def test_an_unrelated_article_published_meanwhile_does_not_refuse_the_write(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    """Settling learns what was published while the write ran; unless it opened one of the
    write's stories, publishing goes through at the first try (decision 0073)."""
    first, second = daemons
    watch = Unrelated()
    first.watch_stories(watch)
    newest = await _settled_write(first, second, article_record("mine"))
    stored = await stored_articles(first)
    assert stored["a-mine"] == ("s-mine", newest)
    assert stored["a-theirs"][1] < newest
    assert [article.story_id for article in watch.learned] == ["s-theirs"]
    assert first.stories.mark == newest  # nothing learned twice


async def test_a_story_opened_meanwhile_is_found_by_settling_and_the_retry_folds_into_it(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = daemons
    first.watch_stories(Watch())
    mine = article_record("mine")
    with pytest.raises(OpenedMeanwhileError):
        await _settled_write(first, second, mine)
    assert "a-mine" not in await stored_articles(first)
    with capture_logs() as logs:
        await first.record_articles([mine])
    assert (await stored_articles(first))["a-mine"][0] == "s-theirs"
    assert not [e for e in logs if e["event"] == "store_write_retried"]


async def test_settling_passes_over_the_writes_own_rows(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    """The write's own rows carry a provisional ``seq`` until published: settling must not
    move the mark past them, or an article another daemon publishes next would be missed."""
    first, _ = daemons
    watch = Unrelated()
    first.watch_stories(watch)
    async with first._connection() as conn, open_transaction(conn):
        folded, known = await first.stories.before_write(conn, [article_record("mine")])
        await run_steps(conn, store_article(POSTGRES, *folded[0]))
        asked = await first.stories.ask_settling(conn, first.stories.refusable(folded))
        assert await first.stories.settle(conn, folded, known, asked) == known
        await conn.execute("ROLLBACK")
    assert watch.learned == []
