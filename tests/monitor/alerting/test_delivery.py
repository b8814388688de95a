"""Delivery against real loopback receivers: outages, 429, 500s, updates in threads.

The dispatcher drives the real webhook, Slack and email notifiers; time is a
controlled clock (retries and holds are due when the clock says so), so nothing
here sleeps or depends on how fast the machine is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from structlog.testing import capture_logs

import notifiers
from monitor.alerting.retries import BASE_BACKOFF, MAX_BACKOFF
from monitor.config.alerting import RouteSettings, UpdateSettings
from monitor.records import Silence
from monitor.store.interface import Store
from tests.support.desk import Desk, keys, webhook
from tests.support.receiver import HttpReceiver, Response
from tests.support.smtp import SmtpServer, body_text
from tests.support.stories import NOW

SLACK_OK = Response(
    200, {"Content-Type": "application/json"}, b'{"ok":true,"ts":"1764000000.000100"}'
)


@pytest.fixture(name="receiver")
def _receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver


async def test_receiver_down_for_a_while_then_back_gets_every_alert_exactly_once(
    store: Store, http: httpx.AsyncClient
) -> None:
    """Connection refused for two rounds, then the receiver is back on the same port."""
    with HttpReceiver() as first:
        port, url = first.port, first.url("/hook")
    desk = Desk(store, {"hook": webhook(url, http)})
    for story in ("s1", "s2", "s3"):
        await desk.alert(story)
    assert await desk.sweep() == {"retry": 3}
    # The first wait is at most 30 s; the outage stays within the retry budget (3.5 min).
    assert await desk.sweep(after=BASE_BACKOFF) == {"retry": 3}
    with HttpReceiver(port=port) as back:
        assert await desk.sweep(after=MAX_BACKOFF) == {"sent": 3}
        assert await desk.sweep(after=MAX_BACKOFF) == {}
        received = keys(back.requests)
    assert sorted(received) == sorted(set(received)) and len(received) == 3
    assert await desk.states() == {"sent": 3}


async def test_429_retry_after_is_honoured(
    store: Store, http: httpx.AsyncClient, receiver: HttpReceiver
) -> None:
    """Nothing is sent before Retry-After has passed; at 120 s the retry goes out."""
    receiver.enqueue(Response(429, {"Retry-After": "120"}, b"slow down"))
    desk = Desk(store, {"hook": webhook(receiver.url(), http)})
    await desk.alert("s1")
    assert await desk.sweep() == {"retry": 1}
    assert await desk.sweep(after=timedelta(seconds=119)) == {}
    assert len(receiver.requests) == 1
    assert await desk.sweep(after=timedelta(seconds=1)) == {"sent": 1}
    first, second = receiver.wait_for(2)
    assert keys([first]) == keys([second])


async def test_500s_are_retried_then_dead_lettered_and_surfaced(
    store: Store, http: httpx.AsyncClient
) -> None:
    """Every attempt answered 500: once the retry budget (3 attempts' backoff: 90 s) is spent
    the delivery is dead, logged with why, counted."""
    with HttpReceiver(default=Response(500, body=b"boom")) as receiver:
        desk = Desk(store, {"hook": webhook(receiver.url(), http)}, max_attempts=3)
        await desk.alert("s1")
        with capture_logs() as logs:
            outcomes = [await desk.sweep()]
            while outcomes[-1] == {"retry": 1}:
                outcomes.append(await desk.sweep_when_due())
        assert await desk.sweep(after=MAX_BACKOFF) == {}
        attempts = len(receiver.requests)
    assert outcomes[-1] == {"dead": 1} and attempts == len(outcomes) >= 3
    assert await desk.states() == {"dead": 1}
    (dead,) = [entry for entry in logs if entry["event"] == "delivery_dead"]
    assert (dead["log_level"], dead["notifier"], dead["error"]) == (
        "error",
        "hook",
        "webhook 'hook' returned 500: boom",
    )
    assert (dead["reason"], dead["attempts"]) == ("retry_budget_spent", attempts)
    assert desk.dispatcher is not None
    assert desk.dispatcher.metrics.dead_letters == {"hook": 1}
    assert desk.dispatcher.metrics.outbox == {"dead": 1}
    (listing,) = await store.list_alerts(NOW - timedelta(days=1), "dead")
    assert listing.deliveries[0].last_error == "webhook 'hook' returned 500: boom"


async def test_slack_bot_updates_are_thread_replies_to_the_first_message(
    store: Store, http: httpx.AsyncClient
) -> None:
    """chat.postMessage with the bot token; the update carries thread_ts of the first."""
    with HttpReceiver(default=SLACK_OK) as api:
        config = notifiers.SlackConfig(
            token="xoxb-test-token", channel="C0123", api_url=api.url("/api")
        )
        slack = notifiers.SlackNotifier("slack", config, http=http)
        desk = Desk(store, {"slack": slack}, updates=UpdateSettings(outlets=(2,)))
        await desk.alert("s1")
        assert await desk.sweep() == {"sent": 1}
        await desk.alert("s1", outlet=2)
        assert await desk.sweep() == {"sent": 1}
        first, update = api.wait_for(2)
    assert first.path == "/api/chat.postMessage"
    assert first.headers["authorization"] == "Bearer xoxb-test-token"
    assert "thread_ts" not in first.json()
    assert update.json()["thread_ts"] == "1764000000.000100"
    assert update.json()["channel"] == "C0123"
    assert "Update" in update.json()["blocks"][0]["text"]["text"]


async def test_an_update_waits_while_its_first_message_is_failing(
    store: Store, http: httpx.AsyncClient
) -> None:
    """The first send gets 503: the update is held back, then follows it into the thread."""
    with HttpReceiver(default=SLACK_OK) as api:
        api.enqueue(Response(503, body=b"down"))
        config = notifiers.SlackConfig(
            token="xoxb-test-token", channel="C0123", api_url=api.url("/api")
        )
        slack = notifiers.SlackNotifier("slack", config, http=http)
        desk = Desk(store, {"slack": slack}, updates=UpdateSettings(outlets=(2,)))
        await desk.alert("s1")
        await desk.alert("s1", outlet=2)
        assert await desk.sweep() == {"retry": 1, "deferred": 1}  # held for the first
        assert await desk.sweep(after=MAX_BACKOFF) == {"sent": 2}
        _, first, update = api.wait_for(3)
    assert "thread_ts" not in first.json()
    assert update.json()["thread_ts"] == "1764000000.000100"


async def test_email_updates_reply_to_the_first_message(
    store: Store, http: httpx.AsyncClient
) -> None:
    """In-Reply-To and References name the Message-ID of the story's first email."""
    with SmtpServer() as server:
        config = notifiers.EmailConfig(
            host=server.host, port=server.port, security="none",
            from_addr="wirewatch@example.org", to=["desk@example.org"],
        )  # fmt: skip
        mail = notifiers.EmailNotifier("mail", config, http=http)
        desk = Desk(store, {"mail": mail}, updates=UpdateSettings(outlets=(2,)))
        await desk.alert("s1")
        await desk.sweep()
        await desk.alert("s1", outlet=2)
        await desk.sweep()
        first, update = (delivery.message for delivery in server.handler.wait_for(2))
    assert "In-Reply-To" not in first
    assert update["In-Reply-To"] == update["References"] == first["Message-ID"]
    assert update["Subject"].endswith("(update)")
    assert "Update: reported by 2 outlets" in body_text(update, "plain")


async def test_silences_suppress_until_they_expire(
    store: Store, http: httpx.AsyncClient, receiver: HttpReceiver
) -> None:
    """A silenced rule's deliveries are marked silenced, never sent; after expiry alerts flow."""

    desk = Desk(store, {"hook": webhook(receiver.url(), http)})
    await store.add_silence(
        Silence("maintenance", NOW, NOW + timedelta(hours=2), rule="port-shelling")
    )
    await desk.alert("s1")
    await desk.alert("s2", rule="other-rule")
    assert await desk.sweep() == {"silenced": 1, "sent": 1}
    (only,) = receiver.wait_for(1)
    assert only.json()["rule"] == "other-rule"
    (silenced,) = await store.list_alerts(NOW - timedelta(days=1), "silenced")
    assert silenced.deliveries[0].last_error == "silenced #1: maintenance"
    desk.now += timedelta(hours=2)
    await desk.alert("s3")
    assert await desk.sweep() == {"sent": 1}


async def test_quiet_hours_defer_until_they_end_and_severe_alerts_break_through(
    store: Store, http: httpx.AsyncClient, receiver: HttpReceiver
) -> None:
    """12:00 UTC is inside 11:00-13:00 quiet hours: medium waits until 13:00, critical goes."""
    quiet = {"start": "11:00", "end": "13:00", "timezone": "UTC", "unless_severity": "critical"}
    route = RouteSettings.model_validate({"quiet_hours": quiet})
    desk = Desk(store, {"hook": webhook(receiver.url(), http)}, routes={"hook": route})
    await desk.alert("s1")
    await desk.alert("s2", severity="critical")
    assert await desk.sweep() == {"deferred": 1, "sent": 1}
    assert [r.json()["severity"] for r in receiver.wait_for(1)] == ["critical"]
    (held,) = await store.list_alerts(NOW - timedelta(days=1), "pending")
    assert (held.deliveries[0].hold, held.deliveries[0].attempts) == ("quiet_hours", 0)
    assert await desk.sweep(after=timedelta(minutes=59)) == {}
    assert await desk.sweep(after=timedelta(minutes=1)) == {"sent": 1}
    assert len(receiver.wait_for(2)) == 2


async def test_digest_aggregates_a_routes_alerts_into_one_message(
    store: Store, http: httpx.AsyncClient, receiver: HttpReceiver
) -> None:
    """Three alerts before the 13:00 digest go out at 13:00 as one batch; a retry resends it."""
    route = RouteSettings.model_validate({"digest": {"every": "daily", "at": "13:00"}})
    receiver.enqueue(Response(503, body=b"busy"))
    desk = Desk(store, {"hook": webhook(receiver.url(), http)}, routes={"hook": route})
    for minute, story in enumerate(("s1", "s2", "s3")):
        desk.now = NOW + timedelta(minutes=10 * minute)
        await desk.alert(story)
        assert await desk.sweep() == {"deferred": 1}
    assert receiver.requests == []
    desk.now = NOW + timedelta(hours=1)
    assert await desk.sweep() == {"retry": 3}
    assert await desk.sweep(after=MAX_BACKOFF) == {"sent": 3}
    failed, sent = receiver.wait_for(2)
    assert failed.body == sent.body and keys([failed]) == keys([sent])
    digest = sent.json()
    assert (digest["version"], digest["event"]) == (2, "digest")
    assert sent.headers["idempotency-key"] == digest["batch_id"]
    assert [alert["story_id"] for alert in digest["alerts"]] == ["s1", "s2", "s3"]


async def test_email_digest_is_one_message_listing_every_alert(
    store: Store, http: httpx.AsyncClient
) -> None:
    route = RouteSettings.model_validate({"digest": {"every": "hourly", "at": "00:30"}})
    with SmtpServer() as server:
        config = notifiers.EmailConfig(
            host=server.host, port=server.port, security="none",
            from_addr="wirewatch@example.org", to=["desk@example.org"],
        )  # fmt: skip
        mail = notifiers.EmailNotifier("mail", config, http=http)
        desk = Desk(store, {"mail": mail}, routes={"mail": route})
        for story in ("s1", "s2"):
            await desk.alert(story)
        assert await desk.sweep() == {"deferred": 2}
        assert await desk.sweep(after=timedelta(minutes=30)) == {"sent": 2}
        (delivery,) = server.handler.wait_for(1)
    message = delivery.message
    assert message["Subject"].startswith("[wirewatch] digest: 2 alerts")
    text = body_text(message, "plain")
    assert "story s1" in text and "story s2" in text


async def test_group_window_merges_alerts_into_one_message(
    store: Store, http: httpx.AsyncClient, receiver: HttpReceiver
) -> None:
    """Alerts at +0, +10 s and +30 s with a 60 s window: one group at +60 s; +200 s alone."""
    route = RouteSettings(group_window=60)
    desk = Desk(store, {"hook": webhook(receiver.url(), http)}, routes={"hook": route})
    for offset, story in ((0, "s1"), (10, "s2"), (30, "s3")):
        desk.now = NOW + timedelta(seconds=offset)
        await desk.alert(story)
        assert await desk.sweep() == {"deferred": 1}
    desk.now = NOW + timedelta(seconds=60)
    assert await desk.sweep() == {"sent": 3}
    desk.now = NOW + timedelta(seconds=200)
    await desk.alert("s4")
    await desk.sweep()
    assert await desk.sweep(after=timedelta(seconds=60)) == {"sent": 1}
    group, single = receiver.wait_for(2)
    assert group.json()["event"] == "group"
    assert [alert["story_id"] for alert in group.json()["alerts"]] == ["s1", "s2", "s3"]
    assert (single.json()["event"], single.json()["story_id"]) == ("new", "s4")


async def test_rate_limit_defers_messages_beyond_the_limit(
    store: Store, http: httpx.AsyncClient, receiver: HttpReceiver
) -> None:
    """One message per minute: the second alert waits a minute, it is not dropped."""
    route = RouteSettings.model_validate({"rate_limit": {"messages": 1, "per_seconds": 60}})
    desk = Desk(store, {"hook": webhook(receiver.url(), http)}, routes={"hook": route})
    await desk.alert("s1")
    await desk.alert("s2")
    assert await desk.sweep() == {"sent": 1, "deferred": 1}
    assert await desk.sweep(after=timedelta(seconds=30)) == {}
    assert await desk.sweep(after=timedelta(seconds=30)) == {"sent": 1}
    assert desk.dispatcher is not None
    assert desk.dispatcher.metrics.deferrals == {("hook", "rate_limit"): 1}


async def test_webhook_update_payload_names_the_story_and_the_change(
    store: Store, http: httpx.AsyncClient, receiver: HttpReceiver
) -> None:
    desk = Desk(
        store, {"hook": webhook(receiver.url(), http)}, updates=UpdateSettings(outlets=(3,))
    )
    await desk.alert("s1")
    for outlet in (2, 3):
        await desk.alert("s1", outlet=outlet)
    assert await desk.sweep() == {"sent": 2}
    new, update = (json.loads(r.body) for r in receiver.wait_for(2))
    assert (new["event"], update["event"]) == ("new", "update")
    assert update["story_id"] == new["story_id"] == "s1"
    assert (update["change"], update["reason"], update["outlets"]) == (
        "outlets>=3",
        "reported by 3 outlets",
        3,
    )
    assert update["alert_id"] != new["alert_id"]
