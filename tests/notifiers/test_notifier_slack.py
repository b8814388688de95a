"""Slack notifier against a real loopback HTTP receiver: payload shape and escaping."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from notifiers import Alert, SlackConfig, SlackNotifier
from tests.support.receiver import HttpReceiver

AlertFactory = Callable[..., Alert]


def _notifier(receiver: HttpReceiver, http: httpx.AsyncClient, **options: Any) -> SlackNotifier:
    config = SlackConfig(webhook_url=receiver.url("/services/T000/B000/XXXX"), **options)
    return SlackNotifier("team-slack", config, http=http)


def _texts(payload: dict[str, Any]) -> list[str]:
    """Every string Slack would parse as message text: fallback plus all mrkdwn blocks."""
    texts = [payload["text"]]
    for block in payload["blocks"]:
        texts += [block["text"]["text"]] if "text" in block else []
        texts += [field["text"] for field in block.get("fields", [])]
        texts += [element["text"] for element in block.get("elements", [])]
    return texts


async def _sent_payload(
    receiver: HttpReceiver, http: httpx.AsyncClient, alert: Alert, **options: Any
) -> dict[str, Any]:
    await _notifier(receiver, http, **options).send(alert)
    (request,) = receiver.wait_for(1)
    payload: dict[str, Any] = request.json()
    return payload


class TestPayload:
    async def test_posts_block_kit_json_to_the_webhook_path(
        self, http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
    ) -> None:
        """One POST of JSON to the webhook URL, with blocks and a plain text fallback."""
        await _notifier(http_receiver, http_client).send(make_alert())
        (request,) = http_receiver.wait_for(1)
        assert (request.method, request.path) == ("POST", "/services/T000/B000/XXXX")
        assert request.headers["content-type"] == "application/json"
        payload = request.json()
        assert payload["text"] == (
            "[HIGH] harbour-closures: Port authority shuts northern harbour after crane collapse"
        )
        assert [block["type"] for block in payload["blocks"]] == ["section", "section", "context"]

    async def test_headline_links_the_story_and_fields_carry_the_facts(
        self, http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
    ) -> None:
        """The headline is the linked title; fields give severity, rule, terms, outlets, time."""
        payload = await _sent_payload(http_receiver, http_client, make_alert())
        headline, facts = payload["blocks"][0], payload["blocks"][1]
        assert headline["text"] == {
            "type": "mrkdwn",
            "text": "*<https://news.example.org/harbour/crane-collapse|"
            "Port authority shuts northern harbour after crane collapse>*",
        }
        assert [field["text"] for field in facts["fields"]] == [
            "*Severity*\nHIGH",
            "*Rule*\nharbour-closures",
            "*Matched terms*\nharbour, crane",
            "*Outlets*\n3",
            "*First seen*\n2024-05-01T06:32:10+00:00",
            "*Feed*\nExample Coastal Wire",
        ]

    async def test_optional_channel_username_and_icon_are_sent_only_when_set(
        self, http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
    ) -> None:
        """channel/username/icon_emoji appear in the payload only when configured."""
        notifier = _notifier(http_receiver, http_client)
        styled = _notifier(
            http_receiver, http_client, channel="#alerts", username="wirewatch", icon_emoji=":eyes:"
        )
        await notifier.send(make_alert())
        await styled.send(make_alert())
        plain, custom = (request.json() for request in http_receiver.wait_for(2))
        assert not {"channel", "username", "icon_emoji"} & plain.keys()
        assert (custom["channel"], custom["username"], custom["icon_emoji"]) == (
            "#alerts",
            "wirewatch",
            ":eyes:",
        )

    async def test_update_events_are_marked_in_the_fallback_text(
        self, http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
    ) -> None:
        """A non-"new" event is named in the fallback so readers know it is a follow-up."""
        payload = await _sent_payload(http_receiver, http_client, make_alert(event="update"))
        assert payload["text"].endswith("(update)")

    async def test_payload_without_summary_has_no_context_block(
        self, http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
    ) -> None:
        """An empty summary produces no empty context block (Slack rejects empty text)."""
        payload = await _sent_payload(http_receiver, http_client, make_alert(summary=""))
        assert [block["type"] for block in payload["blocks"]] == ["section", "section"]


INJECTIONS = [
    pytest.param("title", "Breaking <!channel> now", "&lt;!channel&gt;", id="channel-mention"),
    pytest.param("title", "<!here|here> look", "&lt;!here|here&gt;", id="here-mention"),
    pytest.param("title", "ping <@U123ABC>", "&lt;@U123ABC&gt;", id="user-mention"),
    pytest.param("summary", "<!subteam^S01|@ops> up", "&lt;!subteam^S01|@ops&gt;", id="group"),
    pytest.param(
        "title", "<http://evil.example|click me>", "&lt;http://evil.example|click me&gt;", id="link"
    ),
    pytest.param("feed", "Wire <!everyone>", "Wire &lt;!everyone&gt;", id="feed-mention"),
    pytest.param("title", "Fish & chips &lt;", "Fish &amp; chips &amp;lt;", id="ampersand"),
    pytest.param("rule", "<!channel>", "&lt;!channel&gt;", id="rule-mention"),
]


@pytest.mark.parametrize(("field", "hostile", "escaped"), INJECTIONS)
async def test_feed_text_cannot_inject_mentions_or_links(
    http_receiver: HttpReceiver,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    field: str,
    hostile: str,
    escaped: str,
) -> None:
    """&, < and > in every feed field are escaped, so Slack sees no control sequence."""
    payload = await _sent_payload(http_receiver, http_client, make_alert(**{field: hostile}))
    texts = _texts(payload)
    assert not any(hostile in text for text in texts)
    assert any(escaped in text for text in texts)


async def test_matched_terms_are_escaped(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """Matched terms come from feed text too and are escaped like the rest."""
    payload = await _sent_payload(
        http_receiver, http_client, make_alert(matched_terms=("<!here>",))
    )
    assert "*Matched terms*\n&lt;!here&gt;" in _texts(payload)


LINKS = [
    pytest.param("javascript:alert(1)", None, id="javascript-scheme"),
    pytest.param("data:text/html,<b>x</b>", None, id="data-scheme"),
    pytest.param("ftp://files.example.org/a", None, id="ftp-scheme"),
    pytest.param("https://x.example/a b", None, id="whitespace"),
    pytest.param("//evil.example/path", None, id="scheme-relative"),
    pytest.param(
        "https://x.example/a|<!channel>", "https://x.example/a%7C%3C!channel%3E", id="pipe"
    ),
    pytest.param("https://x.example/q?a=1&b=2", "https://x.example/q?a=1&amp;b=2", id="ampersand"),
    pytest.param("https://x.example/a>b", "https://x.example/a%3Eb", id="angle"),
    pytest.param("https://x.example/?" + "&" * 1000, None, id="too-long-once-escaped"),
]


@pytest.mark.parametrize(("link", "target"), LINKS)
async def test_story_link_is_neutralised(
    http_receiver: HttpReceiver,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    link: str,
    target: str | None,
) -> None:
    """Only http(s) links are linked, with | and > encoded so the label cannot be forged."""
    payload = await _sent_payload(http_receiver, http_client, make_alert(link=link, title="T"))
    headline = payload["blocks"][0]["text"]["text"]
    assert headline == (f"*<{target}|T>*" if target else "*T*")


async def test_control_characters_and_line_breaks_are_flattened(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """Titles stay on one line without escape sequences or bidi overrides."""
    title = "Quake\r\n*fake field*\x1b[31m red\u202e txet"
    payload = await _sent_payload(http_receiver, http_client, make_alert(title=title))
    assert payload["text"].endswith("Quake *fake field* red txet")
    assert "\x1b" not in json.dumps(payload)
