"""Parsing in the parse worker (monitor.ingest.parsing): new entries come back with their
languages identified and their texts read for grouping there, as the loop would have
identified and read them."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from monitor.daemon.polling import parse_pool
from monitor.feeds import ParsedNew, parse_new
from monitor.ingest import identified
from monitor.ingest.parsing import read_new
from monitor.stories import reading_of

FETCHED = datetime(2026, 3, 1, 12, tzinfo=UTC)
ITEMS = [  # (guid, title): written for this test
    ("ar-1", "القوات الحكومية تستعيد السيطرة على بلدة قرب دمشق بعد اشتباكات عنيفة"),
    ("ru-1", "Правительственные войска заняли город к северу от Дамаска после боёв"),
    ("short", "Homs"),
]
RSS = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
    + "".join(f"<item><guid>{g}</guid><title>{t}</title></item>" for g, t in ITEMS)
    + "</channel></rss>"
).encode()


def _parse() -> functools.partial[ParsedNew]:
    return functools.partial(
        parse_new,
        RSS,
        content_type="application/rss+xml",
        url="http://127.0.0.1/feed",
        max_entries=50,
        feed_url="http://127.0.0.1/feed",
        feed_name="Wire",
        fetched_at=FETCHED,
    )


def test_the_worker_identifies_and_reads_each_new_article() -> None:
    """Through a real parse worker process: the feed's setting is the hint for the
    headline too short to tell, the text decides the others; each text is read as the
    loop would read it."""
    pool = parse_pool(1)
    assert pool is not None
    try:
        parsed, readings = pool.submit(read_new, _parse(), "tr").result(timeout=120)
    finally:
        pool.shutdown()
    assert [article.language for article in parsed.articles] == ["ar", "ru", "tr"]
    plain = _parse()()
    assert list(parsed.articles) == identified(plain.articles, "tr")  # as the loop would
    assert readings == tuple(map(reading_of, parsed.articles))
    assert [reading.key[0] for reading in readings] == [title for _, title in ITEMS]
    assert (parsed.feed, parsed.declared) == (plain.feed, plain.declared)
