"""Finding stored articles in PostgreSQL: a whole batch's keys at once.

An article is known by its (feed, GUID), else — if retention pruned it — by its
tombstone, else by one of its links (its entry's, its page's canonical) held as a stored
article's link or page canonical, else by its content fingerprint (the first article
stored with that link or fingerprint). :func:`ask_articles` and :func:`found_articles`
answer as ``monitor.store.sql.articles.find_article`` does, for a batch in five queries
whatever its size, where one lookup each would cost up to six round trips per article
(docs/decisions/0013-batched-ingest.md); all five are sent before any is read, so in a
pipeline they cost one round trip (0075).
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import AsyncCursor
from psycopg.rows import DictRow

from monitor.records import Article, MatchKind, article_id
from monitor.store.postgres.schema import Connection
from monitor.store.records import LINK_COLUMNS, KnownArticle, links_of
from monitor.store.sql import rows


async def ask_articles(conn: Connection, articles: Sequence[Article]) -> list[Sent]:
    """Send the queries that find ``articles``; read them with :func:`found_articles`. In
    a pipeline, nothing is waited for: they go out with what follows."""
    keyed = [a for a in articles if a.feed_url and a.guid]
    urls = [url for a in articles for url in links_of(a.link, a.page_canonical)]
    return [
        await _sent(conn, _BY_GUIDS, [a.feed_url for a in keyed], [a.guid for a in keyed]),
        await _sent(conn, _TOMBSTONES, [article_id(a.feed_url, a.guid) for a in keyed]),
        *[await _first_by(conn, column, urls) for column in LINK_COLUMNS],
        await _first_by(conn, "fingerprint", [a.fingerprint for a in articles]),
    ]


async def found_articles(
    asked: list[Sent], articles: Sequence[Article]
) -> list[KnownArticle | None]:
    """What the queries :func:`ask_articles` sent for ``articles`` found, per article."""
    by_guid, by_tombstone, *by_link, by_print = asked
    guids = {(row["feed_url"], row["guid"]): row for row in await _read(by_guid)}
    pruned = {row["article_id"]: row["story_id"] for row in await _read(by_tombstone)}
    held = [_keyed(await _read(sent)) for sent in by_link]
    prints = _keyed(await _read(by_print))

    def answer(article: Article) -> KnownArticle | None:
        if row := guids.get((article.feed_url, article.guid)):
            return rows.known_article(row, MatchKind.GUID)
        pruned_id = article_id(article.feed_url, article.guid)
        if article.guid and (story_id := pruned.get(pruned_id)):
            return rows.pruned_article(article.feed_url, pruned_id, story_id)
        for url in links_of(article.link, article.page_canonical):
            if row := next(filter(None, (by_column.get(url) for by_column in held)), None):
                return rows.known_article(row, MatchKind.LINK)
        if row := prints.get(article.fingerprint):
            return rows.known_article(row, MatchKind.FINGERPRINT)
        return None

    return [answer(article) for article in articles]


Sent = AsyncCursor[DictRow] | None  # None: nothing asked (an empty list of keys)


async def _sent(conn: Connection, statement: str, *arrays: list[str]) -> Sent:
    """``statement`` with one array per parameter, sent; nothing for empty arrays."""
    if not arrays[0]:
        return None
    # Planned for each call's arrays, never prepared: a generic plan cannot see how few
    # rows ``= ANY(list)`` picks and scans the whole articles table (docs/decisions/0016).
    return await conn.execute(statement, arrays, prepare=False)


async def _read(sent: Sent) -> list[DictRow]:
    return await sent.fetchall() if sent is not None else []


async def _first_by(conn: Connection, key: str, values: Sequence[str]) -> Sent:
    """The first article stored with each of ``values`` as its ``key`` column, asked."""
    return await _sent(conn, _FIRST_BY[key], list({value for value in values if value}))


def _keyed(found: list[DictRow]) -> dict[str, DictRow]:
    return {row["key"]: row for row in found}


_TOMBSTONES = "SELECT article_id, story_id FROM pruned_articles WHERE article_id = ANY(%s)"
_BY_GUIDS = """
SELECT a.article_id, a.story_id, a.feed_url, s.first_article_id, s.first_seen, a.guid
FROM unnest(%s::text[], %s::text[]) AS k(feed_url, guid)
JOIN articles a ON a.feed_url = k.feed_url AND a.guid = k.guid
JOIN stories s ON s.story_id = a.story_id
"""
_FIRST_BY = {
    key: f"""
SELECT DISTINCT ON (a.{key}) a.{key} AS key, a.article_id, a.story_id, a.feed_url,
       s.first_article_id, s.first_seen
FROM articles a JOIN stories s USING (story_id)
WHERE a.{key} = ANY(%s) AND a.{key} <> ''
ORDER BY a.{key}, a.fetched_at, a.seq
"""  # noqa: S608 - fixed column names
    for key in (*LINK_COLUMNS, "fingerprint")
}
