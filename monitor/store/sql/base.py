"""The store operations both backends run the same way, written once.

:class:`SqlStore` carries every operation that runs the same SQL on both databases; a
backend supplies how statements run (:meth:`SqlStore._perform`, which drives
:mod:`monitor.store.sql.steps`) and its :class:`~monitor.store.sql.dialect.Dialect`, and
keeps for itself what only it can do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import astuple, fields
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

from monitor.records import (
    AlertRecord,
    Article,
    DedupDecision,
    DeliveryState,
    FeedState,
    WebSubSubscription,
)
from monitor.store.group_commit import FeedStateWriter
from monitor.store.interface import ArticleRecord
from monitor.store.outbox import AlertListing, DeliveryUpdate, ThreadRef, last_per_delivery
from monitor.store.records import (
    AlertPlanner,
    DeliveryContext,
    KnownArticle,
    MarkedWindow,
    NotifierQueue,
    PruneCutoffs,
    RuleHour,
    StoredArticle,
    StoreNotWritableError,
    StoryRecord,
    WindowArticle,
)
from monitor.store.retention import PRUNE_KINDS
from monitor.store.sql import articles, rows, surge_alerts, upkeep
from monitor.store.sql import statements as sql
from monitor.store.sql.annotations import SqlAnnotations
from monitor.store.sql.dialect import Dialect
from monitor.store.sql.reads import SqlReads, alert_listings
from monitor.store.sql.rows import Row
from monitor.store.sql.steps import Steps, Values, all_of, changed, each, first_of, rows_of, written
from monitor.store.writability import Writability
from monitor.surges import Surge

T = TypeVar("T")


class SqlStore(SqlAnnotations, SqlReads):
    """The operations shared by ``SqliteStore`` and ``PostgresStore``."""

    dialect: ClassVar[Dialect]
    _feed_writer: FeedStateWriter
    writability: Writability  # the backend reports every write refused for a full disk here
    migrated: tuple[int, int] = (0, 0)  # (from, to) schema versions of the last open

    # The keys retention deletes rows by, per kind (monitor.store.sql.upkeep).
    _prune_keys: ClassVar[Mapping[str, str]]

    async def _perform(self, steps: Steps[T], *, snapshot: bool = False, write: bool = False) -> T:
        """Run ``steps``; ``snapshot``: its reads see one state of the database; ``write``:
        its writes are one transaction, all or nothing."""
        raise NotImplementedError

    def _prune_articles(self, values: dict[str, Any]) -> Steps[int]:
        """Prune one batch of articles, each leaving its tombstone; how many went."""
        raise NotImplementedError

    async def write_check(self) -> StoreNotWritableError | None:
        """None when the store takes writes, else why not. Only while the last write failed
        does it try one (a statement that changes nothing): a healthy store is not written."""
        if self.writability.problem is None:
            return None
        try:
            await self._perform(changed(self.dialect.write_check), write=True)
        except StoreNotWritableError as problem:
            return problem
        self.writability.recovered()
        return None

    async def _rows(self, statement: str, values: Values = ()) -> list[Row]:
        return await self._perform(rows_of(statement, values))

    async def _execute(self, statement: str, values: Values = ()) -> int:
        return await self._perform(changed(statement, values))

    async def prune_batch(self, kind: str, cutoffs: PruneCutoffs, limit: int, now: datetime) -> int:
        if kind not in PRUNE_KINDS:
            raise ValueError(f"unknown kind to prune: {kind!r}")
        values = upkeep.bounds(self.dialect, cutoffs, limit, now)
        if kind == "articles":
            return await self._perform(self._prune_articles(values), write=True)
        return await self._perform(
            changed(upkeep.delete(kind, self._prune_keys), values), write=True
        )

    async def count_prunable(self, cutoffs: PruneCutoffs) -> dict[str, int]:
        values = upkeep.bounds(self.dialect, cutoffs)
        return await self._perform(upkeep.count_prunable(self._prune_keys, values), snapshot=True)

    async def record_articles(self, records: Sequence[ArticleRecord]) -> list[list[AlertRecord]]:
        return await self._perform(articles.store_articles(self.dialect, records), write=True)

    async def find_articles(self, found: Sequence[Article]) -> list[KnownArticle | None]:
        keys = ((a.feed_url, a.guid, a.link, a.fingerprint, a.page_canonical) for a in found)
        return await self._perform(all_of(articles.find_article(*key) for key in keys))

    async def record_article(
        self,
        article: Article,
        decision: DedupDecision,
        alerts: Sequence[AlertRecord] | AlertPlanner,
    ) -> list[AlertRecord]:
        return (await self.record_articles([ArticleRecord(article, decision, alerts)]))[0]

    async def record_page(
        self, article_id: str, body: str, alerts: AlertPlanner, language: str = ""
    ) -> list[AlertRecord] | None:
        return await self._perform(
            articles.store_page(self.dialect, article_id, body, alerts, language), write=True
        )

    async def save_feed_state(self, state: FeedState) -> None:
        await self._feed_writer.save(state)  # group-committed (decision 0010)

    async def _write_feed_states(self, states: list[FeedState]) -> None:
        """Every state in one transaction, in URL order: two daemons saving overlapping
        batches lock rows in the same order, so they wait for each other, never deadlock."""
        latest = {state.url: state for state in states}  # a later save of a feed wins
        values = [self._stored(latest[url]) for url in sorted(latest)]
        if self.dialect.lists_as_arrays:  # one statement for the batch, one array a column
            columns = [list(column) for column in zip(*values, strict=True)]
            await self._perform(written(sql.UPSERT_FEEDS, columns), write=True)
        else:  # SQLite: each row on the database's own thread, no round trip to save
            await self._perform(each(sql.UPSERT_FEED, values), write=True)

    async def known_guids(self, feed_url: str, guids: Sequence[str]) -> set[str]:
        if not guids:
            return set()
        return await self._perform(
            articles.known_guids(self.dialect, feed_url, guids), snapshot=True
        )

    async def latest_guids(self, feed_url: str, limit: int) -> list[str]:
        return await self._perform(articles.latest_guids(self.dialect, feed_url, limit))

    async def find_article(
        self, feed_url: str, guid: str, link: str, fingerprint: str = "", page_canonical: str = ""
    ) -> KnownArticle | None:
        found = articles.find_article(feed_url, guid, link, fingerprint, page_canonical)
        return await self._perform(found)

    async def story(self, story_id: str) -> StoryRecord | None:
        return await self._perform(articles.read_story(story_id), snapshot=True)

    async def recent_articles(self, since: datetime) -> list[WindowArticle]:
        found = await self._rows(sql.RECENT_ARTICLES, (self.dialect.time(since),))
        return [rows.window_article(row) for row in found]

    async def index_mark(self) -> int:
        return await self._arrival_top()

    async def article_at(self, arrival: int) -> str | None:
        row = await self._perform(first_of(sql.ARTICLE_AT, (arrival,)))
        return str(row["article_id"]) if row else None

    async def articles_after(self, mark: int, since: datetime) -> list[WindowArticle]:
        return await self._window_between(mark, await self._arrival_top(), since)

    async def window_to_mark(self, since: datetime) -> MarkedWindow:
        # Every arrival up to the top is committed once the top is seen (SQLite: one
        # writer; PostgreSQL: ``seq`` is given in commit order), so rows bounded by it are
        # exactly what a replay from it leaves out, whatever is written meanwhile.
        return await self._perform(_window_to_mark(self.dialect.time(since)), snapshot=True)

    async def _arrival_top(self) -> int:
        row = await self._perform(first_of(sql.ARRIVAL_TOP))
        return int(row["top"]) if row else 0

    async def _window_between(self, mark: int, top: int, since: datetime) -> list[WindowArticle]:
        found = await self._rows(sql.WINDOW_AFTER, (mark, top, self.dialect.time(since)))
        return [rows.window_article(row) for row in found]

    async def feed_state(self, url: str) -> FeedState | None:
        row = await self._perform(first_of(sql.SELECT_FEEDS + " WHERE url = ?", (url,)))
        return rows.feed_state(row) if row else None

    async def feed_states(self) -> list[FeedState]:
        # Byte order for text on both backends, whatever PostgreSQL's collation.
        found = await self._rows(sql.SELECT_FEEDS + f" ORDER BY url{self.dialect.collate}")
        return [rows.feed_state(row) for row in found]

    async def websub_subscriptions(self) -> list[WebSubSubscription]:
        order = f" ORDER BY feed_url{self.dialect.collate}"
        return [rows.subscription(row) for row in await self._rows(sql.SELECT_WEBSUB + order)]

    async def save_websub_subscription(self, subscription: WebSubSubscription) -> None:
        await self._execute(sql.UPSERT_WEBSUB, self._stored(subscription))

    def _stored(self, record: Any) -> tuple[Any, ...]:
        """A dataclass's fields as the backend stores them, in field order. Its fields are
        plain values, read as they are: ``astuple`` deep-copies each (every datetime through
        copy's reduce protocol), ~20x the cost, paid for every feed state of every poll."""
        time = self.dialect.time
        values = [getattr(record, name) for name in _field_names(type(record))]
        return tuple([time(value) if isinstance(value, datetime) else value for value in values])

    async def story_outlets(self, story_id: str) -> frozenset[str]:
        return frozenset(row["outlet"] for row in await self._rows(sql.STORY_OUTLETS, (story_id,)))

    async def articles_since(
        self, since: datetime, *, after: tuple[datetime, str] | None = None, limit: int = 500
    ) -> list[StoredArticle]:
        """One page keyed on (fetched_at, article_id): a page costs the same however deep."""
        start, time = after or (since, ""), self.dialect.time
        values = (time(since), time(start[0]), start[1], limit)
        found = await self._rows(sql.ARTICLES_PAGE, values)
        return [rows.stored_article(row) for row in found]

    async def count_articles_since(self, since: datetime) -> int:
        row = await self._perform(first_of(sql.COUNT_ARTICLES, (self.dialect.time(since),)))
        return int(row["n"]) if row else 0

    async def feed_health_counts(self) -> dict[str, int]:
        return {row["health"]: int(row["n"]) for row in await self._rows(sql.HEALTH_COUNTS)}

    async def status_feeds(self, limit: int) -> list[FeedState]:
        found = await self._rows(sql.STATUS_FEEDS, (limit,))
        return [rows.feed_state(row) for row in found]

    async def article_languages(self, limit: int) -> list[str]:
        found = await self._rows(sql.ARTICLE_LANGUAGES, (limit,))
        return [str(row["language"]) for row in found]

    async def story_alerts(self, story_ids: Sequence[str]) -> list[AlertRecord]:
        if not story_ids:
            return []
        statement = sql.story_alerts(self.dialect, len(story_ids))
        found = await self._rows(statement, self.dialect.list_values(story_ids))
        return [rows.alert(row) for row in found]

    async def rule_activity(self, rules: Sequence[str], since: datetime) -> list[RuleHour]:
        if not rules:
            return []
        statement = sql.rule_activity(self.dialect, len(rules))
        values = (self.dialect.time(since), *self.dialect.list_values(rules))
        return [rows.rule_hour(row) for row in await self._rows(statement, values)]

    async def record_surge_alerts(
        self,
        fired: Sequence[Surge],
        alerts: Sequence[AlertRecord],
        cooldown: timedelta = timedelta(0),
    ) -> list[AlertRecord]:
        steps = surge_alerts.store_surge_alerts(self.dialect, fired, alerts, cooldown)
        return await self._perform(steps, write=True)

    def _pick(self, which: str, values: dict[str, Any]) -> Steps[list[Row]]:
        """The delivery contexts of ``which`` pending deliveries: "due" (by ``:now``, up to
        ``:limit``), "due_on" (the same on ``:notifier``), "members" (of batch ``:batch``)
        or "held" (``:notifier``, ``:hold``).
        Read as they are: PostgreSQL claims them for one daemon among several instead."""
        return rows_of(sql.PICKS[which], values)

    def _updates(self, delivery_ids: list[int], values: tuple[Any, ...]) -> Steps[Any]:
        """Write (state, attempts, next attempt, error, hold, first attempt) to each of
        ``delivery_ids`` (a first attempt already stored is kept)."""
        stamp = self.dialect.time(datetime.now(UTC))
        return each(sql.UPDATE_DELIVERY, [(*values, stamp, id_) for id_ in delivery_ids])

    async def update_deliveries(
        self,
        delivery_ids: Sequence[int],
        *,
        state: DeliveryState,
        attempts: int,
        next_attempt_at: datetime,
        error: str | None,
        hold: str | None = None,
        first_attempt_at: datetime | None = None,
    ) -> None:
        update = DeliveryUpdate(
            tuple(delivery_ids), state, attempts, next_attempt_at, error, hold, first_attempt_at
        )
        await self.record_outcomes([update])

    async def record_outcomes(
        self, updates: Sequence[DeliveryUpdate], threads: Sequence[ThreadRef] = ()
    ) -> None:
        await self._perform(self._outcomes(updates, threads), write=True)

    def _outcomes(
        self, updates: Sequence[DeliveryUpdate], threads: Sequence[ThreadRef]
    ) -> Steps[None]:
        time = self.dialect.time
        for update in last_per_delivery(updates):  # one statement per outcome, as if in order
            values = (update.state, update.attempts, time(update.next_attempt_at), update.error,
                      update.hold, time(update.first_attempt_at))  # fmt: skip
            yield from self._updates(list(update.delivery_ids), values)
        yield from each(sql.SAVE_THREAD, [astuple(thread) for thread in threads])

    async def due_deliveries(
        self, now: datetime, limit: int, notifier: str | None = None
    ) -> list[DeliveryContext]:
        return await self._perform(self._due(now, limit, notifier), snapshot=True)

    def _due(self, now: datetime, limit: int, notifier: str | None) -> Steps[list[DeliveryContext]]:
        """Due deliveries and every pending member of their batches, in one snapshot."""
        values: dict[str, Any] = {"now": self.dialect.time(now), "limit": limit}
        if notifier is None:
            found = yield from self._pick("due", values)
        else:
            found = yield from self._pick("due_on", {**values, "notifier": notifier})
        seen = {row["delivery_id"] for row in found}
        for batch_id in dict.fromkeys(row["batch_id"] for row in found if row["batch_id"]):
            members = yield from self._pick("members", {"batch": batch_id})
            found += [row for row in members if row["delivery_id"] not in seen]
            seen.update(row["delivery_id"] for row in members)
        return [surge_alerts.delivery_context(row) for row in found]

    async def notifier_queues(
        self, now: datetime, notifier: str | None = None
    ) -> dict[str, NotifierQueue]:
        values = {"now": self.dialect.time(now), "notifier": notifier}
        statement = sql.NOTIFIER_QUEUES if notifier is None else sql.NOTIFIER_QUEUE
        found = await self._rows(statement, values)
        return {row["notifier"]: rows.notifier_queue(row) for row in found}

    async def held_deliveries(self, notifier: str, hold: str) -> list[DeliveryContext]:
        held = self._pick("held", {"notifier": notifier, "hold": hold})
        found = await self._perform(held, snapshot=True)
        return [surge_alerts.delivery_context(row) for row in found]

    async def claim_batch(self, batch_id: str, delivery_ids: Sequence[int]) -> None:
        if delivery_ids:
            statement = sql.claim_batch(self.dialect, len(delivery_ids))
            await self._execute(statement, (batch_id, *self.dialect.list_values(delivery_ids)))

    async def save_thread(self, story_id: str, rule: str, notifier: str, ref: str) -> None:
        await self.record_outcomes([], [ThreadRef(story_id, rule, notifier, ref)])

    async def delivery_counts(self) -> dict[str, int]:
        return {row["state"]: int(row["n"]) for row in await self._rows(sql.DELIVERY_COUNTS)}

    async def oldest_pending(self) -> datetime | None:
        """When the oldest alert still waiting for a delivery was raised (for metrics)."""
        row = await self._perform(first_of(sql.OLDEST_PENDING))
        return rows.moment(row["oldest"]) if row else None

    async def list_alerts(
        self, since: datetime, state: str | None = None, limit: int = 500
    ) -> list[AlertListing]:
        values = (self.dialect.time(since), state, state, limit)
        listings = alert_listings(self.dialect, sql.LIST_ALERTS, values)
        return await self._perform(listings, snapshot=True)

    async def alert_listing(self, alert_id: str) -> AlertListing | None:
        listings = alert_listings(self.dialect, sql.ONE_ALERT, (alert_id,))
        found = await self._perform(listings, snapshot=True)
        return found[0] if found else None


def _window_to_mark(since: Any) -> Steps[MarkedWindow]:
    top_row = yield from first_of(sql.ARRIVAL_TOP)
    top = int(top_row["top"]) if top_row else 0
    at = yield from first_of(sql.ARTICLE_AT, (top,))
    found = yield from rows_of(sql.WINDOW_TO, (since, top))
    article_id = str(at["article_id"]) if at else ""
    return MarkedWindow(top, article_id, [rows.window_article(row) for row in found])


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _field_names(kind: type[Any]) -> tuple[str, ...]:
    """A dataclass's field names, in order: read once per class, not per stored row (a
    feed state is stored at every poll)."""
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(field.name for field in fields(kind))
    return names
