"""What readers ask of the store (the JSON API, the story pages): filtered, keyset-paged
lists of stories and alerts, a story's articles, rule counts, one silence.

Each list is ordered newest first with the id as tie-break and paged by keyset
(``after``: the time and id of the previous page's last row), so a page costs the same
however deep it is and rows stored meanwhile neither repeat nor vanish. Filters are
added as bound conditions, never as text from input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from monitor.records import Delivery, Feedback, Silence
from monitor.store.outbox import AlertListing
from monitor.store.records import (
    AlertFilter,
    Keyset,
    RuleCount,
    StoryArticle,
    StoryFilter,
    StorySummary,
)
from monitor.store.sql import feedback, rows
from monitor.store.sql import statements as sql
from monitor.store.sql.dialect import Dialect
from monitor.store.sql.rows import Row
from monitor.store.sql.steps import Steps, Values, changed, first_of, rows_of

T = TypeVar("T")
_STORIES = """
SELECT s.story_id, s.title, s.article_count, s.first_seen, s.last_seen,
       coalesce(a.link, '') AS link, coalesce(a.summary, '') AS summary,
       coalesce(a.feed_url, '') AS feed_url, coalesce(a.feed_name, '') AS feed_name,
       coalesce(a.language, '') AS language,
       (SELECT count(*) FROM story_outlets o WHERE o.story_id = s.story_id) AS outlets
FROM stories s LEFT JOIN articles a ON a.article_id = s.first_article_id
"""
_IN_STORY = "EXISTS (SELECT 1 FROM {table} x WHERE x.story_id = s.story_id AND {test})"
_LIKE = "{fold}(x.%s) LIKE ? ESCAPE '!'"
_STORY_ARTICLES = """
SELECT article_id, feed_url, feed_name, CASE WHEN outlet = '' THEN feed_url ELSE outlet END
       AS outlet, link, title, summary, language, author, published, fetched_at
FROM articles WHERE story_id = ? ORDER BY fetched_at, article_id{collate}
"""
_ALERTS = """
SELECT al.*, al.outlets AS alert_outlets, a.title
FROM alerts al JOIN articles a ON a.article_id = al.article_id
"""
_RULE_COUNTS = """
SELECT rule, count(*) AS alerts, count(DISTINCT story_id) AS stories,
       max(created_at) AS last_alert
