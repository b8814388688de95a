"""A loopback server of thousands of feeds for ``bench.poll``, run in its own process.

Feeds are spread over many loopback addresses (127.0.1.1, 127.0.1.2, …: every 127/8
address reaches this machine), so per-host politeness applies as it would to real
publishers. Each feed is RSS 2.0 of 15–24 items with ~2 KB HTML descriptions (30–60 KB),
served with an ETag and answered with 304 when unchanged. ``GET /_cycle/N`` moves the
farm to cycle N: in each cycle a fixed fifth of the feeds publish two new items (and
drop their two oldest). Text is invented from a word list: no real news is copied.

A farm made with ``fresh=M`` (``bench.ingest``) is one where every feed publishes M new
items in every cycle and lists only those, so each cycle is all new articles. Its text is
drawn from a larger invented vocabulary (:data:`VOCABULARY`) with Zipf-like frequencies,
as words are in real news (story grouping's cost depends on how many earlier headlines
share a word). One headline in :data:`WATCH_EVERY` is a watch headline: a skeleton naming
an actor, a place and an escalation word of the example config's watch rules, filled
with invented words and a number of its own (so that no two are one story).

A fresh farm given ``headlines`` (``bench.ingest --headlines real``: real headlines, read
by the benchmark from the data set in place) serves them instead, in their order:
cycle 1 serves the first FEEDS × M of them (M consecutive ones a feed), cycle 2 the
next, and so on; with no description (the data set has headlines only).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

SYLLABLES = "ka lo mi ne ra tu sen var dol pim quo res tal vin wex yor zan bel cor dun".split()
WORDS = [a + b for a in SYLLABLES for b in SYLLABLES][:300]
PARAGRAPHS = [" ".join(random.Random(seed).choice(WORDS) for _ in range(280)) for seed in range(64)]
NEW_PER_CHANGE = 2
START = datetime(2026, 3, 1, tzinfo=UTC)
VOCABULARY = [a + b + c for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES]  # 8,000
random.Random(2026).shuffle(VOCABULARY)  # the commonest words are not all "kaka…"
# Rank r is drawn in proportion to 1 / (r + 20): the commonest word is ~0.8 % of the text.
ZIPF = list(itertools.accumulate(1 / (rank + 20) for rank in range(len(VOCABULARY))))
WATCH_EVERY = 14  # ~7 % of a fresh farm's headlines are watch headlines
# One skeleton per rule of config.example.toml's watch set (from the rules' own examples).
WATCH_HEADLINES = (
    "Iranian troops arrive near Homs as {a} {b} convoy reaches the {n} km line",
    "Russian warplanes bombard {a} district of Idlib, {n} {b} buildings hit",
    "Hezbollah fighters cross into Qusayr near {a} {b} with {n} vehicles",
    "Islamic State fighters killed in Palmyra desert raid on {a} {b}, {n} dead",
    "Syrian army launches offensive on Idlib from {a} {b} with {n} units",
)


def changed(feed: int, cycle: int) -> bool:
    """Exactly a fifth of the feeds change in each cycle (a different fifth each time)."""
    return (feed * 7919 + cycle * 104_729) % 5 == 0


Schedule = Callable[[int, int], bool]  # whether a feed changes in a cycle: ``changed``'s shape


def version(feed: int, cycle: int, schedule: Schedule = changed) -> int:
    return sum(1 for past in range(1, cycle + 1) if schedule(feed, past))


def item_count(feed: int) -> int:
    return 15 + feed % 10


def item_xml(feed: int, number: int) -> str:
    rng = random.Random(feed * 1_000_003 + number)
    words = " ".join(rng.choice(WORDS) for _ in range(7))
    published = START + timedelta(minutes=37 * number + feed % 60)
    paragraph = PARAGRAPHS[rng.randrange(len(PARAGRAPHS))]
    return (
        f"<item><title>{words.capitalize()} no {feed}-{number}</title>"
        f"<link>http://farm.invalid/{feed}/{number}</link><guid>f{feed}-i{number}</guid>"
        f"<pubDate>{format_datetime(published)}</pubDate>"
        f"<description>&lt;p&gt;{words} in report {number} of feed {feed}.&lt;/p&gt;"
        f"&lt;p&gt;{paragraph}&lt;/p&gt;</description></item>"
    )


def fresh_title(feed: int, number: int) -> str:
    """A fresh farm's headline: invented words, or one in :data:`WATCH_EVERY` a watch one."""
    rng = random.Random(2 * (feed * 1_000_003 + number))
    if (feed * 31 + number) % WATCH_EVERY:
        words = _drawn(rng, 7)
        return f"{' '.join(words[:4])} in {words[4].capitalize()} as {' '.join(words[5:])}"
    skeleton = WATCH_HEADLINES[(feed + number) % len(WATCH_HEADLINES)]
    a, b = _drawn(rng, 2)
    return skeleton.format(a=a.capitalize(), b=b, n=1000 + (feed * 7 + number * 13) % 99_000)


def fresh_lead(feed: int, number: int) -> str:
    """Four sentences of 14 drawn words (~480 characters: not a teaser, docs/pages.md)."""
    rng = random.Random(2 * (feed * 1_000_003 + number) + 1)
    return " ".join(" ".join(_drawn(rng, 14)).capitalize() + "." for _ in range(4))


def _drawn(rng: random.Random, count: int) -> list[str]:
    return rng.choices(VOCABULARY, cum_weights=ZIPF, k=count)


