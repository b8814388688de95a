"""The excerpt around the matched terms, marked its own way by every channel, through
real receivers: console (captured stdout), Slack and webhook (loopback HTTP), email
(aiosmtpd)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import jsonschema
import pytest

from notifiers import (
    PAYLOAD_SCHEMA,
    Alert,
    ConsoleConfig,
    ConsoleNotifier,
    EmailConfig,
    EmailNotifier,
    Escaping,
    SlackConfig,
    SlackNotifier,
    Templates,
    WebhookConfig,
    WebhookNotifier,
)
from tests.support.receiver import HttpReceiver
from tests.support.smtp import SmtpServer

AlertFactory = Callable[..., Alert]

EXCERPT = "… Israeli jets struck HEZBOLLAH's depots <script>alert(1)</script> near Homs …"
MARKS = ((22, 31), (72, 76))  # HEZBOLLAH, Homs


def _alert(make_alert: AlertFactory, **changes: Any) -> Alert:
    return make_alert(excerpt=EXCERPT, excerpt_marks=MARKS, **changes)


async def test_console_prints_the_excerpt_with_terms_in_brackets(
    http_client: httpx.AsyncClient, make_alert: AlertFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    config = ConsoleConfig.model_validate({})
    await ConsoleNotifier("terminal", config, http=http_client).send(_alert(make_alert))
    assert (
        "    excerpt:    … Israeli jets struck [HEZBOLLAH]'s depots"
        " <script>alert(1)</script> near [Homs] …\n"
    ) in capsys.readouterr().out


async def test_console_prints_no_excerpt_line_without_one(
    http_client: httpx.AsyncClient, make_alert: AlertFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    config = ConsoleConfig.model_validate({})
    await ConsoleNotifier("terminal", config, http=http_client).send(make_alert())
    assert "excerpt" not in capsys.readouterr().out


def _slack(receiver: HttpReceiver, http: httpx.AsyncClient) -> SlackNotifier:
    config = SlackConfig(webhook_url=receiver.url("/services/T000/B000/XXXX"))
    return SlackNotifier("team-slack", config, http=http)


async def _slack_context(receiver: HttpReceiver, http: httpx.AsyncClient, alert: Alert) -> str:
    await _slack(receiver, http).send(alert)
    (request,) = receiver.wait_for(1)
    last = request.json()["blocks"][-1]
    assert last["type"] == "context"
    text: str = last["elements"][0]["text"]
    return text


async def test_slack_shows_the_excerpt_with_terms_in_bold_escaped(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    text = await _slack_context(http_receiver, http_client, _alert(make_alert))
    assert text == (
        "… Israeli jets struck *HEZBOLLAH*'s depots &lt;script&gt;alert(1)&lt;/script&gt;"
        " near *Homs* …"
    )


async def test_slack_shows_the_summary_without_an_excerpt(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    text = await _slack_context(http_receiver, http_client, make_alert())
    assert text.startswith("Officials closed the northern harbour overnight.")


async def test_slack_keeps_a_hostile_excerpt_under_its_block_limit(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """Every character escaped to five and every one marked: still under 3000."""
    marks = tuple((index, index + 1) for index in range(0, 3000, 2))
    alert = make_alert(excerpt="&" * 3000, excerpt_marks=marks)
    text = await _slack_context(http_receiver, http_client, alert)
    assert 2000 < len(text) <= 3000
    assert text.startswith("*&amp;*&amp;*&amp;*")


async def test_email_marks_terms_in_both_parts_and_escapes_the_html(
    smtp_server: SmtpServer, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    settings = {"host": "127.0.0.1", "port": smtp_server.port, "security": "none"}
    settings |= {"from_addr": "wirewatch@alerts.example.org", "to": ["desk@example.com"]}
    notifier = EmailNotifier("mail", EmailConfig.model_validate(settings), http=http_client)
    await notifier.send(_alert(make_alert))
    (delivery,) = smtp_server.handler.wait_for(1)
    plain, rich = (delivery.message.get_body((kind,)) for kind in ("plain", "html"))
    assert plain is not None and rich is not None
    assert "struck [HEZBOLLAH]'s depots <script>alert(1)</script> near [Homs] …" in (
        plain.get_content()
    )
    html = rich.get_content()
    assert (
        "<blockquote>… Israeli jets struck <strong>HEZBOLLAH</strong>&#39;s depots"
        " &lt;script&gt;alert(1)&lt;/script&gt; near <strong>Homs</strong> …</blockquote>"
    ) in html
    assert "<script>" not in html


async def _webhook_excerpt(
    receiver: HttpReceiver, http: httpx.AsyncClient, alert: Alert
) -> dict[str, Any]:
    notifier = WebhookNotifier("hook", WebhookConfig(url=receiver.url("/in")), http=http)
    await notifier.send(alert)
    (request,) = receiver.wait_for(1)
    document = request.json()
    jsonschema.validate(document, PAYLOAD_SCHEMA)
    excerpt: dict[str, Any] = document["excerpt"]
    return excerpt


async def test_webhook_sends_the_excerpt_verbatim_with_its_marks(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    excerpt = await _webhook_excerpt(http_receiver, http_client, _alert(make_alert))
    assert excerpt == {"text": EXCERPT, "marks": [[22, 31], [72, 76]]}
    assert [EXCERPT[start:end] for start, end in excerpt["marks"]] == ["HEZBOLLAH", "Homs"]


@pytest.mark.parametrize(
    ("marks", "kept"),
    [
        pytest.param(((3, 2),), [], id="reversed"),
        pytest.param(((0, 5), (3, 8)), [[0, 5]], id="overlapping"),
        pytest.param(((5, 9), (0, 2)), [[5, 9]], id="out of order"),
        pytest.param(((0, 99),), [], id="past the end"),
        pytest.param(((4, 4),), [], id="empty"),
    ],
)
async def test_webhook_drops_marks_that_do_not_fit_the_text(
    http_receiver: HttpReceiver,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    marks: tuple[tuple[int, int], ...],
    kept: list[list[int]],
) -> None:
    alert = make_alert(excerpt="a short excerpt", excerpt_marks=marks)
    excerpt = await _webhook_excerpt(http_receiver, http_client, alert)
    assert excerpt["marks"] == kept


def test_schema_2_1_requires_the_excerpt_and_names_its_version() -> None:
    schema = json.loads(json.dumps(PAYLOAD_SCHEMA))
    assert schema["properties"]["schema_version"]["const"] == "2.4"
    assert {"excerpt", "schema_version"} <= set(schema["required"])


@pytest.mark.parametrize(
    ("escaping", "expected"),
    [
        (Escaping.TEXT, "… Israeli jets struck [HEZBOLLAH]'s depots <script>"),
        (Escaping.SLACK, "… Israeli jets struck *HEZBOLLAH*'s depots &lt;script&gt;"),
        (
            Escaping.HTML,
            "… Israeli jets struck <strong>HEZBOLLAH</strong>&#39;s depots &lt;script&gt;",
        ),
    ],
)
def test_template_overrides_mark_the_excerpt_for_their_channel(
    make_alert: AlertFactory, escaping: Escaping, expected: str
) -> None:
    """``{{ alert|excerpt }}`` in a user's template, escaped as its channel needs."""
    templates = Templates("console", {"text": escaping}, {"text": "{{ alert|excerpt(50) }}"})
    assert templates.render("text", [_alert(make_alert)]) == expected + "…"
