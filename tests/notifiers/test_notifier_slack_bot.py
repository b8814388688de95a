"""Slack bot token mode (chat.postMessage) against a loopback receiver acting as Slack's API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from notifiers import Alert, Batch, NotifyError, Sent, SlackConfig, SlackNotifier
from tests.support.receiver import HttpReceiver, Response

AlertFactory = Callable[..., Alert]
TOKEN = "xoxb-1111-2222-SECRETSECRET"


def _ok(ts: str = "1764000000.000200") -> Response:
    return Response(
        200, {"Content-Type": "application/json"}, f'{{"ok":true,"ts":"{ts}"}}'.encode()
    )


def _bot(receiver: HttpReceiver, http: httpx.AsyncClient) -> SlackNotifier:
    config = SlackConfig(token=TOKEN, channel="C0ALERTS", api_url=receiver.url("/api/"))
    return SlackNotifier("slack", config, http=http)


async def test_posts_to_chat_post_message_with_the_token_and_returns_the_ts(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    http_receiver.enqueue(_ok())
    sent = await _bot(http_receiver, http_client).send(make_alert())
    (request,) = http_receiver.wait_for(1)
    assert sent == Sent(thread="1764000000.000200")
    assert request.path == "/api/chat.postMessage"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    payload = request.json()
    assert (payload["channel"], payload["unfurl_links"]) == ("C0ALERTS", False)
    assert [block["type"] for block in payload["blocks"]] == ["section", "section", "context"]


async def test_an_update_with_a_thread_is_a_reply(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    http_receiver.enqueue(_ok())
    update = make_alert(event="update", reason="reported by 3 outlets", thread="1764000000.000200")
    await _bot(http_receiver, http_client).send(update)
    payload = http_receiver.wait_for(1)[0].json()
    assert payload["thread_ts"] == "1764000000.000200"
    assert payload["text"].endswith("(update: reported by 3 outlets)")


@pytest.mark.parametrize("thread", ["not-a-ts", "1.2\n3", ""])
async def test_a_malformed_thread_reference_is_not_sent(
    http_receiver: HttpReceiver,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    thread: str,
) -> None:
    http_receiver.enqueue(_ok())
    await _bot(http_receiver, http_client).send(make_alert(event="update", thread=thread))
    assert "thread_ts" not in http_receiver.wait_for(1)[0].json()


@pytest.mark.parametrize(
    ("answer", "retryable", "retry_after"),
    [
        (Response(200, body=b'{"ok":false,"error":"channel_not_found"}'), False, None),
        (Response(200, body=b'{"ok":false,"error":"ratelimited"}'), True, None),
        (Response(200, body=b"<html>not json</html>"), True, None),
        (Response(429, {"Retry-After": "30"}, b"slow down"), True, 30.0),
        (Response(500, body=b"oops"), True, None),
        (Response(401, body=b'{"ok":false,"error":"invalid_auth"}'), False, None),
    ],
)
async def test_api_failures_are_classified(
    http_receiver: HttpReceiver,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    answer: Response,
    retryable: bool,
    retry_after: float | None,
) -> None:
    http_receiver.enqueue(answer)
    with pytest.raises(NotifyError) as caught:
        await _bot(http_receiver, http_client).send(make_alert())
    assert (caught.value.retryable, caught.value.retry_after) == (retryable, retry_after)
    assert TOKEN not in str(caught.value)


async def test_a_digest_is_one_message_listing_each_alert(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    http_receiver.enqueue(_ok())
    alerts = tuple(make_alert(alert_id=f"a{n}", title=f"Story {n}") for n in range(30))
    await _bot(http_receiver, http_client).send_batch(Batch("dg_1", "digest", alerts))
    payload: dict[str, Any] = http_receiver.wait_for(1)[0].json()
    assert payload["text"] == "wirewatch digest: 30 alerts"
    assert len(payload["blocks"]) <= 50  # Slack's limit
    assert payload["blocks"][-1]["elements"][0]["text"] == "…and 7 more"


@pytest.mark.parametrize(
    "table",
    [
        {"token": TOKEN},  # no channel
        {"token": TOKEN, "channel": "C1", "webhook_url": "https://hooks.slack.com/x"},
        {"token": TOKEN, "channel": "C1", "api_url": "http://slack.example.org/api"},
        {"token": "xoxb\nX-Evil: 1", "channel": "C1"},
        {},
    ],
)
def test_bot_configs_need_one_mode_and_safe_values(table: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        SlackConfig.model_validate(table)
    assert TOKEN not in str(caught.value)
