"""The Apprise bridge against a loopback receiver, through Apprise's own json:// service."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from pydantic import ValidationError

from notifiers import Alert, Batch, NotifyError, validate_notifier_config
from tests.support.receiver import HttpReceiver, Response

pytest.importorskip("apprise", reason="the Apprise bridge needs the 'apprise' extra")

from notifiers import AppriseConfig, AppriseNotifier

AlertFactory = Callable[..., Alert]


def _bridge(receiver: HttpReceiver, http: httpx.AsyncClient) -> AppriseNotifier:
    config = AppriseConfig(urls=[f"json://127.0.0.1:{receiver.port}/wirewatch"])
    return AppriseNotifier("phone", config, http=http)


async def test_an_alert_reaches_the_service_with_title_and_body(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    await _bridge(http_receiver, http_client).send(make_alert())
    (request,) = http_receiver.wait_for(1)
    document = json.loads(request.body)
    assert request.path == "/wirewatch"
    assert document["title"] == (
        "[HIGH] harbour-closures: Port authority shuts northern harbour after crane collapse"
    )
    assert "https://news.example.org/harbour/crane-collapse" in document["message"]
    assert document["type"] == "warning"  # high severity


async def test_the_body_quotes_the_excerpt_with_terms_in_brackets(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    alert = make_alert(excerpt="… the crane fell on the quay …", excerpt_marks=((6, 11),))
    await _bridge(http_receiver, http_client).send(alert)
    (request,) = http_receiver.wait_for(1)
    assert "\n… the [crane] fell on the quay …\n" in json.loads(request.body)["message"]


async def test_a_digest_is_one_notification(
    http_receiver: HttpReceiver, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    alerts = tuple(make_alert(alert_id=f"a{n}", title=f"Story {n}") for n in range(3))
    await _bridge(http_receiver, http_client).send_batch(Batch("dg_1", "digest", alerts))
    (request,) = http_receiver.wait_for(1)
    document = json.loads(request.body)
    assert document["title"] == "wirewatch digest: 3 alerts"
    assert [f"Story {n}" in document["message"] for n in range(3)] == [True] * 3


async def test_a_failing_service_is_a_retryable_error_without_the_url(
    http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    with HttpReceiver(default=Response(500, body=b"no")) as receiver:
        bridge = _bridge(receiver, http_client)
        with pytest.raises(NotifyError) as caught:
            await bridge.send(make_alert())
    assert caught.value.retryable is True
    assert str(receiver.port) not in str(caught.value)


@pytest.mark.parametrize("url", ["nosuchservice://x", "json://host\n/x", ""])
def test_urls_no_service_accepts_are_config_errors(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_notifier_config({"type": "apprise", "urls": [url]})
    assert caught.value.errors()[0]["loc"][0] == "urls"
