"""poll_feed against a real HTTP server and a real SQLite store: a feed's address (permanent and
temporary redirects, relative links, loops, gone feeds) and the work a poll skips (a 304, the
same bytes, entries the store has, the parse hint)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from monitor.feeds.parse_new import guid_digests
from monitor.feeds.parse_pool import ParsePool
from tests.support.polling import NOW, Harness, rss


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
        assert harness.executor.parsed == 1
        assert harness.server.requests_to("/f")[1].headers["if-none-match"] == '"v1"'

    async def test_the_same_bytes_again_are_not_parsed(self, harness: Harness) -> None:
        harness.server.add_feed("/f", rss())  # no validators: always 200
        feed = harness.feed("/f")
        await harness.poll(feed)
        second = await harness.poll(feed, at=timedelta(minutes=5))
        assert second.status == "unchanged"
        assert harness.executor.parsed == 1
        assert (await harness.state(feed)).last_success == NOW + timedelta(minutes=5)

    async def test_the_same_bytes_after_a_restart_read_no_hint(
        self, harness: Harness, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The stored body hash tells the same bytes on the loop: neither the store's hint
        nor the parse pool is asked for them."""
        harness.server.add_feed("/f", rss(2))  # no validators: always 200
        feed = harness.feed("/f")
        await harness.poll(feed)
        harness.pipe.seen_hints.clear()  # as after a restart: nothing remembered
        reads: list[str] = []
        latest_guids = harness.store.latest_guids

        async def counted(feed_url: str, limit: int) -> list[str]:
            reads.append(feed_url)
            return await latest_guids(feed_url, limit)

        monkeypatch.setattr(harness.store, "latest_guids", counted)
        second = await harness.poll(feed, at=timedelta(minutes=5))
        assert (second.status, harness.executor.parsed, reads) == ("unchanged", 1, [])

    async def test_the_same_bytes_twice_through_a_process_pool(self, harness: Harness) -> None:
        """``parse_workers = 1``: the body and the parse job are pickled to a worker
        process, which hashes the body beside the parse; the same bytes again are told by
        that stored hash and not parsed."""
        pool = ParsePool(1)
        harness.pipe.parse_executor = pool
        try:
            harness.server.add_feed("/f", rss(2))  # no validators: always 200
            feed = harness.feed("/f")
            first = await harness.poll(feed)
            stored = (await harness.state(feed)).body_hash
            second = await harness.poll(feed, at=timedelta(minutes=5))
        finally:
            pool.shutdown()
        assert [item.article.guid for item in first.ingested] == ["e-0", "e-1"]
        assert stored == hashlib.sha256(rss(2)).hexdigest()
        assert second.status == "unchanged"

    async def test_changed_bytes_are_parsed_and_only_new_entries_ingested(
        self, harness: Harness
    ) -> None:
        harness.server.add_feed("/f", rss(1))
        feed = harness.feed("/f")
        await harness.poll(feed)
        harness.server.add_feed("/f", rss(3))
        outcome = await harness.poll(feed, at=timedelta(minutes=5))
        assert (outcome.status, harness.executor.parsed) == ("ok", 2)
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
        assert harness.executor.parsed == 3  # the hint was right: no second parse

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
        assert harness.executor.parsed == 2  # the stored hint was right: no second parse

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
        assert harness.executor.parsed == 2  # parsed again without the hint