FROM alerts GROUP BY rule ORDER BY rule{collate}
"""
_SILENCE = "SELECT * FROM silences WHERE silence_id = ?"
_EXPIRE_SILENCE = "UPDATE silences SET expires_at = ? WHERE silence_id = ? AND expires_at > ?"


def like_pattern(text: str) -> str:
    """``text`` anywhere, lower-cased as ``Dialect.fold`` does; its own % and _ literal."""
    escaped = text.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


def _story_conditions(chosen: StoryFilter) -> tuple[list[str], list[Any]]:
    tests: list[tuple[bool, str, tuple[Any, ...]]] = [
        # A story merged into another (decision 0070) answers with the survivor; lists
        # show only survivors.
        (True, "s.merged_into IS NULL", ()),
        (bool(chosen.story_id),
         "s.story_id = coalesce((SELECT m.merged_into FROM stories m WHERE m.story_id = ?), ?)",
         (chosen.story_id, chosen.story_id)),
        (bool(chosen.rule), _IN_STORY.format(table="alerts", test="x.rule = ?"), (chosen.rule,)),
        (bool(chosen.language),
         _IN_STORY.format(table="articles", test="x.language = ?"), (chosen.language,)),
        (bool(chosen.outlet),
         _IN_STORY.format(table="articles", test="(x.feed_name = ? OR x.feed_url = ?)"),
         (chosen.outlet, chosen.outlet)),
        (chosen.since is not None, "s.last_seen >= ?", (chosen.since,)),
        (chosen.until is not None, "s.first_seen < ?", (chosen.until,)),
        (bool(chosen.text),
         _IN_STORY.format(table="articles", test=f"({_LIKE % 'title'} OR {_LIKE % 'summary'})"),
         (like_pattern(chosen.text),) * 2),
    ]  # fmt: skip
    chosen_tests = [(test, values) for wanted, test, values in tests if wanted]
    return [test for test, _ in chosen_tests], [v for _, values in chosen_tests for v in values]


def _alert_conditions(chosen: AlertFilter) -> tuple[list[str], list[Any]]:
    state = "EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = al.alert_id AND d.state = ?)"
    tests: list[tuple[bool, str, Any]] = [
        (bool(chosen.alert_id), "al.alert_id = ?", chosen.alert_id),
        (bool(chosen.rule), "al.rule = ?", chosen.rule),
        (bool(chosen.story_id), "al.story_id = ?", chosen.story_id),
        (bool(chosen.severity), "al.severity = ?", chosen.severity),
        (bool(chosen.state), state, chosen.state),
        (chosen.since is not None, "al.created_at >= ?", chosen.since),
        (chosen.until is not None, "al.created_at < ?", chosen.until),
    ]
    chosen_tests = [(test, value) for wanted, test, value in tests if wanted]
    return [test for test, _ in chosen_tests], [value for _, value in chosen_tests]


def _page(
    dialect: Dialect,
    base: str,
    conditions: tuple[list[str], list[Any]],
    order: tuple[str, str],
    *,
    after: Keyset | None,
    limit: int,
) -> tuple[str, list[Any]]:
    """``base`` with the conditions, after ``after`` in (time DESC, id) ``order``."""
    tests, values = conditions
    time_column, id_column = order
    if after is not None:
        tests = [*tests, f"({time_column} < ? OR ({time_column} = ? AND "
                         f"{id_column}{{collate}} > ?))"]  # fmt: skip
        values = [*values, after[0], after[0], after[1]]
    where = f" WHERE {' AND '.join(tests)}" if tests else ""
    order_by = f" ORDER BY {time_column} DESC, {id_column}{{collate}} LIMIT ?"
    stored = [dialect.time(v) if isinstance(v, datetime) else v for v in [*values, limit]]
    return base + where + order_by, stored


def alert_listings(dialect: Dialect, statement: str, values: Values) -> Steps[list[AlertListing]]:
    """Each alert row of ``statement`` with its headline, deliveries and verdicts: three
    queries for a page of any length (the deliveries and verdicts of all its alerts)."""
    found = yield from rows_of(statement, values)
    ids = [row["alert_id"] for row in found]
    if not ids:
        return []
    listed = dialect.list_values(ids)
    sent = yield from rows_of(sql.deliveries_of(dialect, len(ids)), listed)
    judged = yield from rows_of(feedback.history_of(dialect, len(ids)), listed)
    deliveries = _by_alert(sent, rows.delivery)
    verdicts = _by_alert(judged, feedback.feedback)
    return [_listing(row, deliveries.get(row["alert_id"], ()), verdicts.get(row["alert_id"], ()))
            for row in found]  # fmt: skip


def _by_alert(found: Sequence[Row], read: Callable[[Row], T]) -> dict[str, tuple[T, ...]]:
    by_alert: dict[str, list[T]] = {}
    for row in found:
        by_alert.setdefault(row["alert_id"], []).append(read(row))
    return {alert_id: tuple(items) for alert_id, items in by_alert.items()}


def _listing(
    row: Row, deliveries: tuple[Delivery, ...], verdicts: tuple[Feedback, ...]
) -> AlertListing:
    notifiers = tuple(item.notifier for item in deliveries)
    alert = rows.alert(row, notifiers, outlets="alert_outlets")
    return AlertListing(alert, row["title"], deliveries, verdicts)


class SqlReads:
    """The readers' operations of :class:`~monitor.store.sql.base.SqlStore`."""

    dialect: ClassVar[Dialect]

    async def _perform(self, steps: Steps[T], *, snapshot: bool = False, write: bool = False) -> T:
        raise NotImplementedError

    async def _read(self, statement: str, values: Values = ()) -> list[Row]:
        return await self._perform(rows_of(statement, values))

    async def find_stories(
        self, chosen: StoryFilter, *, after: Keyset | None = None, limit: int = 50
    ) -> list[StorySummary]:
        """Stories ``chosen`` picks, last seen first (the id breaks ties)."""
        conditions = _story_conditions(chosen)
        order = ("s.last_seen", "s.story_id")
        statement, values = _page(
            self.dialect, _STORIES, conditions, order, after=after, limit=limit
        )
        return [rows.story_summary(row) for row in await self._read(statement, values)]

    async def story_articles(self, story_id: str) -> list[StoryArticle]:
        """Every article kept of the story, in the order they were fetched."""
        found = await self._read(_STORY_ARTICLES, (story_id,))
        return [rows.story_article(row) for row in found]

    async def find_alerts(
        self, chosen: AlertFilter, *, after: Keyset | None = None, limit: int = 50
    ) -> list[AlertListing]:
        """Alerts ``chosen`` picks, newest first, each with every delivery of it."""
        conditions = _alert_conditions(chosen)
        order = ("al.created_at", "al.alert_id")
        statement, values = _page(
            self.dialect, _ALERTS, conditions, order, after=after, limit=limit
        )
        return await self._perform(alert_listings(self.dialect, statement, values), snapshot=True)

    async def rule_counts(self) -> list[RuleCount]:
        """Alerts and stories per rule that has alerted, by rule name."""
        return [rows.rule_count(row) for row in await self._read(_RULE_COUNTS)]

    async def silence(self, silence_id: int) -> Silence | None:
        row = await self._perform(first_of(_SILENCE, (silence_id,)))
        return rows.silence(row) if row else None

    async def expire_silence(self, silence_id: int, now: datetime) -> bool:
        """End an active silence at ``now`` (kept, so listing them all still shows it);
        False when there is no such silence or it has expired already."""
        moment = self.dialect.time(now)
        count = await self._perform(changed(_EXPIRE_SILENCE, (moment, silence_id, moment)))
        return count > 0
