"""poll_feed against a real HTTP server and a real SQLite store: the recorded state and the
computed next-poll time for each polling rule (adaptive intervals, backoff, redirects,
gone feeds, skipped parses, limits, operator events). No sleeping: the clock is injected."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

import rules
from monitor.alerting import Routes
from monitor.config.feeds import FeedSettings
from monitor.config.settings import DaemonSettings, DedupSettings
from monitor.feeds.fetcher import Fetcher
from monitor.feeds.health import FeedEvent
from monitor.feeds.parse_new import guid_digests, parse_new
from monitor.ingest.pipeline import Pipeline, PollOutcome, poll_feed
from monitor.ingest.runtime import Runtime, RuntimeHolder
from monitor.records.models import FeedState
from monitor.store.sqlite.store import SqliteStore
from monitor.stories.dedup import Deduplicator
from tests.support.feedserver import FeedServer, Reply

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
    """A real executor that counts the parses handed to it (not the other work the pipeline
    hands the parse pool, such as embedding headlines)."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.submitted = 0
        self.hints: list[bytes] = []  # the ``seen`` digests each parse was handed

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        parse = getattr(fn, "args", (None,))[0]  # read_new(parse, feed_language)
        if getattr(parse, "func", None) is parse_new:
            self.submitted += 1
            self.hints.append(getattr(parse, "keywords", {})["seen"])
        return super().submit(fn, *args, **kwargs)


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


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    ruleset = rules.load_ruleset([rules.RuleSource(name="empty.toml", text="")])
    with FeedServer() as server:
        store = SqliteStore(str(tmp_path / "ww.db"))
        await store.open()
        executor = CountingExecutor()
        async with Fetcher(read_timeout=10, total_timeout=30) as fetcher:
            pipe = Pipeline(
                store=store,
                dedup=Deduplicator(store, DedupSettings()),
                runtime=RuntimeHolder(
                    Runtime(rules.compile_rules(ruleset), Routes(()), daemon=DAEMON)
                ),
                fetcher=fetcher,
                parse_executor=executor,
                rng=lambda: 1.0,  # backoff at the top of its jitter range: exact figures
            )
            world = Harness(server, store, pipe, executor)
            pipe.clock = lambda: world.now

            async def record(event: FeedEvent) -> None:
                world.events.append(event)

            pipe.on_feed_event = record
            yield world
        executor.shutdown()
        await store.close()


