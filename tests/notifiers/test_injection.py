"""Hostile headlines on every channel, single alerts and batches alike: rendered inert.

Slack mentions and links, HTML, and CRLF header injection, through the real
notifiers to real loopback receivers (HTTP, SMTP, Apprise's json://).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from notifiers import (
    Alert,
    Batch,
    ConsoleConfig,
    ConsoleNotifier,
    EmailConfig,
    EmailNotifier,
    SlackConfig,
    SlackNotifier,
    WebhookConfig,
    WebhookNotifier,
)
from tests.support.receiver import HttpReceiver, Response
from tests.support.smtp import SmtpServer, body_text

AlertFactory = Callable[..., Alert]

HOSTILE = [
    pytest.param("<!channel> harbour closed", id="slack-mention"),
    pytest.param("<http://evil.example|click here> for details", id="slack-link"),
    pytest.param("<script>alert(1)</script><b>Harbour</b> & co", id="html"),
    pytest.param("Harbour\r\nBcc: victim@example.org\r\n\r\nInjected body", id="crlf-headers"),
    pytest.param("Harbour\x1b]0;owned\x07 \u202eclosed", id="terminal-and-bidi"),
]
RAW_MARKERS = ("<!channel>", "<http://evil", "<script>", "<b>", "\r\nBcc", "\x1b", "\u202e")


def _hostile(make_alert: AlertFactory, title: str, **changes: Any) -> Alert:
    """An alert with ``title`` as its headline and as its excerpt, a mark inside it."""
    return make_alert(title=title, excerpt=title, excerpt_marks=((1, 7),), **changes)


def _batch(make_alert: AlertFactory, title: str) -> Batch:
    alerts = (
        _hostile(make_alert, title),
        _hostile(make_alert, title, alert_id="a2", summary=title),
    )
    return Batch("dg_0123456789abcdef", "digest", alerts)


def _slack_texts(payload: dict[str, Any]) -> list[str]:
    texts = [payload["text"]]
    for block in payload["blocks"]:
        texts += [block["text"]["text"]] if "text" in block else []
        texts += [item["text"] for key in ("fields", "elements") for item in block.get(key, [])]
    return texts


@pytest.mark.parametrize("title", HOSTILE)
@pytest.mark.parametrize("batched", [False, True], ids=["single", "digest"])
async def test_slack_messages_are_inert(
    http_receiver: HttpReceiver,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    title: str,
    batched: bool,
) -> None:
    """No text Slack parses contains a raw ``<``: no mention, no forged link."""
    config = SlackConfig(webhook_url=http_receiver.url("/services/T/B/X"))
    slack = SlackNotifier("slack", config, http=http_client)
    alert = _hostile(make_alert, title, summary=title, feed=title)
    await (slack.send_batch(_batch(make_alert, title)) if batched else slack.send(alert))
    (request,) = http_receiver.wait_for(1)
    ours = "<https://news.example.org/harbour/crane-collapse|"  # the one link we make
    for text in _slack_texts(request.json()):
        assert not any(marker in text.replace(ours, "") for marker in RAW_MARKERS)
    assert "&lt;" in json.dumps(request.json()) or "<" not in title


@pytest.mark.parametrize("title", HOSTILE)
@pytest.mark.parametrize("batched", [False, True], ids=["single", "digest"])
async def test_email_headers_and_html_are_inert(
    smtp_server: SmtpServer,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    title: str,
    batched: bool,
) -> None:
    """One recipient, no injected header, a one-line subject, escaped HTML."""
    config = EmailConfig(
        host=smtp_server.host,
        port=smtp_server.port,
        security="none",
        from_addr="wirewatch@example.org",
        to=["desk@example.org"],
    )
    mail = EmailNotifier("mail", config, http=http_client)
    alert = _hostile(make_alert, title, summary=title)
    await (mail.send_batch(_batch(make_alert, title)) if batched else mail.send(alert))
    (delivery,) = smtp_server.handler.wait_for(1)
    message = delivery.message
    assert delivery.rcpt_tos == ("desk@example.org",)
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    html = body_text(message, "html")
    assert "<script>" not in html and "<b>Harbour" not in html
    assert "&lt;script&gt;" in html or "script" not in title
    text = body_text(message, "plain")
    assert "\x1b" not in text and "\u202e" not in text


@pytest.mark.parametrize("title", HOSTILE)
async def test_console_output_stays_on_its_lines(
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    capsys: pytest.CaptureFixture[str],
    title: str,
) -> None:
    """The headline is one line with no escape sequence; the field lines are ours."""
    console = ConsoleNotifier("console", ConsoleConfig(), http=http_client)
    await console.send_batch(_batch(make_alert, title))
    lines = capsys.readouterr().out.splitlines()
    headlines = [line for line in lines if line.startswith("[HIGH]")]
    assert len(headlines) == 2
    assert all(not line or line.startswith(("[HIGH]", "    ", "==")) for line in lines)
    assert not any("\x1b" in line or "\r" in line for line in lines)


@pytest.mark.parametrize("title", HOSTILE)
async def test_webhook_carries_text_as_data_never_as_headers(
    http_receiver: HttpReceiver,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    title: str,
) -> None:
    """The title is a JSON string (verbatim, for the receiver to escape); headers are ours."""
    hook = WebhookNotifier("hook", WebhookConfig(url=http_receiver.url()), http=http_client)
    await hook.send_batch(_batch(make_alert, title))
    (request,) = http_receiver.wait_for(1)
    assert [alert["title"] for alert in request.json()["alerts"]] == [title, title]
    assert request.body.isascii()  # escaped: no raw CR/LF or control bytes on the wire
    assert "bcc" not in request.headers


@pytest.mark.parametrize("title", HOSTILE)
async def test_apprise_notification_text_is_clean(
    http_client: httpx.AsyncClient, make_alert: AlertFactory, title: str
) -> None:
    """Through Apprise's json:// service: a one-line title, no control characters."""
    pytest.importorskip("apprise", reason="the Apprise bridge needs the 'apprise' extra")
    from notifiers import AppriseConfig, AppriseNotifier  # noqa: PLC0415

    with HttpReceiver(default=Response(200)) as receiver:
        url = f"json://127.0.0.1:{receiver.port}/notify"
        bridge = AppriseNotifier("phone", AppriseConfig(urls=[url]), http=http_client)
        await bridge.send(_hostile(make_alert, title))
        (request,) = receiver.wait_for(1)
    document = json.loads(request.body)
    assert "\n" not in document["title"] and "\r" not in document["title"]
    assert not any(marker in document["title"] for marker in ("\x1b", "\u202e", "\r\nBcc"))
    assert not any(marker in document["message"] for marker in ("\x1b", "\u202e", "\r\nBcc"))
