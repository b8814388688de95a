"""poll_feed against a real HTTP server and a real SQLite store: the recorded state and the
computed next-poll time for each polling rule (adaptive intervals, backoff, limits, operator
events). Addresses and skipped parses: test_polling_redirects.py. No sleeping: the clock is
injected."""

from __future__ import annotations

import gzip
from dataclasses import replace
from datetime import timedelta

import pytest

from monitor.records.models import FeedState
from tests.support.feedserver import Reply
from tests.support.polling import DAEMON, NOW, Harness, after, rss


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