def after(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


class TestAdaptiveIntervals:
    @pytest.mark.parametrize(
        ("status", "retry_after", "delay"),
        [
            (429, "600", 600),
            (503, "Tue, 24 Nov 2026 12:20:00 GMT", 1200),
            (503, "soon", 60),  # unreadable: plain backoff (first failure: the base)
        ],
    )
    async def test_retry_after_decides_the_next_poll(
        self, harness: Harness, status: int, retry_after: str, delay: float
    ) -> None:
        headers = {"Retry-After": retry_after, "Date": "Tue, 24 Nov 2026 12:00:00 GMT"}
        harness.server.add_status("/f", status, headers=headers)
        feed = harness.feed("/f")
        outcome = await harness.poll(feed)
        state = await harness.state(feed)
        assert outcome.status == "error"
        assert (state.next_poll, state.interval, state.last_status) == (after(delay), delay, status)

    @pytest.mark.parametrize(
        ("headers", "delay"),
        [
            ({"Cache-Control": "public, max-age=1500"}, 1500),
            ({"Cache-Control": "max-age=1500", "Age": "500"}, 1000),
            (
                {
                    "Date": "Tue, 24 Nov 2026 12:00:00 GMT",
                    "Expires": "Tue, 24 Nov 2026 12:40:00 GMT",
                },
                2400,
            ),
            ({"Cache-Control": "no-cache, max-age=1500"}, 300),
            ({"Cache-Control": "max-age=30"}, 300),  # below the interval: no effect
        ],
    )
    async def test_cache_lifetime_is_a_floor(
        self, harness: Harness, headers: dict[str, str], delay: float
    ) -> None:
        harness.server.add_feed("/f", rss(), headers=headers)
        feed = harness.feed("/f")
        await harness.poll(feed)
        assert (await harness.state(feed)).next_poll == after(delay)

    @pytest.mark.parametrize(
        ("channel", "delay"),
        [
            ("<ttl>20</ttl>", 1200),
            (
                "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>",
                900,
            ),
            ("<sy:updatePeriod>daily</sy:updatePeriod>", 7200),  # clamped to max_interval
            ("<ttl>-5</ttl>", 300),  # nonsense is ignored
            ("<ttl>20</ttl><sy:updatePeriod>daily</sy:updatePeriod>", 1200),  # ttl first
        ],
    )
    async def test_feed_ttl_and_syndication_period_are_a_floor(
        self, harness: Harness, channel: str, delay: float
    ) -> None:
        harness.server.add_feed("/f", rss(channel_extra=channel))
        feed = harness.feed("/f")
        await harness.poll(feed)
        state = await harness.state(feed)
        assert state.next_poll == after(delay)

    async def test_cache_lifetime_outranks_the_feed_ttl(self, harness: Harness) -> None:
        harness.server.add_feed(
            "/f", rss(channel_extra="<ttl>60</ttl>"), headers={"Cache-Control": "max-age=900"}
        )
        feed = harness.feed("/f")
        await harness.poll(feed)
        assert (await harness.state(feed)).interval == 900

    async def test_busy_feeds_are_polled_more_often_than_quiet_ones(self, harness: Harness) -> None:
        busy = [NOW - timedelta(minutes=15 * step) for step in range(1, 25)]  # 96 a day
        quiet = [NOW - timedelta(days=2 * step) for step in range(1, 4)]  # 0.5 a day
        harness.server.add_feed("/busy", rss(dates=busy))
        harness.server.add_feed("/quiet", rss(dates=quiet))
        busy_feed, quiet_feed = harness.feed("/busy"), harness.feed("/quiet")
        await harness.poll(busy_feed)
        await harness.poll(quiet_feed)
        busy_state, quiet_state = await harness.state(busy_feed), await harness.state(quiet_feed)
        assert busy_state.items_per_day == pytest.approx(96)
        assert busy_state.interval == pytest.approx(450)  # twice per expected entry
        assert quiet_state.items_per_day == pytest.approx(0.5)
        assert quiet_state.interval == 7200  # the maximum

    async def test_a_304_keeps_the_observed_rate_and_ttl(self, harness: Harness) -> None:
        dates = [NOW - timedelta(hours=step) for step in range(1, 13)]  # 24 a day
        harness.server.add_feed("/f", rss(dates=dates, channel_extra="<ttl>30</ttl>"), etag='"1"')
        feed = harness.feed("/f")
        await harness.poll(feed)
        await harness.poll(feed, at=timedelta(hours=1))
        state = await harness.state(feed)
        assert (state.last_status, state.items_per_day, state.feed_ttl) == (304, 24.0, 1800.0)
        assert state.next_poll == NOW + timedelta(hours=1, seconds=1800)

    async def test_failures_back_off_exponentially_and_success_resets(
        self, harness: Harness
    ) -> None:
        healthy = False

        def route(_request: object) -> Reply:
            return Reply(200, {}, rss()) if healthy else Reply(500, {}, b"down")

        harness.server.add_route("/f", route)
        feed = harness.feed("/f")
        delays = []
        for attempt in range(5):
            await harness.poll(feed, at=timedelta(hours=attempt))
            state = await harness.state(feed)
            delays.append(state.interval)
        assert delays == [60, 120, 240, 480, 960]
        assert (state.error_count, state.failing_since) == (5, NOW)
        healthy = True
        await harness.poll(feed, at=timedelta(hours=6))
        state = await harness.state(feed)
        assert (state.error_count, state.failing_since, state.interval) == (0, None, 300)
        assert state.last_success == NOW + timedelta(hours=6)

    async def test_backoff_is_capped(self, harness: Harness) -> None:
        harness.server.add_status("/f", 500)
        feed = harness.feed("/f")
        await harness.store.save_feed_state(FeedState(url=feed.url, error_count=40))
        await harness.poll(feed)
        assert (await harness.state(feed)).interval == DAEMON.backoff_max


class TestRedirectsAndGoneFeeds:
    async def test_permanent_redirects_move_the_feed_once(self, harness: Harness) -> None:
        harness.server.add_redirect("/old", "/mid", status=301)
        harness.server.add_redirect("/mid", "/new", status=308)
        harness.server.add_feed("/new", rss())
        feed = harness.feed("/old")
        with capture_logs() as logs:
            await harness.poll(feed)
            await harness.poll(feed, at=timedelta(hours=1))
        assert (await harness.state(feed)).moved_to == harness.server.url("/new")
        assert len(harness.server.requests_to("/old")) == 1  # the second poll went to /new
        assert len(harness.server.requests_to("/new")) == 2
        assert [entry["event"] for entry in logs].count("feed_moved") == 1

    @pytest.mark.parametrize(
        ("hops", "moved_to"),
        [
            ([("/old", "/new", 302)], None),
            ([("/old", "/new", 307)], None),
            ([("/old", "/new", 303)], None),
            # Only the leading run of permanent hops counts: /mid is the new home.
            ([("/old", "/mid", 301), ("/mid", "/new", 302)], "/mid"),
            ([("/old", "/mid", 302), ("/mid", "/new", 301)], None),
        ],
    )
    async def test_temporary_redirects_leave_the_stored_url(
        self, harness: Harness, hops: list[tuple[str, str, int]], moved_to: str | None
    ) -> None:
        for source, target, status in hops:
            harness.server.add_redirect(source, target, status=status)
        harness.server.add_feed("/new", rss())
        feed = harness.feed("/old")
        await harness.poll(feed)
        expected = harness.server.url(moved_to) if moved_to else None
        assert (await harness.state(feed)).moved_to == expected

    async def test_relative_links_resolve_against_the_address_that_answered(
        self, harness: Harness
    ) -> None:
        """A moved feed's relative item links point where the feed now lives, on the first
        poll and on later polls that parse only the new entries."""
        harness.server.add_redirect("/old/feed.xml", "/new/desk/feed.xml", status=302)

        def relative(guids: list[str]) -> bytes:
            items = "".join(
                f"<item><title>Entry {guid}</title><guid>{guid}</guid>"
                f"<link>{guid}.html</link></item>"
                for guid in guids
            )
            return f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()

        feed = harness.feed("/old/feed.xml")
        links: list[str] = []
        for guids in (["a"], ["b", "a"]):
            harness.server.add_feed("/new/desk/feed.xml", relative(guids))
            outcome = await harness.poll(feed, at=timedelta(hours=len(links)))
            links += [item.article.link for item in outcome.ingested]
        assert links == [harness.server.url(f"/new/desk/{guid}.html") for guid in ("a", "b")]

    @pytest.mark.parametrize(
        "routes",
        [
            {"/old": "/old"},
            {"/old": "/a", "/a": "/old"},
            {"/old": "ftp://127.0.0.1/feed.xml"},
            {"/old": "file:///etc/passwd"},
        ],
        ids=["self-loop", "loop", "to-ftp", "to-file"],
    )
    async def test_redirect_loops_and_other_schemes_are_errors(
        self, harness: Harness, routes: dict[str, str]
    ) -> None:
        for source, target in routes.items():
            harness.server.add_redirect(source, target, status=301)
        feed = harness.feed("/old")
        outcome = await harness.poll(feed)
        state = await harness.state(feed)
        assert outcome.status == "error"
        assert state.last_error is not None and state.last_error.startswith("redirect:")
        assert state.moved_to is None

    async def test_gone_disables_the_feed_and_tells_the_operator(self, harness: Harness) -> None:
        harness.server.add_status("/f", 410)
        feed = harness.feed("/f", name="Retired")
        outcome = await harness.poll(feed)
        state = await harness.state(feed)
        assert outcome.status == "gone"
        assert state.disabled is not None and "410" in state.disabled
        assert state.next_poll is None
        assert [(e.kind, e.feed_name) for e in harness.events] == [("gone", "Retired")]
        again = await harness.poll(feed, at=timedelta(days=1))
        assert again.status == "disabled"
        assert len(harness.server.requests_to("/f")) == 1
        assert len(harness.events) == 1


class TestSkippedWork:
    async def test_not_modified_is_not_parsed(self, harness: Harness) -> None:
        harness.server.add_feed("/f", rss(), etag='"v1"')
        feed = harness.feed("/f")
        first = await harness.poll(feed)
        second = await harness.poll(feed, at=timedelta(minutes=5))
        assert (first.status, second.status) == ("ok", "not_modified")
        assert harness.executor.submitted == 1
        assert harness.server.requests_to("/f")[1].headers["if-none-match"] == '"v1"'

    async def test_the_same_bytes_again_are_not_parsed(self, harness: Harness) -> None:
        harness.server.add_feed("/f", rss())  # no validators: always 200
        feed = harness.feed("/f")
        await harness.poll(feed)
        second = await harness.poll(feed, at=timedelta(minutes=5))
        assert second.status == "unchanged"
        assert harness.executor.submitted == 1
        assert (await harness.state(feed)).last_success == NOW + timedelta(minutes=5)

    async def test_changed_bytes_are_parsed_and_only_new_entries_ingested(
        self, harness: Harness
    ) -> None:
        harness.server.add_feed("/f", rss(1))
        feed = harness.feed("/f")
        await harness.poll(feed)
        harness.server.add_feed("/f", rss(3))
        outcome = await harness.poll(feed, at=timedelta(minutes=5))
        assert (outcome.status, harness.executor.submitted) == ("ok", 2)
        assert [item.article.guid for item in outcome.ingested] == ["e-1", "e-2"]

    async def test_the_store_confirmed_guids_are_the_next_parse_hint(
        self, harness: Harness
    ) -> None:
        feed = harness.feed("/f")
        harness.server.add_feed("/f", rss(1))
        await harness.poll(feed)
        assert harness.pipe.seen_hints[feed.url] == b""  # nothing was stored before
        harness.server.add_feed("/f", rss(3))
        await harness.poll(feed, at=timedelta(minutes=5))
        assert harness.pipe.seen_hints[feed.url] == guid_digests(["e-0"])
        harness.server.add_feed("/f", rss(4))
        outcome = await harness.poll(feed, at=timedelta(minutes=10))
        assert [item.article.guid for item in outcome.ingested] == ["e-3"]
        assert harness.executor.submitted == 3  # the hint was right: no second parse

    async def test_a_first_poll_since_start_takes_its_hint_from_the_store(
        self, harness: Harness
    ) -> None:
        feed = harness.feed("/f")
        harness.server.add_feed("/f", rss(2))
        await harness.poll(feed)
        harness.pipe.seen_hints.clear()  # as after a restart: nothing remembered
        harness.server.add_feed("/f", rss(3))
        outcome = await harness.poll(feed, at=timedelta(minutes=5))
        assert harness.executor.hints == [b"", guid_digests(["e-0", "e-1"])]
        assert [item.article.guid for item in outcome.ingested] == ["e-2"]
        assert harness.executor.submitted == 2  # the stored hint was right: no second parse

    async def test_a_feed_polled_after_a_reload_removed_it_leaves_no_hint(
        self, harness: Harness
    ) -> None:
        feed, kept = harness.feed("/f"), harness.feed("/g")
        harness.server.add_feed("/f", rss(1))
        harness.server.add_feed("/g", rss(1))
        await harness.poll(feed)
        await harness.poll(kept)
        harness.pipe.forget_feeds([feed.url], [kept.url])  # a reload, as the poll runs
        assert feed.url not in harness.pipe.seen_hints
        harness.server.add_feed("/f", rss(2))
        harness.server.add_feed("/g", rss(2))
        await harness.poll(feed, at=timedelta(minutes=5))  # as a poll in flight at the reload
        await harness.poll(kept, at=timedelta(minutes=5))
        assert list(harness.pipe.seen_hints) == [kept.url]
        assert harness.pipe.seen_hints[kept.url] == guid_digests(["e-0"])

    async def test_a_hint_naming_an_entry_the_store_lacks_is_not_trusted(
        self, harness: Harness
    ) -> None:
        feed = harness.feed("/f")
        harness.server.add_feed("/f", rss(2))
        harness.pipe.seen_hints[feed.url] = guid_digests(["e-0", "e-1"])  # e.g. a crash
        outcome = await harness.poll(feed)
        assert [item.article.guid for item in outcome.ingested] == ["e-0", "e-1"]
        assert harness.executor.submitted == 2  # parsed again without the hint


class TestLimits:
    async def test_a_feed_body_cap_overrides_the_default(self, harness: Harness) -> None:
        harness.server.add_feed("/f", rss(200))
        small = harness.feed("/f", max_body_bytes=2048)
        outcome = await harness.poll(small)
        assert outcome.error is not None and outcome.error.startswith("too_large:")
        harness.server.add_feed("/g", rss(200))
        assert (await harness.poll(harness.feed("/g"))).status == "ok"

    async def test_a_compressed_body_is_capped_by_its_decoded_size(self, harness: Harness) -> None:
        packed = gzip.compress(rss(300))
        assert len(packed) < 2048
        harness.server.add_feed("/f", rss(300), gzip_body=True)
        outcome = await harness.poll(harness.feed("/f", max_body_bytes=2048))
        assert outcome.error is not None and outcome.error.startswith("too_large:")

    async def test_max_entries_bounds_one_parse(self, harness: Harness) -> None:
        runtime = harness.pipe.runtime
        limited = runtime.current.daemon.model_copy(update={"max_entries": 3})
        runtime.current = replace(runtime.current, daemon=limited)
        harness.server.add_feed("/f", rss(50))
        outcome = await harness.poll(harness.feed("/f"))
        assert len(outcome.ingested) == 3


class TestOperatorEvents:
    async def test_one_alert_when_failing_too_long_and_one_recovery_notice(
        self, harness: Harness
    ) -> None:
        healthy = False

        def route(_request: object) -> Reply:
            return Reply(200, {}, rss()) if healthy else Reply(500, {}, b"down")

        harness.server.add_route("/f", route)
        feed = harness.feed("/f", name="Flaky")
        for minutes in (0, 30, 61, 90, 240):
            await harness.poll(feed, at=timedelta(minutes=minutes))
        assert [(e.kind, e.at, e.since) for e in harness.events] == [
            ("failing", after(61 * 60), NOW)
        ]
        assert harness.events[0].detail.startswith("http_status: HTTP 500")
        healthy = True
        await harness.poll(feed, at=timedelta(minutes=300))
        await harness.poll(feed, at=timedelta(minutes=400))
        assert [e.kind for e in harness.events] == ["failing", "recovered"]
        assert not (await harness.state(feed)).failure_alerted

    async def test_a_short_outage_raises_nothing(self, harness: Harness) -> None:
        healthy = False

        def route(_request: object) -> Reply:
            return Reply(200, {}, rss()) if healthy else Reply(500, {}, b"down")

        harness.server.add_route("/f", route)
        feed = harness.feed("/f")
        await harness.poll(feed)
        healthy = True
        await harness.poll(feed, at=timedelta(minutes=10))
        assert harness.events == []
