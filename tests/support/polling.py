"""A poll_feed harness for the polling tests: a real HTTP server, a real SQLite store, a
parse pool that counts its parses, and an injected clock."""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.config.feeds import FeedSettings
from monitor.config.settings import DaemonSettings
from monitor.feeds.health import FeedEvent
from monitor.feeds.parse_new import parse_new
from monitor.ingest.pipeline import Pipeline, PollOutcome, poll_feed
from monitor.records.models import FeedState
from monitor.store.sqlite.store import SqliteStore
from tests.support.feedserver import FeedServer

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


DAEMON = DaemonSettings(
    default_interval=300,
    min_interval=60,
    max_interval=7200,
    backoff_base=60,
    backoff_max=3600,
    jitter=0,
    failure_alert_after=3600,
)


def rss(items: int = 1, *, channel_extra: str = "", dates: list[datetime] | None = None) -> bytes:
    def item(index: int) -> str:
        date = ""
        if dates is not None:
            date = f"<pubDate>{dates[index].strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        return f"<item><title>Entry {index}</title><guid>e-{index}</guid>{date}</item>"

    count = len(dates) if dates is not None else items
    body = "".join(item(index) for index in range(count))
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">'
        f"<channel><title>T</title>{channel_extra}{body}</channel></rss>"
    ).encode()


class CountingExecutor(ThreadPoolExecutor):
    """A real executor that counts the parses run in it (``parsed``), not the other work
    the pipeline hands the parse pool, such as embedding headlines."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.parsed = 0
        self.hints: list[bytes] = []  # the ``seen`` digests each parse was handed

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        parse = getattr(fn, "args", (None,))[0]  # read_new / read_hashed(parse, …)
        if isinstance(parse, functools.partial) and parse.func is parse_new:
            assert isinstance(fn, functools.partial)
            fn = functools.partial(fn.func, self._counted(parse), *fn.args[1:], **fn.keywords)
        return super().submit(fn, *args, **kwargs)

    def _counted(self, parse: functools.partial[Any]) -> Callable[[], Any]:
        def counted() -> Any:
            self.parsed += 1
            self.hints.append(parse.keywords["seen"])
            return parse()

        return counted


@dataclass
class Harness:
    server: FeedServer
    store: SqliteStore
    pipe: Pipeline
    executor: CountingExecutor
    now: datetime = NOW
    events: list[FeedEvent] = field(default_factory=list)

    def feed(self, path: str, **settings: Any) -> FeedSettings:
        return FeedSettings(url=self.server.url(path), **settings)

    async def poll(self, feed: FeedSettings, *, at: timedelta = timedelta()) -> PollOutcome:
        self.now = NOW + at
        return await poll_feed(feed, self.pipe)

    async def state(self, feed: FeedSettings) -> FeedState:
        state = await self.store.feed_state(feed.url)
        assert state is not None
        return state


def after(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)
