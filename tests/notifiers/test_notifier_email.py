"""Email notifier against a real aiosmtpd server: message shape, injection, SMTP errors, TLS."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from notifiers import Alert, EmailConfig, EmailNotifier, NotifyError
from notifiers.email import SUBJECT_CHARS
from tests.support.receiver import HttpReceiver
from tests.support.smtp import Delivery, SmtpServer, TlsMaterial

AlertFactory = Callable[..., Alert]
PASSWORD = "pa55-w0rd-s3cret"


def _notifier(port: int, http: httpx.AsyncClient, **options: Any) -> EmailNotifier:
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from_addr": "wirewatch@alerts.example.org",
        "to": ["desk@example.com"],
        "timeout": 10,
    }
    config = EmailConfig.model_validate(settings | options)
    return EmailNotifier("newsdesk-mail", config, http=http)


async def _deliver(server: SmtpServer, http: httpx.AsyncClient, alert: Alert) -> Delivery:
    await _notifier(server.port, http).send(alert)
    (delivery,) = server.handler.wait_for(1)
    return delivery


def _parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None
    assert rich is not None
    return plain.get_content(), rich.get_content()


class TestMessage:
    async def test_sends_multipart_alternative_with_text_and_html(
        self, smtp_server: SmtpServer, http_client: httpx.AsyncClient, make_alert: AlertFactory
    ) -> None:
        """One message with a text/plain and a text/html alternative, and the usual headers."""
        delivery = await _deliver(smtp_server, http_client, make_alert())
        message = delivery.message
        assert message.get_content_type() == "multipart/alternative"
        assert [part.get_content_type() for part in message.iter_parts()] == [
            "text/plain",
            "text/html",
        ]
        assert message["Subject"] == (
            "[HIGH] harbour-closures: Port authority shuts northern harbour after crane collapse"
        )
        assert (message["From"], message["To"]) == (
            "wirewatch@alerts.example.org",
            "desk@example.com",
        )
        assert message["Date"]

    async def test_body_parts_carry_the_story_facts(
        self, smtp_server: SmtpServer, http_client: httpx.AsyncClient, make_alert: AlertFactory
    ) -> None:
        """Both parts give the title, link, rule, terms, outlets, feed, times and summary."""
        delivery = await _deliver(smtp_server, http_client, make_alert())
        text, rich = _parts(delivery.message)
        for fact in (
            "Port authority shuts northern harbour after crane collapse",
            "Rule: harbour-closures",
            "Matched terms: harbour, crane",
            "Outlets: 3",
            "Feed: Example Coastal Wire",
            "Published: 2024-05-01T06:30:00+00:00",
            "First seen: 2024-05-01T06:32:10+00:00",
            "Shipping was rerouted south.",
        ):
            assert fact in text
        assert '<a href="https://news.example.org/harbour/crane-collapse">' in rich
        assert '<th align="left">Outlets</th><td>3</td>' in rich

    async def test_envelope_comes_from_config(
        self, smtp_server: SmtpServer, http_client: httpx.AsyncClient, make_alert: AlertFactory
    ) -> None:
        """MAIL FROM and RCPT TO are the configured addresses, every recipient included."""
        to = ["desk@example.com", "night-editor@example.net"]
        await _notifier(smtp_server.port, http_client, to=to).send(make_alert())
        (delivery,) = smtp_server.handler.wait_for(1)
        assert (delivery.mail_from, delivery.rcpt_tos) == (
            "wirewatch@alerts.example.org",
            tuple(to),
        )

    async def test_message_id_is_stable_per_alert(
        self, smtp_server: SmtpServer, http_client: httpx.AsyncClient, make_alert: AlertFactory
    ) -> None:
        """Resending an alert repeats its Message-ID; a different alert gets another one."""
        notifier = _notifier(smtp_server.port, http_client)
        for alert_id in ("a1b2c3d4e5f60718", "a1b2c3d4e5f60718", "ffff0000ffff0000"):
            await notifier.send(make_alert(alert_id=alert_id))
        ids = [delivery.message["Message-ID"] for delivery in smtp_server.handler.wait_for(3)]
        assert ids[0] == ids[1] == "<wirewatch.a1b2c3d4e5f60718@alerts.example.org>"
        assert ids[2] != ids[0]

    async def test_odd_alert_ids_are_hashed_into_a_valid_message_id(
        self, smtp_server: SmtpServer, http_client: httpx.AsyncClient, make_alert: AlertFactory
    ) -> None:
        """An alert id with characters not allowed in a Message-ID is hashed, not pasted."""
        delivery = await _deliver(smtp_server, http_client, make_alert(alert_id="x>\r\nBcc: a@b.c"))
        message_id = delivery.message["Message-ID"].strip()  # long ids may be folded
        assert message_id.startswith("<wirewatch.")
        assert message_id.endswith("@alerts.example.org>")
        assert "Bcc" not in message_id
        assert delivery.message["Bcc"] is None


HEADER_ATTACKS = [
    pytest.param("Hi\r\nBcc: victim@example.com", id="crlf-bcc"),
    pytest.param("Hi\nBcc: victim@example.com", id="lf-bcc"),
    pytest.param("Hi\rBcc: victim@example.com", id="cr-bcc"),
    pytest.param("Hi\r\n\r\nfake body", id="blank-line-body"),
    pytest.param("Hi\u2028Bcc: victim@example.com", id="unicode-line-separator"),
    pytest.param("Hi\x85Bcc: victim@example.com", id="next-line-c1"),
    pytest.param("Hi\x00\x0bBcc: victim@example.com", id="nul-vt"),
]


@pytest.mark.parametrize("title", HEADER_ATTACKS)
async def test_title_cannot_inject_headers(
    smtp_server: SmtpServer, http_client: httpx.AsyncClient, make_alert: AlertFactory, title: str
) -> None:
    """Line breaks in a title never start a header: no Bcc, one recipient, a one-line subject."""
    delivery = await _deliver(smtp_server, http_client, make_alert(title=title))
    message = delivery.message
    assert message["Bcc"] is None
    assert delivery.rcpt_tos == ("desk@example.com",)
    assert message["Subject"].startswith("[HIGH] harbour-closures: Hi ")
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in message["Subject"])
    assert b"\r\nBcc:" not in delivery.raw.split(b"\r\n\r\n", 1)[0]


async def test_subject_length_is_capped(
    smtp_server: SmtpServer, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """A huge title yields a subject of at most SUBJECT_CHARS characters ending in an ellipsis."""
    delivery = await _deliver(smtp_server, http_client, make_alert(title="Flood " * 500))
    subject = delivery.message["Subject"]
    assert len(subject) == SUBJECT_CHARS
    assert subject.endswith("…")


async def test_non_ascii_subject_is_encoded_and_decodes_back(
    smtp_server: SmtpServer, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """Unicode titles survive the trip (RFC 2047 encoding is the email library's job)."""
    delivery = await _deliver(smtp_server, http_client, make_alert(title="Hochwasser in Köln"))
    assert delivery.message["Subject"].endswith(": Hochwasser in Köln")
    assert delivery.raw.split(b"\r\n\r\n", 1)[0].isascii()


HTML_ATTACKS = [
    pytest.param(
        "title", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;", id="script"
    ),
    pytest.param(
        "summary",
        '<img src=x onerror="a()">',
        "&lt;img src=x onerror=&#34;a()&#34;&gt;",
        id="img",
    ),
    pytest.param(
        "feed", '"><a href="https://evil.example">x</a>', "&#34;&gt;&lt;a href=", id="breakout"
    ),
    pytest.param("rule", "<b>rule</b>", "&lt;b&gt;rule&lt;/b&gt;", id="rule"),
    pytest.param("title", "Fish &amp; chips", "Fish &amp;amp; chips", id="entity"),
    pytest.param("matched_terms", ("<i>term</i>",), "&lt;i&gt;term&lt;/i&gt;", id="terms"),
]


@pytest.mark.parametrize(("field", "hostile", "escaped"), HTML_ATTACKS)
async def test_html_part_escapes_every_feed_field(
    smtp_server: SmtpServer,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    field: str,
    hostile: Any,
    escaped: str,
) -> None:
    """Feed text is HTML-escaped, so markup in it shows as text instead of running."""
    delivery = await _deliver(smtp_server, http_client, make_alert(**{field: hostile}))
    _, rich = _parts(delivery.message)
    assert (hostile if isinstance(hostile, str) else hostile[0]) not in rich
    assert escaped in rich


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "https://x.example/a\nb",
    ],
)
async def test_html_part_links_only_http_urls(
    smtp_server: SmtpServer, http_client: httpx.AsyncClient, make_alert: AlertFactory, link: str
) -> None:
    """A story link that is not plain http(s) is dropped rather than made clickable."""
    delivery = await _deliver(smtp_server, http_client, make_alert(link=link))
    text, rich = _parts(delivery.message)
    assert "href" not in rich
    assert link.strip() not in text


