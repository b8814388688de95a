"""A loopback farm of many feeds carrying syndicated stories, recording who polled what when.

    with SyndicationFarm(feeds=1000, group_size=10) as farm:
        urls = farm.urls
        ...
        farm.advance()                     # round 1: a third of the groups publish a story
        farm.wait_until(lambda: farm.all_polled_since(moment))

Feeds are split into groups; in round 0 every group publishes a story, in each later
round a third of the groups publish a new one (the other feeds are unchanged). Each feed
of a group carries the group's stories under its outlet's headline variant ("UPDATE 1-…",
"… - Outlet 7", "… (Outlet 7)"), so a deduplicating reader sees one story per group and
round. Every story's words are invented and its own (no word shared between stories but
the watch terms), and its first word is a code that names it in an alert's title.
Feeds are served from several loopback addresses (every 127/8 address reaches this
machine) with ETags, answering 304 when unchanged; each GET is recorded with its
monotonic time and User-Agent, so a test can tell which daemon polled a feed and when.
Waiting blocks on a condition notified by every request, never on sleeps.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from types import TracebackType
from typing import Self

__all__ = ["Poll", "Story", "SyndicationFarm", "story_code_in"]

SYLLABLES = "ka lo mi ne ra tu sen var dol pim quo res tal vin wex yor zan bel cor dun".split()
WORDS_PER_STORY = 5
WATCH_TERMS = ("Latakia", "Hama")  # every story names Latakia; every other one Hama too
HANG_GUARD = 90.0  # seconds; only reached when something is broken


@dataclass(frozen=True, slots=True)
class Story:
    """One event, carried by every feed of its group from its round on."""

    group: int
    round: int
    code: str  # an invented word no other story uses: names the story in alert titles
    headline: str

    @property
    def terms(self) -> tuple[str, ...]:
        return WATCH_TERMS if self.group % 2 else WATCH_TERMS[:1]


@dataclass(frozen=True, slots=True)
class Poll:
    feed: int
    at: float  # time.monotonic() when the request arrived
    agent: str  # the User-Agent: which daemon polled
    round: int  # the farm's round when it was polled


def _word(number: int) -> str:
    base = len(SYLLABLES)
    return "".join(SYLLABLES[(number // base**k) % base] for k in range(3))


def make_story(group: int, round_: int, groups: int) -> Story:
    first = (round_ * groups + group) * WORDS_PER_STORY
    words = [_word(first + k) for k in range(WORDS_PER_STORY)]
    place = " and ".join(WATCH_TERMS if group % 2 else WATCH_TERMS[:1])
    headline = f"{words[0].capitalize()} {' '.join(words[1:])} reported near {place}"
    return Story(group, round_, words[0], headline)


def publishes(group: int, round_: int) -> bool:
    """Every group has a story in round 0; after that a third of them publish each round
    (the rest of the feeds answer 304), so a round costs the daemons little CPU."""
    return round_ == 0 or group % 3 == round_ % 3


def story_code_in(title: str, stories: dict[str, Story]) -> Story | None:
    """The story whose code word is in ``title`` (an alert's headline variant)."""
    for word in title.replace("-", " ").replace("(", " ").split():
        if (story := stories.get(word.lower())) is not None:
            return story
    return None


class SyndicationFarm:
    """``feeds`` RSS feeds in groups of ``group_size``, on ``hosts`` loopback addresses."""

    def __init__(self, feeds: int, group_size: int, hosts: int = 10) -> None:
        self.feeds, self.group_size, self.hosts = feeds, group_size, hosts
        self.groups = -(-feeds // group_size)
        self.round = 0
        self.polls: list[Poll] = []
        self._last: dict[str, list[float]] = {}  # User-Agent → each feed's latest poll time
        self._changed = threading.Condition()
        self._published = datetime.now(UTC).replace(microsecond=0)
        self._addresses: list[tuple[str, int]] = []
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    # -- the content ----------------------------------------------------------------------

    def stories(self) -> dict[str, Story]:
        """Every story published up to the current round, by code word."""
        made = (
            make_story(g, r, self.groups)
            for r in range(self.round + 1)
            for g in range(self.groups)
            if publishes(g, r)
        )
        return {story.code: story for story in made}

    def advance(self) -> float:
        """The next round: every group publishes a new story; the moment it happened."""
        with self._changed:
            self.round += 1
            return time.monotonic()

    def body(self, feed: int, round_: int) -> bytes:
        group = feed // self.group_size
        carried = [make_story(group, r, self.groups) for r in range(round_, -1, -1)]
        items = "".join(
            self._item(feed, story) for story in carried if publishes(group, story.round)
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Outlet {feed}</title><link>http://outlet{feed}.invalid/</link>"
            f"<description>Outlet {feed}</description>{items}</channel></rss>"
        ).encode()

    def _item(self, feed: int, story: Story) -> str:
        head = story.headline
        variant = (head, f"UPDATE 1-{head}", f"{head} - Outlet {feed}", f"{head} (Outlet {feed})")
        title = variant[feed % len(variant)]
        published = format_datetime(self._published.replace(minute=story.round))
        return (
            f"<item><title>{title}</title><link>http://outlet{feed}.invalid/{story.code}</link>"
            f"<guid>outlet{feed}-{story.code}</guid><pubDate>{published}</pubDate>"
            f"<description>{story.headline}.</description></item>"
        )

    # -- what the daemons did -------------------------------------------------------------

    @property
    def urls(self) -> list[str]:
        return [self.url(feed) for feed in range(self.feeds)]

    def url(self, feed: int) -> str:
        host, port = self._addresses[feed % len(self._addresses)]
        return f"http://{host}:{port}/feed/{feed}.xml"

    def snapshot(self) -> list[Poll]:
        with self._changed:
            return list(self.polls)

    def all_polled_since(self, moment: float, agents: set[str] | None = None) -> bool:
        """Every feed was polled after ``moment`` (by one of ``agents``, if given)."""
        with self._changed:
            latest = [v for agent, v in self._last.items() if not agents or agent in agents]
            return all(any(times[f] > moment for times in latest) for f in range(self.feeds))

    def fewest_polls_since(self, moment: float, agents: set[str]) -> int:
        """The fewest polls any feed had from ``agents`` after ``moment``."""
        counts = [0] * self.feeds
        with self._changed:
            for poll in reversed(self.polls):  # appended in time order
                if poll.at <= moment:
                    break
                counts[poll.feed] += poll.agent in agents
        return min(counts)

    def polled_by(self, agent: str, since: float) -> int:
        """How many feeds ``agent`` polled after ``since``."""
        with self._changed:
            return sum(1 for at in self._last.get(agent, ()) if at > since)

    def wait_until(
        self, done: Callable[[], bool], timeout: float = HANG_GUARD, what: str = ""
    ) -> None:
        """Block until ``done()`` holds, re-checked at every request; AssertionError after
        the hang guard."""
        with self._changed:
            if not self._changed.wait_for(done, timeout):
                polls = len(self.polls)
                raise AssertionError(f"farm: not reached within {timeout:.0f} s: {what} ({polls=})")

    # -- serving --------------------------------------------------------------------------

    def _answer(self, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if not (target.startswith("/feed/") and target.endswith(".xml")):
            return 404, {}, b"not found"
        feed = int(target[6:-4])
        with self._changed:
            round_ = self.round
            poll = Poll(feed, time.monotonic(), headers.get("user-agent", ""), round_)
            self.polls.append(poll)
            self._last.setdefault(poll.agent, [0.0] * self.feeds)[feed] = poll.at
            self._changed.notify_all()
        group = feed // self.group_size
        tag = f'"{feed}-{max(r for r in range(round_ + 1) if publishes(group, r))}"'
        if headers.get("if-none-match") == tag:
            return 304, {"ETag": tag}, b""
        return 200, {"ETag": tag, "Content-Type": "application/rss+xml"}, self.body(feed, round_)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *lines = head.decode("latin-1").split("\r\n")
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (item.partition(":") for item in lines if item)
                }
                status, extra, body = self._answer(line.split(" ")[1], headers)
                writer.write(_response(status, extra, body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _serve(self) -> list[asyncio.Server]:
        hosts = [f"127.0.{1 + i // 250}.{1 + i % 250}" for i in range(self.hosts)]
        servers = [await asyncio.start_server(self._handle, host, 0, backlog=512) for host in hosts]
        self._addresses = [server.sockets[0].getsockname()[:2] for server in servers]
        return servers

    def __enter__(self) -> Self:
        self._thread.start()
        self._servers = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        async def close() -> None:
            for server in self._servers:
                server.close()
            handlers = asyncio.all_tasks() - {asyncio.current_task()}
            for task in handlers:  # keep-alive connections the daemons left open
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def _response(status: int, headers: dict[str, str], body: bytes) -> bytes:
    reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
