"""WebSub against a hub implemented here, over real HTTP on loopback: subscription request,
intent verification, HMAC-checked content through the pipeline, lease renewal, discovery
by polling, and polling slowed to the fallback while pushed."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

import rules
from monitor.alerting import Routes
from monitor.config import SurgeSettings
from monitor.config.feeds import FeedSettings, ListenerSettings
from monitor.config.settings import DaemonSettings, DedupSettings
from monitor.feeds.fetcher import Fetcher
from monitor.feeds.websub import WebSub, renew_at, signature_valid
from monitor.ingest.pipeline import Pipeline, PollOutcome, ingest_pushed, poll_feed
from monitor.ingest.runtime import Runtime, RuntimeHolder
from monitor.ingest.surges import SurgeStage
from monitor.listener.server import HttpListener, Request, Response
from monitor.records import PollStatus, SubscriptionState
from monitor.store.sqlite.store import SqliteStore
from monitor.stories.dedup import Deduplicator
from monitor.surges import SurgeDetector
from tests.support.feedserver import FeedServer
from tests.support.full_disk import SmallDisk, small_disk
from tests.support.processes import HANG_GUARD
from tests.support.websub_hub import PUSHED, TOPIC, Hub

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@dataclass
class World:
    hub: Hub
    feeds: FeedServer
    websub: WebSub
    store: SqliteStore
    pipe: Pipeline
    listener: HttpListener
    feed: FeedSettings
    now: datetime = NOW
    outcomes: list[PollOutcome] = field(default_factory=list)  # of each push, in order

    async def subscribed(self) -> dict[str, str]:
        await self.websub.subscribe(self.feed, self.hub.url, TOPIC)
        return self.hub.requests()[-1]

    async def stored(self, guid: str) -> bool:
        return guid in await self.store.known_guids(self.feed.url, [guid])


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    """Where the store lives (a class may put it on a small disk of its own)."""
    return tmp_path


@pytest.fixture
async def world(store_dir: Path, servers: tuple[FeedServer, FeedServer]) -> AsyncIterator[World]:
    hub_server, feed_server = servers
    store = SqliteStore(str(store_dir / "ww.db"))
    await store.open()
    ruleset = rules.load_ruleset([rules.RuleSource(name="empty.toml", text="")])
    feed = FeedSettings(url=feed_server.url("/feed.atom"), name="News")
    listener = HttpListener("127.0.0.1", 0, max_body_bytes=64 * 1024)
    # The hub waits for each answer as long as it takes (a hang guard only): the first push
    # in a process loads the headline-embedding model, seconds of CPU on a loaded machine,
    # which httpx's default 5 s read timeout turned into a failure.
    hub_http = httpx.AsyncClient(timeout=HANG_GUARD)
    async with httpx.AsyncClient() as http, hub_http, Fetcher() as fetcher:
        pipe = Pipeline(
            store=store, dedup=Deduplicator(store, DedupSettings()),
            runtime=RuntimeHolder(Runtime(
                rules.compile_rules(ruleset), Routes(()), daemon=DaemonSettings(jitter=0)
            )),
            fetcher=fetcher, listener=ListenerSettings(poll_fallback=1800),
            parse_executor=None,
        )  # fmt: skip

        async def pushed(feed: FeedSettings, body: bytes, content_type: str | None) -> None:
            state.outcomes.append(await ingest_pushed(feed, body, content_type, pipe))

        websub = WebSub(
            store=store, http=http, feeds={feed.url: feed}, public_url="",
            lease_seconds=86_400, on_content=pushed, clock=lambda: state.now,
        )  # fmt: skip
        websub.install(listener)
        await listener.start()
        websub.public_url = listener.url
        state = World(Hub(hub_server, hub_http), feed_server, websub, store, pipe, listener, feed)
        pipe.clock = lambda: state.now
        yield state
        await hub_http.aclose()  # idle keep-alive connections would hold up the listener's stop
        await listener.stop()
    await store.close()


class TestSubscription:
    async def test_subscribe_asks_the_hub_with_callback_lease_and_secret(
        self, world: World
    ) -> None:
        form = await world.subscribed()
        assert form["hub.mode"] == "subscribe"
        assert form["hub.topic"] == TOPIC
        assert form["hub.callback"].startswith(world.listener.url + "/websub/")
        assert form["hub.lease_seconds"] == "86400"
        assert len(form["hub.secret"]) == 64
        subscription = world.websub.subscription(world.feed.url)
        assert subscription is not None and subscription.state is SubscriptionState.REQUESTED

    async def test_a_hub_refusal_is_recorded(self, world: World) -> None:
        world.hub.server.add_status("/hub", 400)
        await world.websub.subscribe(world.feed, world.hub.url, TOPIC)
        subscription = (await world.store.websub_subscriptions())[0]
        assert (subscription.state, subscription.last_error) == ("failed", "hub answered HTTP 400")

    async def test_verification_echoes_the_challenge_and_records_the_lease(
        self, world: World
    ) -> None:
        form = await world.subscribed()
        answer = await world.hub.verify(form, lease="3600")
        assert (answer.status_code, answer.text) == (200, "chal-8d2f")
        (stored,) = await world.store.websub_subscriptions()
        assert (stored.state, stored.lease_seconds) == ("active", 3600)
        assert stored.expires_at == NOW + timedelta(hours=1)
        assert world.websub.is_active(world.feed.url)

    @pytest.mark.parametrize(
        ("change", "status"),
        [
            ({"topic": "https://other.example/feed"}, 404),  # a topic we never asked for
            ({"lease": "soon"}, 404),
            ({"callback": "/websub/not-ours"}, 404),
        ],
        ids=["other-topic", "bad-lease", "unknown-callback"],
    )
    async def test_verification_of_anything_we_did_not_ask_is_refused(
        self, world: World, change: dict[str, str], status: int
    ) -> None:
        form = await world.subscribed()
        if "callback" in change:
            form = {**form, "hub.callback": world.listener.url + change.pop("callback")}
        answer = await world.hub.verify(form, **change)
        assert answer.status_code == status
        assert not world.websub.is_active(world.feed.url)

    async def test_a_denial_is_recorded(self, world: World) -> None:
        form = await world.subscribed()
        params = {"hub.mode": "denied", "hub.topic": TOPIC, "hub.reason": "not allowed"}
        answer = await world.hub.http.get(form["hub.callback"], params=params)
        assert answer.status_code == 200
        (stored,) = await world.store.websub_subscriptions()
        assert (stored.state, stored.last_error) == ("denied", "not allowed")


class TestPushWhileTheStoreRefusesWrites:
    @pytest.fixture
    def disk(self, tmp_path: Path) -> Iterator[SmallDisk]:
        with small_disk(tmp_path / "disk") as disk:
            yield disk

    @pytest.fixture
    def store_dir(self, disk: SmallDisk) -> Path:
        return disk.path

    async def test_is_refused_for_the_hub_to_retry_and_taken_once_space_returns(
        self, world: World, disk: SmallDisk
    ) -> None:
        form = await world.subscribed()
        await world.hub.verify(form)
        disk.fill()
        refused = await world.hub.publish(form, PUSHED)
        assert (refused.status_code, refused.headers.get("retry-after")) == (503, "60")
        disk.free()
        retried = await world.hub.publish(form, PUSHED)
        assert retried.status_code == 202
        assert await world.stored("urn:n:1")


class TestContent:
    async def test_signed_content_goes_through_the_pipeline(self, world: World) -> None:
        form = await world.subscribed()
        await world.hub.verify(form)
        answer = await world.hub.publish(form, PUSHED)
        assert answer.status_code == 202
        assert await world.stored("urn:n:1")

    async def test_a_push_whose_surge_count_fails_is_logged_once_and_kept(
        self, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The surge stage logs the fault (surge_count_failed); the listener says no more,
        and the hub is not asked to push again what was stored. The push is an error
        outcome that still holds the stored article and its alert, and the dispatcher is
        woken to send it at once (the daemon's count of it: below)."""

        def failing(*_args: Any, **_kwargs: Any) -> None:
            raise RuntimeError("a detector fault")

        ferry = rules.RuleSource(
            "ferry.toml", '[[rules]]\nname = "ferry"\nany_of = [{ terms = ["ferry"] }]\n'
        )
        matcher = rules.compile_rules(rules.load_ruleset([ferry]))
        world.pipe.runtime.current = Runtime(matcher, Routes(()))
        woken: list[bool] = []
        world.pipe.on_alerts = lambda: woken.append(True)
        world.pipe.surges = SurgeStage(SurgeDetector(SurgeSettings()), world.store)
        monkeypatch.setattr(SurgeDetector, "count", failing)
        form = await world.subscribed()
        await world.hub.verify(form)
        with capture_logs() as logs:
            answer = await world.hub.publish(form, PUSHED)
        errors = [e for e in logs if e["log_level"] in {"error", "critical"}]
        assert [(e["event"], e.get("feed_url")) for e in errors] == [
            ("surge_count_failed", world.feed.url)
        ]
        assert answer.status_code == 202
        assert await world.stored("urn:n:1")
        (outcome,) = world.outcomes
        assert (outcome.status, outcome.alerts) == (PollStatus.ERROR, 1)
        assert woken == [True]

    @pytest.mark.parametrize("signature", ["sha1", "sha512"])
    async def test_every_sha_family_signature_is_accepted(
        self, world: World, signature: str
    ) -> None:
        form = await world.subscribed()
        await world.hub.verify(form)
        await world.hub.publish(form, PUSHED, signature)
        assert await world.stored("urn:n:1")

    @pytest.mark.parametrize("forged", ["wrong-secret", "missing", "md5", "tampered"])
    async def test_content_without_a_valid_signature_is_dropped(
        self, world: World, forged: str
    ) -> None:
        form = await world.subscribed()
        await world.hub.verify(form)
        headers = {"Content-Type": "application/atom+xml"}
        body = PUSHED
        if forged == "wrong-secret":
            digest = hmac.new(b"guess", body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature"] = f"sha256={digest}"
        elif forged == "md5":
            digest = hmac.new(form["hub.secret"].encode(), body, hashlib.md5).hexdigest()
            headers["X-Hub-Signature"] = f"md5={digest}"
        elif forged == "tampered":
            digest = hmac.new(form["hub.secret"].encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature"] = f"sha256={digest}"
            body = body.replace(b"Ferry", b"Fairy")
        answer = await world.hub.http.post(form["hub.callback"], content=body, headers=headers)
        assert answer.status_code == 202  # the spec: acknowledge, then ignore
        assert not await world.stored("urn:n:1")

    async def test_oversized_pushes_are_refused(self, world: World) -> None:
        form = await world.subscribed()
        await world.hub.verify(form)
        answer = await world.hub.publish(form, b"<feed>" + b" " * 70_000 + b"</feed>")
        assert answer.status_code == 413

    def test_signature_check_is_exact(self) -> None:
        digest = hmac.new(b"k", b"body", hashlib.sha256).hexdigest()
        assert signature_valid("k", b"body", f"sha256={digest}")
        assert signature_valid("k", b"body", f"SHA256={digest.upper()}")
        assert not signature_valid("k", b"body", f"sha256={digest[:-1]}")
        assert not signature_valid("k", b"body", None)


class TestRenewal:
    @pytest.mark.parametrize(
        ("lease", "renew_after"),
        [(3600, 3000), (86_400, 86_400 - 8640), (600, 0)],  # ten minutes, or a tenth
    )
    async def test_renewal_time_is_before_expiry(
        self, world: World, lease: int, renew_after: int
    ) -> None:
        form = await world.subscribed()
        await world.hub.verify(form, lease=str(lease))
        subscription = world.websub.subscription(world.feed.url)
        assert subscription is not None
        assert renew_at(subscription) == NOW + timedelta(seconds=renew_after)

    async def test_leases_due_are_renewed_with_the_same_callback_and_secret(
        self, world: World
    ) -> None:
        form = await world.subscribed()
        await world.hub.verify(form, lease="3600")
        world.now = NOW + timedelta(seconds=2999)
        assert await world.websub.renew_due() == 0
        world.now = NOW + timedelta(seconds=3000)
        assert await world.websub.renew_due() == 1
        first, second = world.hub.requests()
        assert (second["hub.callback"], second["hub.secret"]) == (
            first["hub.callback"],
            first["hub.secret"],
        )
        assert world.websub.is_active(world.feed.url)  # still pushed while renewing


class TestWithPolling:
    @pytest.mark.parametrize("where", ["document", "link-header"])
    async def test_a_poll_discovers_the_hub_and_subscribes(self, world: World, where: str) -> None:
        links = f'<link rel="hub" href="{world.hub.url}"/><link rel="self" href="{TOPIC}"/>'
        headers = {}
        if where == "link-header":
            headers = {"Link": f'<{world.hub.url}>; rel="hub", <{TOPIC}>; rel="self"'}
            links = ""
        body = PUSHED.replace(b"<title>News</title>", b"<title>News</title>" + links.encode())
        world.feeds.add_feed("/feed.atom", body, content_type="application/atom+xml",
                             headers=headers)  # fmt: skip
        world.pipe.on_hub = world.websub.discovered
        await poll_feed(world.feed, world.pipe)
        await poll_feed(world.feed, world.pipe)  # already asked: no second request
        (form,) = world.hub.requests()
        assert form["hub.topic"] == TOPIC

    async def test_while_pushed_polling_slows_to_the_fallback(self, world: World) -> None:
        world.feeds.add_feed("/feed.atom", PUSHED, content_type="application/atom+xml")
        world.pipe.pushed = world.websub.is_active
        form = await world.subscribed()
        await world.hub.verify(form)
        outcome = await poll_feed(world.feed, world.pipe)
        assert outcome.state is not None and outcome.state.interval == 1800


class TestListener:
    async def test_unknown_paths_are_404_and_handler_crashes_are_500(self, world: World) -> None:
        async def crash(_request: Request) -> Response:
            raise RuntimeError("boom")

        world.listener.route("GET", "/crash", crash)
        async with httpx.AsyncClient(base_url=world.listener.url) as http:
            assert (await http.get("/nowhere")).status_code == 404
            assert (await http.get("/crash")).status_code == 500
            assert (await http.get("/websub/")).status_code == 404  # still serving
