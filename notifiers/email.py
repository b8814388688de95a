"""Email notifier over SMTP (aiosmtplib): multipart/alternative, text and HTML.

Hostile feed text is kept out of the headers' syntax: the subject is one line
with every control character removed and a capped length, and the envelope
recipients come from the config only, never from headers. The HTML part
escapes every feed field and links only http(s) URLs.

``Message-ID`` is derived from ``alert_id``, so a retried alert carries the same
id and receivers (or their filters) can drop the duplicate.

Failures: SMTP 4xx replies, timeouts and connection errors are retryable; 5xx
replies (rejected recipient, failed authentication) and unsupported features
(e.g. no STARTTLS) are not. If only some recipients are refused the server has
accepted the message for the others, so the send counts as done.
"""

from __future__ import annotations

import hashlib
import html
import re
from email.message import EmailMessage
from email.utils import formatdate
from typing import ClassVar, Literal

import aiosmtplib
import httpx
from pydantic import Field, FilePath, SecretStr, field_validator, model_validator

from notifiers._text import multi_line, redact, safe_link, single_line
from notifiers.base import Alert, NotifierConfig, NotifierPlugin, NotifyError

SUBJECT_CHARS = 160
_FIELD_CHARS = 500
_SUMMARY_CHARS = 4000
_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
# A deliberately plain address: dot-atom local part, dotted host name. No display
# names, quotes, comments or IP literals: nothing a header parser could misread.
_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
_HOST = r"^(?:[A-Za-z0-9.-]{1,253}|\[?[0-9A-Fa-f:.]{2,45}\]?)$"
_MESSAGE_ID_PART = re.compile(r"[A-Za-z0-9._-]{1,128}")
_TRANSIENT_ERRORS = (
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPTimeoutError,
)


def _check_address(address: str) -> str:
    if len(address) > 254 or not _ADDRESS.fullmatch(address):
        raise ValueError(f"{address!r} is not a plain email address (user@example.org)")
    return address