async def test_link_quotes_cannot_break_out_of_href(
    smtp_server: SmtpServer, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """Quotes in an http link are escaped inside the attribute."""
    link = 'https://x.example/"onmouseover="alert(1)'
    delivery = await _deliver(smtp_server, http_client, make_alert(link=link))
    _, rich = _parts(delivery.message)
    assert 'href="https://x.example/&#34;onmouseover=&#34;alert(1)"' in rich


SMTP_REFUSALS = [
    pytest.param("data", 451, "4.3.0 Temporary failure", True, id="data-451"),
    pytest.param("data", 452, "4.3.1 Insufficient storage", True, id="data-452"),
    pytest.param("data", 554, "5.7.1 Message rejected as spam", False, id="data-554"),
    pytest.param("data", 552, "5.3.4 Message too big", False, id="data-552"),
    pytest.param("rcpt", 450, "4.2.1 Mailbox busy", True, id="rcpt-450"),
    pytest.param("rcpt", 550, "5.1.1 No such user", False, id="rcpt-550"),
]


@pytest.mark.parametrize(("stage", "code", "text", "retryable"), SMTP_REFUSALS)
async def test_smtp_refusals_are_classified(
    smtp_server: SmtpServer,
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    stage: Any,
    code: int,
    text: str,
    retryable: bool,
) -> None:
    """4xx replies are retryable, 5xx permanent, at RCPT and DATA alike."""
    smtp_server.handler.refuse(code, text, stage=stage)
    with pytest.raises(NotifyError) as caught:
        await _notifier(smtp_server.port, http_client).send(make_alert())
    assert caught.value.retryable is retryable
    assert str(code) in str(caught.value)
    assert smtp_server.handler.deliveries == []


async def test_connection_refused_is_retryable(
    http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """No server listening (a port just freed) is a retryable connection failure."""
    with HttpReceiver() as closed:
        port = closed.port
    with pytest.raises(NotifyError) as caught:
        await _notifier(port, http_client).send(make_alert())
    assert caught.value.retryable
    assert "SMTPConnectError" in str(caught.value)


async def test_required_starttls_missing_on_server_is_permanent(
    smtp_server: SmtpServer, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """security = "starttls" never falls back to plain text: a server without it is an error."""
    notifier = _notifier(smtp_server.port, http_client, security="starttls")
    with pytest.raises(NotifyError) as caught:
        await notifier.send(make_alert())
    assert not caught.value.retryable
    assert smtp_server.handler.deliveries == []


@pytest.fixture
def tls_material(tmp_path: Path) -> TlsMaterial:
    """A throwaway CA and server certificate for 127.0.0.1 (needs trustme)."""
    return TlsMaterial.create(tmp_path)


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_delivers_over_tls_with_authentication(
    tls_material: TlsMaterial, http_client: httpx.AsyncClient, make_alert: AlertFactory, mode: Any
) -> None:
    """STARTTLS and implicit TLS both verify the server against ca_file and log in."""
    with SmtpServer(mode=mode, tls=tls_material, users={"wirewatch": PASSWORD}) as server:
        notifier = _notifier(
            server.port,
            http_client,
            security=mode,
            ca_file=str(tls_material.ca_file),
            username="wirewatch",
            password=PASSWORD,
        )
        await notifier.send(make_alert())
        (delivery,) = server.handler.wait_for(1)
    assert delivery.authenticated_as == "wirewatch"
    assert delivery.rcpt_tos == ("desk@example.com",)


async def test_wrong_password_is_permanent_and_not_quoted(
    tls_material: TlsMaterial, http_client: httpx.AsyncClient, make_alert: AlertFactory
) -> None:
    """A rejected login (535) is not retried, and the password is nowhere in the error."""
    with SmtpServer(mode="starttls", tls=tls_material, users={"wirewatch": "other"}) as server:
        notifier = _notifier(
            server.port,
            http_client,
            security="starttls",
            ca_file=str(tls_material.ca_file),
            username="wirewatch",
            password=PASSWORD,
        )
        with pytest.raises(NotifyError) as caught:
            await notifier.send(make_alert())
    assert not caught.value.retryable
    assert "535" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    assert PASSWORD not in repr(notifier.config)


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_untrusted_certificate_is_refused(
    tls_material: TlsMaterial, http_client: httpx.AsyncClient, make_alert: AlertFactory, mode: Any
) -> None:
    """Without the test CA in ca_file the server certificate fails verification: no delivery."""
    with SmtpServer(mode=mode, tls=tls_material) as server:
        with pytest.raises(NotifyError):
            await _notifier(server.port, http_client, security=mode).send(make_alert())
        assert server.handler.deliveries == []