def fresh_item_xml(feed: int, number: int) -> str:
    """An item of a fresh farm: its headline and lead."""
    title = fresh_title(feed, number)
    published = START + timedelta(seconds=number + feed % 60)
    return (
        f"<item><title>{title[:1].upper()}{title[1:]}</title>"
        f"<link>http://farm.invalid/{feed}/{number}</link><guid>f{feed}-i{number}</guid>"
        f"<pubDate>{format_datetime(published)}</pubDate>"
        f"<description>{fresh_lead(feed, number)}</description></item>"
    )


def real_item_xml(feed: int, number: int, headline: str) -> str:
    """An item of a fresh farm serving real headlines: the headline, no description."""
    published = START + timedelta(seconds=number + feed % 60)
    return (
        f"<item><title>{escape(headline)}</title>"
        f"<link>http://farm.invalid/{feed}/{number}</link><guid>f{feed}-i{number}</guid>"
        f"<pubDate>{format_datetime(published)}</pubDate></item>"
    )


def headline_row(feed: int, number: int, feeds: int, fresh: int) -> int:
    """Which of the real headlines item ``number`` of ``feed`` is: cycle c (from 1)
    serves rows (c - 1) × feeds × fresh onwards, ``fresh`` consecutive rows a feed."""
    cycle = number // fresh
    return (cycle - 1) * feeds * fresh + feed * fresh + number % fresh


def fresh_body(
    feed: int, cycle: int, fresh: int, headlines: Sequence[str] = (), feeds: int = 0
) -> bytes:
    """Feed ``feed`` in cycle ``cycle`` of a fresh farm: ``fresh`` items, all new in it
    (real ``headlines`` when given, the farm having ``feeds`` feeds)."""
    numbers = range((cycle + 1) * fresh - 1, cycle * fresh - 1, -1)
    if headlines:
        rows = [headline_row(feed, n, feeds, fresh) % len(headlines) for n in numbers]
        items = "".join(
            real_item_xml(feed, n, headlines[r]) for n, r in zip(numbers, rows, strict=True)
        )
    else:
        items = "".join(fresh_item_xml(feed, n) for n in numbers)
    return _channel(feed, items)


def feed_body(feed: int, cycle: int, schedule: Schedule = changed) -> bytes:
    newest = NEW_PER_CHANGE * version(feed, cycle, schedule) + item_count(feed)
    items = "".join(item_xml(feed, n) for n in range(newest - 1, newest - item_count(feed) - 1, -1))
    return _channel(feed, items)


def _channel(feed: int, items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Farm feed {feed}</title><link>http://farm.invalid/{feed}</link>"
        f"<description>Invented feed number {feed}</description>{items}</channel></rss>"
    ).encode()


def etag(feed: int, cycle: int, schedule: Schedule = changed) -> str:
    return f'"{feed}-{version(feed, cycle, schedule)}"'


@dataclass
class Farm:
    feeds: int
    fresh: int = 0  # new items per feed per cycle; 0: a fifth of the feeds change (bench.poll)
    headlines: Sequence[str] = ()  # a fresh farm's real headlines, in order; () invented
    cycle: int = 0
    requests: int = 0
    not_modified: int = 0
    body_bytes: int = 0
    rendered: dict[int, bytes] = field(default_factory=dict)
    schedule: Schedule = changed  # which feeds change in which cycle (not for a fresh farm)

    def answer(self, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.requests += 1
        if target.startswith("/_cycle/"):
            self.cycle = int(target.rsplit("/", 1)[1])
            # Render the cycle's new versions now, as a real site serves a cached file:
            # the farm shares the benchmark's cores, its CPU should stay small.
            self.rendered = {
                feed: self.body(feed) for feed in range(self.feeds) if self.changes(feed)
            }
            return 200, {}, b"ok"
        if not (target.startswith("/feed/") and target.endswith(".xml")):
            return 404, {}, b"not found"
        feed = int(target[6:-4])
        tag = f'"{feed}-c{self.cycle}"' if self.fresh else etag(feed, self.cycle, self.schedule)
        if headers.get("if-none-match") == tag:
            self.not_modified += 1
            return 304, {"ETag": tag}, b""
        body = self.rendered.get(feed) or self.body(feed)
        self.body_bytes += len(body)
        return 200, {"ETag": tag, "Content-Type": "application/rss+xml; charset=utf-8"}, body

    def changes(self, feed: int) -> bool:
        """Whether ``feed`` has new items in this cycle."""
        return self.fresh > 0 or (self.cycle > 0 and self.schedule(feed, self.cycle))

    def body(self, feed: int) -> bytes:
        if self.fresh:
            return fresh_body(feed, self.cycle, self.fresh, self.headlines, self.feeds)
        return feed_body(feed, self.cycle, self.schedule)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *lines = head.decode("latin-1").split("\r\n")
                target = line.split(" ")[1]
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (item.partition(":") for item in lines if item)
                }
                status, extra, body = self.answer(target, headers)
                writer.write(_response(status, extra, body))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


def _response(status: int, headers: dict[str, str], body: bytes) -> bytes:
    reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def host(index: int) -> str:
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def serve(
    feeds: int, hosts: int, ready: object, fresh: int = 0, headlines: Sequence[str] = ()
) -> None:
    """Process entry point: bind every host, send ``[(host, port)]`` through ``ready``
    (a multiprocessing Connection), serve until killed. ``fresh``, ``headlines``: see
    :class:`Farm`."""

    async def main() -> None:
        farm = Farm(feeds, fresh, headlines=headlines)
        servers = [await asyncio.start_server(farm.handle, host(i), 0) for i in range(hosts)]
        addresses = [server.sockets[0].getsockname()[:2] for server in servers]
        ready.send(addresses)  # type: ignore[attr-defined]
        await asyncio.Event().wait()

    asyncio.run(main())
