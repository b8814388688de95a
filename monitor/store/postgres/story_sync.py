"""PostgreSQL: story decisions that hold across daemons sharing one database.

Each daemon groups articles into stories with its own in-memory index
(``monitor.stories.index``), which does not see the stories other daemons open. So:

- every transaction storing articles publishes them in its last statement
  (``wirewatch_publish_articles``, migrations 0018 and 0025), which alone takes one
  advisory lock (transaction-level; the commit follows at once): the articles get their
  final ``seq`` there, so ``articles.seq`` grows in commit order, and no client code runs
  under the lock;
- before a batch is decided (its exact-match lookup) and again as its write begins,
  the articles other daemons stored since this daemon last looked (``seq`` beyond its
  mark) are added to its index (:class:`StoryWatch`);
- if a story this write is about to open was opened meanwhile by another daemon (one
  learned after this daemon decided), the article is folded into that story instead,
  in the same write, and so is every later article of the story this daemon opened in
  its mind only (an alias kept for them); alerts are then planned against that story
  (docs/decisions/0017-leases.md);
- a write that opens a story is refused at publishing when another daemon published
  articles past the mark its folding knew; it goes back to a savepoint taken before its
  publishing, learns what they published, and publishes again, or, when one of them opened
  a story it opens, is retried folded into it (docs/decisions/0056 and 0088). No lock
  shared by every daemon is held while a daemon's code runs, on any try.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

import structlog
from psycopg import AsyncCursor
from psycopg.rows import DictRow

from monitor.records import AlertRecord, Article, DedupDecision, Verdict, alert_id_for
from monitor.store.interface import ArticleRecord
from monitor.store.postgres.schema import Block, Connection, commit_with
from monitor.store.records import OpenedElsewhere, WindowArticle
from monitor.store.sql import rows

# Taken in the write's pipeline after its statements: a refused publishing rolls back to
# it (the write's rows and row locks kept), never the whole write (decision 0088). Utility
# statements, never prepared (decision 0073).
_SAVEPOINT = "SAVEPOINT publishing"
_BACK_TO_SAVEPOINT = "ROLLBACK TO SAVEPOINT publishing"
# Re-settlings of one try before it gives up and the write is retried whole: each needs
# another daemon to publish within one round trip of this write's, so this is a bug's guard.
_RESETTLES = 100
# Cast: with the COMMIT it is sent with values bound client-side (``commit_with``).
_PUBLISH = "SELECT wirewatch_publish_articles(%s::bigint, %s::text[], %s::boolean) AS newest"
# Every story row a write grows, locked at once in one order (ORDER BY sits below the row
# locks in the plan): two writes growing the same stories wait for each other, never
# each holding a row the other needs (decision 0056, "Story rows in one order").
# A row merged into another story meanwhile (decision 0070) is read anew once its lock is
# had: the write is then retried, folded into the survivor its catch-up learns.
_LOCK_STORIES = """
SELECT story_id, merged_into FROM stories WHERE story_id = ANY(%s) ORDER BY story_id FOR UPDATE
"""
_MARK = "SELECT coalesce(max(seq), 0) AS seq FROM articles"
# An index range on ``articles_seq`` read in pages, each article's story looked up once
# by its key: the LIMIT keeps the lateral subquery from being flattened into a join the
# planner could make by scanning every story, whatever the statistics (decision 0056).
_SINCE = """
SELECT a.seq, a.story_id, s.first_article_id, s.first_seen,
       a.title, a.summary, a.published, a.fetched_at,
       coalesce(a.page_lead, '') AS page_lead, a.language, a.embedding, a.article_id,
       (SELECT string_agg(m.absorbed_id, ' ') FROM story_merges m
        WHERE m.article_id = a.article_id) AS absorbed
