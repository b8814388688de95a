"""Surge alerts on every channel: the evidence (count against expected, window, top
stories and outlets) is legible, and its feed text escaped, through real receivers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage

import httpx
import jsonschema
import pytest

from notifiers import (
    BATCH_SCHEMA,
    PAYLOAD_SCHEMA,
    Alert,
    Batch,
    ConsoleConfig,
    ConsoleNotifier,
    EmailConfig,
    EmailNotifier,
    SlackConfig,
    SlackNotifier,
    SurgeEvidence,
    SurgeStory,
    WebhookConfig,
    WebhookNotifier,
)
from tests.support.receiver import HttpReceiver
from tests.support.smtp import SmtpServer

AlertFactory = Callable[..., Alert]
HOSTILE_TITLE = "Kyiv <!channel> <b onmouseover=x>blasts</b> & \u202ereversed"
EVIDENCE = SurgeEvidence(
    kind="name",
    key="kyiv",
    label="Kyiv",
    count=14,
    expected=1.25,
    outlets=9,
    score=11.3,
    window_start=datetime(2024, 5, 1, 6, 0, tzinfo=UTC),
    window_end=datetime(2024, 5, 1, 7, 0, tzinfo=UTC),
    top_stories=(
        SurgeStory("st-1", HOSTILE_TITLE, 7),
        SurgeStory("st-2", "Взрывы в Киеве: власти сообщают о пострадавших", 3),
    ),
    top_outlets=("Example Coastal Wire", "Agence <b>Exemple</b>"),
)
COUNTS = "14 reports from 9 outlets in 60 min (1.2 expected)"
WINDOW = "2024-05-01 06:00–07:00 UTC"


@pytest.fixture
def surge_alert(make_alert: AlertFactory) -> Alert:
    return make_alert(
        alert_id="su_0123456789abcdef0123",
        story_id="st-1",
        rule="surge:name:kyiv",
        severity="medium",
        title=HOSTILE_TITLE,
        matched_terms=(),
        surge=EVIDENCE,
    )


def test_the_evidence_reads_as_counts_and_a_window() -> None:
    assert EVIDENCE.what == 'name "Kyiv"'
    assert EVIDENCE.counts == COUNTS
    assert EVIDENCE.window == WINDOW
    across_midnight = dataclasses.replace(
        EVIDENCE, window_end=datetime(2024, 5, 2, 0, 30, tzinfo=UTC), count=1, outlets=1
    )
    assert across_midnight.window == "2024-05-01 06:00–2024-05-02 00:30 UTC"
    assert across_midnight.counts.startswith("1 report from 1 outlet in 1110 min")


async def test_webhook_sends_the_evidence_as_schema_2_3(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, surge_alert: Alert
) -> None:
    config = WebhookConfig(url=http_receiver.url("/hook"))
    await WebhookNotifier("hook", config, http=http_client).send(surge_alert)
    (request,) = http_receiver.wait_for(1)
    document = request.json()
    jsonschema.validate(document, PAYLOAD_SCHEMA)
    assert (document["event"], document["rule"]) == ("new", "surge:name:kyiv")
    assert document["surge"] == {
        "kind": "name",
        "key": "kyiv",
        "label": "Kyiv",
        "count": 14,
        "expected": 1.25,
        "outlets": 9,
        "score": 11.3,
        "window_start": "2024-05-01T06:00:00+00:00",
        "window_end": "2024-05-01T07:00:00+00:00",
        "top_stories": [
            {"story_id": "st-1", "title": HOSTILE_TITLE, "outlets": 7},
            {"story_id": "st-2", "title": EVIDENCE.top_stories[1].title, "outlets": 3},
        ],
        "top_outlets": ["Example Coastal Wire", "Agence <b>Exemple</b>"],
    }
    assert request.headers["idempotency-key"] == "su_0123456789abcdef0123"


async def test_slack_shows_the_counts_window_and_top_stories_escaped(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, surge_alert: Alert
) -> None:
    config = SlackConfig(webhook_url=http_receiver.url("/services/T0/B0/X"))
    await SlackNotifier("slack", config, http=http_client).send(surge_alert)
    (request,) = http_receiver.wait_for(1)
    payload = request.json()
    assert payload["text"] == f'[MEDIUM] Surge of name "Kyiv": {COUNTS}'
    headline, facts, stories = payload["blocks"]
    assert headline["text"]["text"].startswith(f'*Surge of name "Kyiv"*: {COUNTS} · top story: <')
    assert [field["text"] for field in facts["fields"]] == [
        "*Severity*\nMEDIUM",
        "*Rule*\nsurge:name:kyiv",
        "*Count*\n14 (expected 1.2)",
        "*Outlets*\n9",
        f"*Window*\n{WINDOW}",
        "*Top outlets*\nExample Coastal Wire, Agence &lt;b&gt;Exemple&lt;/b&gt;",
    ]
    lines = stories["elements"][0]["text"].split("\n")
    escaped = "Kyiv &lt;!channel&gt; &lt;b onmouseover=x&gt;blasts&lt;/b&gt; &amp; reversed"
    assert lines[0] == f"• {escaped} (7 outlets)"
    assert lines[1] == f"• {EVIDENCE.top_stories[1].title} (3 outlets)"
    assert "<!channel>" not in request.body.decode()


def _parts(message: EmailMessage) -> tuple[str, str, str]:
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and rich is not None
    return str(message["Subject"]), plain.get_content(), rich.get_content()


async def test_email_carries_the_evidence_in_text_and_html(
    smtp_server: SmtpServer, http_client: httpx.AsyncClient, surge_alert: Alert
) -> None:
    config = EmailConfig.model_validate({
        "host": "127.0.0.1", "port": smtp_server.port, "security": "none",
        "from_addr": "wirewatch@alerts.example.org", "to": ["desk@example.com"],
    })  # fmt: skip
    await EmailNotifier("mail", config, http=http_client).send(surge_alert)
    (delivery,) = smtp_server.handler.wait_for(1)
    subject, text, html = _parts(delivery.message)
    assert subject == f'[MEDIUM] Surge of name "Kyiv": {COUNTS}'
    second = EVIDENCE.top_stories[1].title
    for line in (f'Surge of name "Kyiv": {COUNTS}', f"Window: {WINDOW}",
                 "Rule: surge:name:kyiv", f"- {second} (3 outlets)",
                 "Top outlets: Example Coastal Wire, Agence <b>Exemple</b>"):  # fmt: skip
        assert line in text.splitlines()
    assert "<h2>Surge of name &#34;Kyiv&#34;</h2>" in html
    assert f"<td>{WINDOW}</td>" in html
    assert "&lt;b onmouseover=x&gt;blasts&lt;/b&gt;" in html
    assert "<b onmouseover" not in html and "Agence <b>" not in html


async def test_console_prints_the_evidence_block(
    http_client: httpx.AsyncClient, surge_alert: Alert, capsys: pytest.CaptureFixture[str]
) -> None:
    config = ConsoleConfig.model_validate({"stream": "stdout"})
    await ConsoleNotifier("terminal", config, http=http_client).send(surge_alert)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:6] == [
        f'[MEDIUM] surge of name "Kyiv": {COUNTS}',
        "    rule:       surge:name:kyiv",
        f"    window:     {WINDOW}",
        "    story:      Kyiv <!channel> <b onmouseover=x>blasts</b> & reversed (7 outlets)",
        f"    story:      {EVIDENCE.top_stories[1].title} (3 outlets)",
        "    outlets:    Example Coastal Wire, Agence <b>Exemple</b>",
    ]
    assert "\u202e" not in "".join(lines)  # the bidi override is dropped


async def test_a_digest_with_a_surge_shows_its_evidence_beside_rule_alerts(
    http_receiver: HttpReceiver,
    smtp_server: SmtpServer,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    surge_alert: Alert,
) -> None:
    batch = Batch("dg_1", "digest", (make_alert(), surge_alert))
    hook = WebhookNotifier("hook", WebhookConfig(url=http_receiver.url("/hook")), http=http_client)
    await hook.send_batch(batch)
    (request,) = http_receiver.wait_for(1)
    jsonschema.validate(request.json(), BATCH_SCHEMA)
    assert [item["surge"] is None for item in request.json()["alerts"]] == [True, False]
    config = EmailConfig.model_validate({
        "host": "127.0.0.1", "port": smtp_server.port, "security": "none",
        "from_addr": "wirewatch@alerts.example.org", "to": ["desk@example.com"],
    })  # fmt: skip
    await EmailNotifier("mail", config, http=http_client).send_batch(batch)
    (delivery,) = smtp_server.handler.wait_for(1)
    _, text, html = _parts(delivery.message)
    assert "Port authority shuts northern harbour after crane collapse" in text
    assert f'2. Surge of name "Kyiv": {COUNTS}' in text.splitlines()
    assert "<h2>Surge of name &#34;Kyiv&#34;</h2>" in html
