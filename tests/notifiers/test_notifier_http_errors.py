"""How the HTTP notifiers (slack, webhook) classify failures, against a real receiver.

The dispatcher retries on ``retryable``; the webhook URL is a credential and
must never show up in an error message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from notifiers import (
    Alert,
    NotifierPlugin,
    NotifyError,
    SlackConfig,
    SlackNotifier,
    WebhookConfig,
    WebhookNotifier,
)
from tests.support.receiver import HttpReceiver, Response

AlertFactory = Callable[..., Alert]
TOKEN = "T0KEN-s3cr3t-9f8e7d"
HEADER_SECRET = "Bearer hdr-s3cr3t-1a2b"


def _slack(url: str, http: httpx.AsyncClient, timeout: float = 10.0) -> NotifierPlugin:
    config = SlackConfig(webhook_url=url, timeout=timeout)
    return SlackNotifier("ops-slack", config, http=http)


def _webhook(url: str, http: httpx.AsyncClient, timeout: float = 10.0) -> NotifierPlugin:
    headers = {"Authorization": HEADER_SECRET}
    config = WebhookConfig(url=url, headers=headers, secret="sig-s3cr3t", timeout=timeout)
    return WebhookNotifier("ops-hook", config, http=http)


BUILDERS = [pytest.param(_slack, id="slack"), pytest.param(_webhook, id="webhook")]
Builder = Callable[..., NotifierPlugin]

STATUSES = [
    pytest.param(Response(400, body=b"invalid_payload"), False, None, id="400"),
    pytest.param(Response(403), False, None, id="403"),
    pytest.param(Response(404, body=b"no_service"), False, None, id="404"),
    pytest.param(Response(410, body=b"channel_is_archived"), False, None, id="410"),
    pytest.param(Response(301, {"Location": "https://elsewhere.example"}), False, None, id="301"),
    pytest.param(Response(429, {"Retry-After": "7"}), True, 7.0, id="429-retry-after"),
    pytest.param(Response(429), True, None, id="429-no-header"),
    pytest.param(Response(429, {"Retry-After": "soon"}), True, None, id="429-garbage-header"),
    pytest.param(Response(500), True, None, id="500"),
    pytest.param(Response(502), True, None, id="502"),
    pytest.param(Response(503, {"Retry-After": "120"}), True, 120.0, id="503-retry-after"),
]


def _assert_no_secrets(error: NotifyError) -> None:
    for text in (str(error), repr(error), repr(error.args)):
        for secret in (TOKEN, HEADER_SECRET, "sig-s3cr3t", "/hooks/"):
            assert secret not in text


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize(("response", "retryable", "retry_after"), STATUSES)
async def test_status_codes_are_classified(
    http_receiver: HttpReceiver,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    build: Builder,
    response: Response,
    retryable: bool,
    retry_after: float | None,
) -> None:
    """4xx/3xx are permanent; 429 and 5xx are retryable and carry Retry-After seconds."""
    http_receiver.enqueue(response)
    notifier = build(http_receiver.url(f"/hooks/{TOKEN}"), http_client)
    with pytest.raises(NotifyError) as caught:
        await notifier.send(make_alert())
    assert (caught.value.retryable, caught.value.retry_after) == (retryable, retry_after)
    assert str(response.status) in str(caught.value)
    _assert_no_secrets(caught.value)


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("status", [200, 201, 202, 204])
async def test_any_2xx_is_success(
    http_receiver: HttpReceiver,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    build: Builder,
    status: int,
) -> None:
    """Every 2xx answer counts as delivered."""
    http_receiver.enqueue(Response(status, body=b"" if status == 204 else b"ok"))
    await build(http_receiver.url(f"/hooks/{TOKEN}"), http_client).send(make_alert())
    assert len(http_receiver.wait_for(1)) == 1


@pytest.mark.parametrize("build", BUILDERS)
async def test_retry_after_http_date_becomes_seconds(
    http_receiver: HttpReceiver,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    build: Builder,
) -> None:
    """A Retry-After HTTP-date in the future is turned into a positive delay."""
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    http_receiver.enqueue(Response(429, {"Retry-After": later}))
    with pytest.raises(NotifyError) as caught:
        await build(http_receiver.url(f"/hooks/{TOKEN}"), http_client).send(make_alert())
    assert caught.value.retry_after is not None
    assert 0 < caught.value.retry_after <= 3600


@pytest.mark.parametrize("build", BUILDERS)
async def test_error_quotes_a_short_cleaned_response_body(
    http_receiver: HttpReceiver,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    build: Builder,
) -> None:
    """The answer's body is quoted (Slack explains 400s there), one line, capped."""
    http_receiver.enqueue(Response(400, body=b"invalid_blocks\r\n\x1b[2J" + b"x" * 500))
    with pytest.raises(NotifyError) as caught:
        await build(http_receiver.url(f"/hooks/{TOKEN}"), http_client).send(make_alert())
    message = str(caught.value)
    assert "returned 400: invalid_blocks x" in message
    assert "\n" not in message
    assert "\x1b" not in message
    assert len(message) < 160