FROM articles a
LEFT JOIN LATERAL (
    SELECT first_article_id, first_seen FROM stories WHERE story_id = a.story_id LIMIT 1
) s ON true
WHERE a.seq > %s {ours}
ORDER BY a.seq
LIMIT 500
"""
_PAGE = 500  # the LIMIT above
# Read inside a write's own transaction just before it publishes (``settle``): its own rows,
# inserted with a provisional ``seq``, are passed over, so the mark never moves past them.
_OTHERS_SINCE = _SINCE.format(ours="AND a.xmin <> pg_current_xact_id()::xid")
_SINCE = _SINCE.format(ours="")


_ALIASES_KEPT = 10_000
log = structlog.get_logger("monitor.store.postgres")


class OpenedMeanwhileError(Exception):
    """A story this write opens was opened by another daemon while it was being written:
    the write is rolled back and retried, folded into that story (its alias is kept)."""


class StoryWatch(Protocol):
    """The daemon's story index, told about articles other daemons stored."""

    def learn(self, articles: Sequence[WindowArticle]) -> None: ...

    def opened_elsewhere(
        self, records: Sequence[tuple[Article, DedupDecision]]
    ) -> dict[str, OpenedElsewhere]: ...


class StorySync:
    """The ``seq`` mark up to which this daemon's index has seen stored articles."""

    def __init__(self) -> None:
        self.watch: StoryWatch | None = None
        self.mark = 0
        self.aliases: dict[str, OpenedElsewhere] = {}  # our story id → the one stored
        self.own: set[str] = set()  # this daemon's articles published past the mark

    async def start(self, conn: Connection) -> None:
        """Before the index is warmed: articles stored from here on are read again."""
        row = await (await conn.execute(_MARK)).fetchone()
        self.mark = max(self.mark, int(row["seq"]) if row else 0)

    async def ask(self, conn: Connection) -> AsyncCursor[DictRow] | None:
        """The catch-up's first page, sent (not read): :meth:`catch_up` reads it."""
        return None if self.watch is None else await conn.execute(_SINCE, (self.mark,))

    async def catch_up(
        self, conn: Connection, query: str = _SINCE, asked: AsyncCursor[DictRow] | None = None
    ) -> None:
        """Articles stored since the mark, added to the index; the mark moves past them.
        ``asked``: the first page, sent by :meth:`ask`."""
        if self.watch is None:
            return
        while True:
            sent, asked = asked or await conn.execute(query, (self.mark,)), None
            # Past the mark as it is now: another catch-up may have moved it meanwhile.
            page = await sent.fetchall()
            stored = [row for row in page if int(row["seq"]) > self.mark]
            if stored:
                self.mark = max(self.mark, *(int(row["seq"]) for row in stored))
                self.watch.learn(self._others(stored))
            if len(page) < _PAGE:
                return

    def _others(self, stored: Sequence[DictRow]) -> list[WindowArticle]:
        """Rows other daemons stored; this daemon's own, known already, are passed."""
        ours = {row["article_id"] for row in stored} & self.own
        self.own.difference_update(ours)
        return [rows.window_article(row) for row in stored if row["article_id"] not in ours]

    async def before_write(
        self, conn: Connection, records: Sequence[ArticleRecord]
    ) -> tuple[list[ArticleRecord], int]:
        """Inside the storing transaction: catch up, and fold into another daemon's story
        what this write would open a second time; with the mark the decisions knew."""
        await self.catch_up(conn)
        if self.watch is None:
            await lock_stories(conn, records)
            return list(records), self.mark
        found = self.watch.opened_elsewhere(
            [(article, decision) for article, decision, _ in records]
        )
        self._alias(found)
        folded = [_folded(record, self.aliases) for record in records]
        await lock_stories(conn, folded)
        return folded, self.mark

    async def ask_settling(self, conn: Connection, refusable: bool) -> AsyncCursor[DictRow] | None:
        """The first page :meth:`settle` reads, sent in the write's pipeline (not read), so it
        comes back with the pipeline's last answers; None when the write needs no settling.
        The savepoint a refused publishing rolls back to is queued first, only for a write
        whose publishing can be refused (``refusable``, the write's :meth:`refusable`, found
        once a write; decision 0088, amended)."""
        if not refusable:
            return None
        await conn.execute(_SAVEPOINT, prepare=False)
        return await self._ask_others(conn)

    def refusable(self, records: Sequence[ArticleRecord]) -> bool:
        """Whether publishing ``records`` can be refused: they open a story this daemon's
        index must check against others' (a write that opens none is never refused). A scan
        of the write's records: on the pipelined write (``publish_at_commit``) found once
        and passed on; :meth:`publish`, sent on its own, scans them itself."""
        return self.watch is not None and _opens(records)

    async def _ask_others(self, conn: Connection) -> AsyncCursor[DictRow]:
        """Only for a refusable write: both callers (the settling and the re-settling of a
        write that took the savepoint) know it already."""
        return await conn.execute(_OTHERS_SINCE, (self.mark,))

    async def settle(
        self,
        conn: Connection,
        records: Sequence[ArticleRecord],
        known: int,
        asked: AsyncCursor[DictRow] | None,
    ) -> int:
        """Just before a write that opens a story publishes, in its transaction: what other
        daemons published since its folding (at ``known``) is learned (``asked``: the first
        page, from :meth:`ask_settling`), and a story it opens that one of them opened
        meanwhile raises :class:`OpenedMeanwhileError` (the retry folds it); else the mark the
        write now knows. Publishing is then refused only when another daemon publishes in
        the one round trip between this and it, not whenever one published while this write
        ran (decision 0073)."""
        if asked is None:
            return known
        await self.catch_up(conn, _OTHERS_SINCE, asked)
        if self.mark == known:
            return known
        assert self.watch is not None  # asked only when watched
        found = self.watch.opened_elsewhere(
            [(article, decision) for article, decision, _ in records]
        )
        if found:
            self._alias(found)
            raise OpenedMeanwhileError(f"{len(found)} stories opened by another daemon meanwhile")
        return self.mark

    def _alias(self, found: dict[str, OpenedElsewhere]) -> None:
        if not found:
            return
        if len(self.aliases) + len(found) > _ALIASES_KEPT:
            self.aliases.clear()
        self.aliases.update(found)

    async def publish(
        self,
        conn: Connection,
        records: Sequence[ArticleRecord],
        known: int,
        *,
        commit: bool = False,
    ) -> int:
        """The write's last statement, the only one under the stories lock (migration 0025):
        the articles' final ``seq``; ``commit`` sends the COMMIT with it, in one round trip
        (the lock is then never held while this process runs). Raises
        ``SerializationFailure`` when the write opens a story and another daemon published
        past ``known`` meanwhile (before schema version 25, also while the last-try lock of
        migration 0019 was held). The newest ``seq`` when nothing of others' lies before
        these articles, else 0. Not the daemon's write path (that is the pipelined
        :meth:`publish_at_commit`, given ``refusable``): this one reads it again itself."""
        values = self._publishing(records, known, self.refusable(records))
        if commit:
            row = await commit_with(conn, _PUBLISH, values)
        else:
            row = await (await conn.execute(_PUBLISH, values)).fetchone()
        return int(row["newest"]) if row else 0

    def publish_at_commit(
        self,
        block: Block,
        conn: Connection,
        records: Sequence[ArticleRecord],
        known: int,
        refusable: bool,
    ) -> None:
        """:meth:`publish` as the last statement of the write's pipelined transaction
        (``block``), sent in one message with its COMMIT once every other answer is read;
        read the newest ``seq`` after the block with :func:`newest_published`. Refused, a
        write that took :meth:`ask_settling`'s savepoint is re-settled from it and sent
        again (decision 0088); any other is rolled back whole and retried: one that opens no
        story has no savepoint to go back to. ``refusable``: as given to :meth:`ask_settling`."""
        again = _Republishing(self, conn, records, known) if refusable else None
        block.end_with(_PUBLISH, self._publishing(records, known, refusable), again)

    async def resettle(self, conn: Connection, records: Sequence[ArticleRecord], known: int) -> int:
        """After publishing was refused: back to the savepoint (the write's rows and story
        row locks kept; nothing of the refused statement's, its locks included), what was
        published since is learned, and the mark to publish again with, as :meth:`settle`
        (:class:`OpenedMeanwhileError` when one of this write's stories was opened). The
        rollback and the read go out in one pipeline: one round trip."""
        async with conn.pipeline():
            await conn.execute(_BACK_TO_SAVEPOINT, prepare=False)
            asked = await self._ask_others(conn)
        return await self.settle(conn, records, known, asked)

    def _publishing(
        self, records: Sequence[ArticleRecord], known: int, refusable: bool
    ) -> tuple[object, ...]:
        ids = [article.article_id for article, _, _ in records]
        self.own.update(ids)  # not learned back as another daemon's by a catch-up
        return (known, ids, refusable)

    def published(self, records: Sequence[ArticleRecord], newest: int | None) -> None:
        """After the commit (``newest``) or the rollback (None) of ``publish``'s write."""
        if newest == 0:
            return  # others' articles lie before them: kept in ``own`` until passed
        if newest:
            self.mark = max(self.mark, newest)
        self.own.difference_update(article.article_id for article, _, _ in records)


