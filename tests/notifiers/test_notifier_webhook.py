"""Webhook notifier against a real loopback receiver: body, headers, signature."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from notifiers import PAYLOAD_SCHEMA, Alert, NotifyError, WebhookConfig, WebhookNotifier
from tests.support.receiver import HttpReceiver, ReceivedRequest, Response

AlertFactory = Callable[..., Alert]


def _notifier(receiver: HttpReceiver, http: httpx.AsyncClient, **options: Any) -> WebhookNotifier:
    config = WebhookConfig(url=receiver.url("/ingest"), **options)
    return WebhookNotifier("archive-hook", config, http=http)


async def _deliver(
    receiver: HttpReceiver, http: httpx.AsyncClient, alert: Alert, **options: Any
) -> ReceivedRequest:
    await _notifier(receiver, http, **options).send(alert)
    (request,) = receiver.wait_for(1)
    return request


async def test_body_is_the_documented_version_2_document(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """The JSON body has exactly the schema's fields, with ISO-8601 timestamps."""
    request = await _deliver(http_receiver, http_client, make_alert())
    assert request.json() == {
        "version": 2,
        "schema_version": "2.4",
        "event": "new",
        "alert_id": "a1b2c3d4e5f60718",
        "story_id": "story-0042",
        "rule": "harbour-closures",
        "severity": "high",
        "change": "",
        "reason": "",
        "title": "Port authority shuts northern harbour after crane collapse",
        "link": "https://news.example.org/harbour/crane-collapse",
        "summary": "Officials closed the northern harbour overnight.\nShipping was rerouted south.",
        "excerpt": {"text": "", "marks": []},
        "feed": "Example Coastal Wire",
        "published": "2024-05-01T06:30:00+00:00",
        "first_seen": "2024-05-01T06:32:10+00:00",
        "matched_terms": ["harbour", "crane"],
        "outlets": 3,
        "language": "",
        "surge": None,
        "feedback_url": "",
    }
    assert list(request.json()) == PAYLOAD_SCHEMA["required"]
    assert set(PAYLOAD_SCHEMA["properties"]) == set(PAYLOAD_SCHEMA["required"])


async def test_unknown_publication_time_is_null(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """A story without a feed date sends ``"published": null``."""
    request = await _deliver(http_receiver, http_client, make_alert(published=None))
    assert request.json()["published"] is None


async def test_standard_and_configured_headers_are_sent(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """Content-Type, Idempotency-Key and the configured headers arrive; no signature unasked."""
    headers = {"Authorization": "Bearer abc123", "X-Team": "desk-7"}
    request = await _deliver(http_receiver, http_client, make_alert(), headers=headers)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == "a1b2c3d4e5f60718"
    assert (request.headers["authorization"], request.headers["x-team"]) == (
        "Bearer abc123",
        "desk-7",
    )
    assert "x-wirewatch-signature" not in request.headers
    assert "x-wirewatch-timestamp" not in request.headers


async def test_idempotency_key_is_stable_across_resends(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """Resending the same alert (a retry) repeats its Idempotency-Key and body."""
    notifier = _notifier(http_receiver, http_client)
    await notifier.send(make_alert())
    await notifier.send(make_alert())
    first, second = http_receiver.wait_for(2)
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert first.body == second.body


async def test_signature_is_hmac_sha256_of_timestamp_dot_body(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """A receiver holding the secret can verify X-Wirewatch-Signature over the raw body."""
    request = await _deliver(http_receiver, http_client, make_alert(), secret="shared-k3y")
    timestamp = request.headers["x-wirewatch-timestamp"]
    expected = hmac.new(b"shared-k3y", timestamp.encode() + b"." + request.body, hashlib.sha256)
    assert timestamp.isdigit()
    assert hmac.compare_digest(
        request.headers["x-wirewatch-signature"], f"sha256={expected.hexdigest()}"
    )


async def test_signature_fails_for_a_tampered_body(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """Changing one byte of the body no longer matches the signature."""
    request = await _deliver(http_receiver, http_client, make_alert(), secret="shared-k3y")
    timestamp = request.headers["x-wirewatch-timestamp"].encode()
    tampered = request.body.replace(b'"high"', b'"low"')
    forged = hmac.new(b"shared-k3y", timestamp + b"." + tampered, hashlib.sha256).hexdigest()
    assert request.headers["x-wirewatch-signature"] != f"sha256={forged}"


HOSTILE_TEXT = [
    pytest.param('"},"severity":"low', id="json-breakout"),
    pytest.param("</script><script>alert(1)</script>", id="script-tag"),
    pytest.param("line one\r\nX-Injected: yes", id="crlf"),
    pytest.param("\x1b]0;pwned\x07 and \u202e", id="terminal-escapes"),
    pytest.param("naïve café – 東京", id="non-ascii"),
]


@pytest.mark.parametrize("text", HOSTILE_TEXT)
async def test_feed_text_round_trips_verbatim_as_json_data(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory, text: str
) -> None:
    """Hostile text is JSON-escaped data: it decodes back exactly and adds no headers or keys."""
    request = await _deliver(http_receiver, http_client, make_alert(title=text, summary=text))
    payload = request.json()
    assert (payload["title"], payload["summary"], payload["severity"]) == (text, text, "high")
    assert "x-injected" not in request.headers
    assert request.body.isascii()


async def test_lone_surrogates_do_not_break_encoding(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """Broken feed text with an unpaired surrogate is still sent (as a JSON escape)."""
    request = await _deliver(http_receiver, http_client, make_alert(title="bad \ud800 text"))
    assert b"\\ud800" in request.body


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "not a url"]
)
async def test_non_http_links_are_sent_as_empty_strings(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory, link: str
) -> None:
    """Only http(s) story links are passed on, so receivers never render a script URL."""
    request = await _deliver(http_receiver, http_client, make_alert(link=link))
    assert request.json()["link"] == ""


async def test_header_values_echoed_back_are_redacted_from_errors(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """Configured header values are secrets: a 401 quoting them does not leak them."""
    http_receiver.enqueue(Response(401, body=b"token Bearer zz-t0p-s3cret rejected"))
    notifier = _notifier(
        http_receiver, http_client, headers={"Authorization": "Bearer zz-t0p-s3cret"}
    )
    with pytest.raises(NotifyError) as caught:
        await notifier.send(make_alert())
    assert str(caught.value) == "webhook 'archive-hook' returned 401: token [redacted] rejected"
    assert not caught.value.retryable


def test_schema_constant_is_valid_json_and_lists_every_field() -> None:
    """PAYLOAD_SCHEMA serialises (docs embed it) and requires the fields it describes."""
    schema = json.loads(json.dumps(PAYLOAD_SCHEMA))
    assert schema["properties"]["version"] == {"const": 2}
    assert schema["additionalProperties"] is False
    assert len(schema["required"]) == 21


@pytest.mark.parametrize("language", ["ar", "ckb", ""])
async def test_body_carries_the_articles_language(
    http_receiver: HttpReceiver,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    language: str,
) -> None:
    """Schema 2.2: the article's language code, "" when it could not be told."""
    request = await _deliver(http_receiver, http_client, make_alert(language=language))
    assert request.json()["language"] == language
    assert request.json()["schema_version"] == "2.4"