@pytest.mark.parametrize("build", BUILDERS)
async def test_secrets_echoed_by_the_server_are_redacted(
    http_receiver: HttpReceiver,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    build: Builder,
) -> None:
    """A receiver that echoes the URL path back cannot leak its token into errors."""
    echo = f"bad request to /hooks/{TOKEN}?x=1".encode()
    http_receiver.enqueue(Response(400, body=echo))
    url = http_receiver.url(f"/hooks/{TOKEN}")
    with pytest.raises(NotifyError) as caught:
        await build(url, http_client).send(make_alert())
    assert str(caught.value).endswith("bad request to [redacted]?x=1")


@pytest.mark.parametrize("build", BUILDERS)
async def test_connection_refused_is_retryable(
    http_client: httpx.AsyncClient, make_alert: AlertFactory, build: Builder
) -> None:
    """A receiver that is down (port closed) yields a retryable error without the URL."""
    with HttpReceiver() as closed:
        url = closed.url(f"/hooks/{TOKEN}")
    with pytest.raises(NotifyError) as caught:
        await build(url, http_client).send(make_alert())
    assert caught.value.retryable
    assert "ConnectError" in str(caught.value)
    _assert_no_secrets(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


TRANSPORT_FAILURES = [
    pytest.param(httpx.ConnectTimeout("connect timed out"), "timed out", id="connect-timeout"),
    pytest.param(httpx.ReadTimeout("read timed out"), "timed out", id="read-timeout"),
    pytest.param(httpx.RemoteProtocolError("peer closed"), "RemoteProtocolError", id="protocol"),
    pytest.param(httpx.ReadError("reset"), "ReadError", id="read-error"),
]


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize(("failure", "wording"), TRANSPORT_FAILURES)
async def test_transport_failures_are_retryable(
    make_alert: AlertFactory, build: Builder, failure: httpx.TransportError, wording: str
) -> None:
    """Timeouts and broken connections are retryable (MockTransport raises them on cue)."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    async with httpx.AsyncClient(transport=httpx.MockTransport(fail)) as http:
        with pytest.raises(NotifyError) as caught:
            await build(f"https://hooks.example.com/hooks/{TOKEN}", http).send(make_alert())
    assert caught.value.retryable
    assert wording in str(caught.value)
    _assert_no_secrets(caught.value)


@pytest.mark.parametrize("build", BUILDERS)
async def test_a_receiver_that_never_answers_times_out_as_retryable(
    http_receiver: HttpReceiver, make_alert: AlertFactory, build: Builder
) -> None:
    """A hung receiver is cut off by the client timeout and reported as retryable."""
    http_receiver.enqueue(Response(hold=True))
    async with httpx.AsyncClient(trust_env=False) as http:
        notifier = build(http_receiver.url(f"/hooks/{TOKEN}"), http, timeout=0.2)
        with pytest.raises(NotifyError) as caught:
            await notifier.send(make_alert())
    assert caught.value.retryable
    assert "timed out" in str(caught.value)