class _Republishing:
    """A write's publishing, refused (``serialization_failure``), re-settled and sent again;
    logged each time as ``store_publish_resettled``. Re-raises after ``_RESETTLES`` rounds."""

    def __init__(
        self, sync: StorySync, conn: Connection, records: Sequence[ArticleRecord], known: int
    ) -> None:
        self.sync, self.conn, self.records, self.known = sync, conn, records, known
        self.rounds = 0

    async def __call__(self, refused: Exception) -> tuple[object, ...]:
        self.rounds += 1
        if self.rounds > _RESETTLES:
            raise refused
        log.info("store_publish_resettled", round=self.rounds, articles=len(self.records))
        self.known = await self.sync.resettle(self.conn, self.records, self.known)
        # Made only for a refusable write (``publish_at_commit``), so refusable it is.
        return self.sync._publishing(self.records, self.known, True)


def newest_published(block: Block) -> int:
    """What :meth:`StorySync.publish_at_commit`'s statement answered, once committed."""
    return int(block.answer["newest"]) if block.answer else 0


async def lock_stories(conn: Connection, records: Sequence[ArticleRecord]) -> None:
    """Lock the rows of the stories ``records`` grow or merge away, sorted by id, before
    any is written; :class:`OpenedMeanwhileError` when one was merged into another story
    (by another daemon, since this daemon decided): the retry folds into the survivor."""
    grown = {d.story_id for _, d, _ in records if d.verdict is not Verdict.NEW_STORY}
    grown.update(story for _, d, _ in records for story in d.absorbed)
    if not grown:
        return
    locked = await (await conn.execute(_LOCK_STORIES, (sorted(grown),))).fetchall()
    merged = [row["story_id"] for row in locked if row["merged_into"]]
    if merged:
        raise OpenedMeanwhileError(f"{len(merged)} stories merged by another daemon meanwhile")


def _opens(records: Sequence[ArticleRecord]) -> bool:
    return any(decision.verdict is Verdict.NEW_STORY for _, decision, _ in records)


def _folded(record: ArticleRecord, aliases: dict[str, OpenedElsewhere]) -> ArticleRecord:
    """The record moved to the story another daemon opened for it, if there is one."""
    article, decision, alerts = record
    target = aliases.get(decision.story_id)
    if target is None:
        return record
    verdict = Verdict.FOLDED if decision.verdict is Verdict.NEW_STORY else decision.verdict
    opened = decision.verdict is Verdict.NEW_STORY
    evidence = target.evidence if opened else decision.evidence
    score = target.score if opened else decision.score
    moved = replace(decision, verdict=verdict, story_id=target.story_id,
                    duplicate_of=target.first_article_id, evidence=evidence,
                    score=score)  # fmt: skip
    if not callable(alerts):  # planned already (a planner plans against the story given)
        alerts = [_moved_alert(alert, target.story_id) for alert in alerts]
    return ArticleRecord(article, moved, alerts)


def _moved_alert(alert: AlertRecord, story_id: str) -> AlertRecord:
    return replace(
        alert, story_id=story_id, alert_id=alert_id_for(story_id, alert.rule, alert.event)
    )