class EmailConfig(NotifierConfig):
    """``[notifiers.<name>]`` with ``type = "email"``.

    ``port`` defaults by ``security``: 587 (starttls), 465 (tls), 25 (none).
    ``ca_file`` is a PEM bundle to trust instead of the system CAs (private relays).
    Credentials are refused with ``security = "none"``: they would cross the wire in clear.
    """

    type: Literal["email"] = "email"
    host: str = Field(pattern=_HOST)
    port: int | None = Field(None, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = Field(None, min_length=1, max_length=256)
    password: SecretStr | None = None
    from_addr: str
    to: list[str] = Field(min_length=1, max_length=100)
    timeout: float = Field(30.0, gt=0, le=300)
    ca_file: FilePath | None = None

    @field_validator("from_addr")
    @classmethod
    def _plain_sender(cls, value: str) -> str:
        return _check_address(value)

    @field_validator("to")
    @classmethod
    def _plain_recipients(cls, value: list[str]) -> list[str]:
        return [_check_address(address) for address in value]

    @model_validator(mode="after")
    def _credentials_need_tls(self) -> EmailConfig:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password must be given together")
        if self.username is not None and self.security == "none":
            raise ValueError('credentials require security = "starttls" or "tls"')
        return self

    @property
    def smtp_port(self) -> int:
        """The configured port, or the usual one for ``security``."""
        return self.port or _DEFAULT_PORTS[self.security]


def subject(alert: Alert) -> str:
    """``[HIGH] rule: title`` on one line, capped at :data:`SUBJECT_CHARS`."""
    update = "" if alert.event == "new" else " (update)"
    line = f"[{alert.severity.upper()}] {alert.rule}: {alert.title}{update}"
    return single_line(line, SUBJECT_CHARS)


def message_id(alert: Alert, from_addr: str) -> str:
    """A Message-ID that is the same for every send of ``alert``."""
    local = alert.alert_id
    if not _MESSAGE_ID_PART.fullmatch(local):
        local = hashlib.sha256(local.encode("utf-8", "replace")).hexdigest()[:32]
    return f"<wirewatch.{local}@{from_addr.rpartition('@')[2]}>"


def _facts(alert: Alert) -> dict[str, str]:
    """Label → cleaned plain-text value, shared by both parts."""
    published = alert.published.isoformat(timespec="seconds") if alert.published else "unknown"
    return {
        "Severity": single_line(alert.severity, _FIELD_CHARS).upper(),
        "Rule": single_line(alert.rule, _FIELD_CHARS),
        "Matched terms": single_line(", ".join(alert.matched_terms), _FIELD_CHARS) or "-",
        "Outlets": str(alert.outlets),
        "Feed": single_line(alert.feed, _FIELD_CHARS),
        "Published": published,
        "First seen": alert.first_seen.isoformat(timespec="seconds"),
    }


def text_body(alert: Alert) -> str:
    """The text/plain part."""
    lines = [single_line(alert.title, _FIELD_CHARS), safe_link(alert.link) or "", ""]
    lines += [f"{label}: {value}" for label, value in _facts(alert).items()]
    summary = multi_line(alert.summary, _SUMMARY_CHARS)
    return "\n".join([*lines, "", summary]).rstrip() + "\n"


def html_body(alert: Alert) -> str:
    """The text/html part: every feed value escaped, links only to http(s) URLs."""
    title = html.escape(single_line(alert.title, _FIELD_CHARS))
    link = safe_link(alert.link)
    heading = f'<a href="{html.escape(link, quote=True)}">{title}</a>' if link else title
    rows = "".join(
        f'<tr><th align="left">{label}</th><td>{html.escape(value)}</td></tr>'
        for label, value in _facts(alert).items()
    )
    summary = html.escape(multi_line(alert.summary, _SUMMARY_CHARS)).replace("\n", "<br>\n")
    return (
        f"<!DOCTYPE html>\n<html><body>\n<h2>{heading}</h2>\n"
        f"<table>{rows}</table>\n<p>{summary}</p>\n</body></html>\n"
    )


def build_message(alert: Alert, config: EmailConfig) -> EmailMessage:
    """The complete message for ``alert``."""
    message = EmailMessage()
    message["Subject"] = subject(alert)
    message["From"] = config.from_addr
    message["To"] = ", ".join(config.to)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(alert, config.from_addr)
    message.set_content(text_body(alert))
    message.add_alternative(html_body(alert), subtype="html")
    return message


def _classify(exc: aiosmtplib.SMTPException, secrets: list[str]) -> NotifyError:
    """Turn an aiosmtplib failure into a retryable or permanent :class:`NotifyError`."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = sorted({refusal.code for refusal in exc.recipients})
        retryable = any(400 <= code < 500 for code in codes)
        return NotifyError(f"smtp server refused every recipient ({codes})", retryable=retryable)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        reply = single_line(redact(exc.message, secrets), 120)
        message = f"smtp server replied {exc.code} ({type(exc).__name__}): {reply}"
        return NotifyError(message, retryable=400 <= exc.code < 500)
    retryable = isinstance(exc, _TRANSIENT_ERRORS)
    return NotifyError(f"smtp send failed ({type(exc).__name__})", retryable=retryable)


class EmailNotifier(NotifierPlugin):
    """Sends one email per alert to the configured recipients."""

    type_name: ClassVar[str] = "email"
    Config: ClassVar[type[NotifierConfig]] = EmailConfig

    def __init__(self, name: str, config: EmailConfig, *, http: httpx.AsyncClient) -> None:
        super().__init__(name, config, http=http)
        self.config = config

    async def send(self, alert: Alert) -> None:
        """Send ``alert``; raise a classified :class:`NotifyError` on failure."""
        config = self.config
        password = config.password.get_secret_value() if config.password else None
        try:
            await aiosmtplib.send(
                build_message(alert, config),
                sender=config.from_addr,
                recipients=list(config.to),
                hostname=config.host,
                port=config.smtp_port,
                username=config.username,
                password=password,
                use_tls=config.security == "tls",
                start_tls=config.security == "starttls",
                timeout=config.timeout,
                cert_bundle=str(config.ca_file) if config.ca_file else None,
            )
        except aiosmtplib.SMTPException as exc:
            raise _classify(exc, config.secret_values()) from None
        except OSError as exc:  # e.g. a TLS handshake failing outside aiosmtplib's wrappers
            raise NotifyError(
                f"smtp connection failed ({type(exc).__name__})", retryable=True
            ) from None
