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
import re
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, FilePath, SecretStr, field_validator, model_validator

from notifiers._text import single_line
from notifiers.base import Alert, Batch, NotifierConfig, NotifierPlugin, NotifyError, Sent
from notifiers.redaction import Redactor
from notifiers.templates import Escaping, Templates, check_overrides

if TYPE_CHECKING:
    import aiosmtplib
    import httpx

SUBJECT_CHARS = 160
_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
# A deliberately plain address: dot-atom local part, dotted host name. No display
# names, quotes, comments or IP literals: nothing a header parser could misread.
_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
_HOST = r"^(?:[A-Za-z0-9.-]{1,253}|\[?[0-9A-Fa-f:.]{2,45}\]?)$"
_MESSAGE_ID_PART = re.compile(r"[A-Za-z0-9._-]{1,128}")


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
    templates: dict[str, str] = Field(default_factory=dict)

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: dict[str, str]) -> dict[str, str]:
        check_overrides(PARTS, value)
        return value

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


PARTS = {"subject": Escaping.TEXT, "text": Escaping.TEXT, "html": Escaping.HTML}
_THREAD_REF = re.compile(r"<wirewatch\.[A-Za-z0-9._-]{1,128}@[A-Za-z0-9.-]{1,253}>")


def message_id(key: str, from_addr: str) -> str:
    """A Message-ID that is the same for every send of one alert (or batch) ``key``."""
    local = key
    if not _MESSAGE_ID_PART.fullmatch(local):
        local = hashlib.sha256(local.encode("utf-8", "replace")).hexdigest()[:32]
    return f"<wirewatch.{local}@{from_addr.rpartition('@')[2]}>"


class EmailMessages:
    """Builds messages from a config's templates: one alert, or a group/digest."""

    def __init__(self, config: EmailConfig) -> None:
        self.config = config
        self.templates = Templates("email", PARTS, config.templates)

    def subject(self, alerts: Sequence[Alert], kind: str = "alert") -> str:
        """One line, every control character removed, capped at :data:`SUBJECT_CHARS`."""
        return single_line(self.templates.render("subject", alerts, kind), SUBJECT_CHARS)

    def build(self, alerts: Sequence[Alert], kind: str, key: str) -> EmailMessage:
        """The complete message; ``key`` (alert or batch id) makes its Message-ID."""
        config = self.config
        message = EmailMessage()
        message["Subject"] = self.subject(alerts, kind)
        message["From"] = config.from_addr
        message["To"] = ", ".join(config.to)
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = message_id(key, config.from_addr)
        thread = alerts[0].thread if kind == "alert" else None
        if thread and _THREAD_REF.fullmatch(thread):  # only ids we made: no header smuggling
            message["In-Reply-To"] = thread
            message["References"] = thread
        message.set_content(self.templates.render("text", alerts, kind))
        message.add_alternative(self.templates.render("html", alerts, kind), subtype="html")
        return message


def build_message(alert: Alert, config: EmailConfig) -> EmailMessage:
    """The complete message for one ``alert``."""
    return EmailMessages(config).build([alert], "alert", alert.alert_id)


def _classify(exc: aiosmtplib.SMTPException, secrets: list[str]) -> NotifyError:
    """Turn an aiosmtplib failure into a retryable or permanent :class:`NotifyError`."""
    import aiosmtplib  # noqa: PLC0415  (the transport, imported at the first send)

    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = sorted({refusal.code for refusal in exc.recipients})
        retryable = any(400 <= code < 500 for code in codes)
        return NotifyError(f"smtp server refused every recipient ({codes})", retryable=retryable)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        reply = single_line(Redactor(secrets, min_length=1)(exc.message), 120)
        message = f"smtp server replied {exc.code} ({type(exc).__name__}): {reply}"
        return NotifyError(message, retryable=400 <= exc.code < 500)
    transient = (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError,
                 aiosmtplib.SMTPTimeoutError)  # fmt: skip
    retryable = isinstance(exc, transient)
    return NotifyError(f"smtp send failed ({type(exc).__name__})", retryable=retryable)


class EmailNotifier(NotifierPlugin):
    """Sends one email per alert, or per group/digest, to the configured recipients."""

    type_name: ClassVar[str] = "email"
    Config: ClassVar[type[NotifierConfig]] = EmailConfig

    def __init__(self, name: str, config: EmailConfig, *, http: httpx.AsyncClient) -> None:
        super().__init__(name, config, http=http)
        self.config = config
        self._messages = EmailMessages(config)

    async def send(self, alert: Alert) -> Sent | None:
        """Send ``alert`` (a reply to its story's first message when known)."""
        return await self._send(self._messages.build([alert], "alert", alert.alert_id))

    async def send_batch(self, batch: Batch) -> Sent | None:
        """Send a group or digest as one message."""
        return await self._send(self._messages.build(batch.alerts, batch.kind, batch.batch_id))

    async def _send(self, message: EmailMessage) -> Sent:
        """Hand ``message`` to the relay; raise a classified :class:`NotifyError` on failure."""
        config = self.config
        password = config.password.get_secret_value() if config.password else None
        import aiosmtplib  # noqa: PLC0415  (the transport: a config is checked without it)

        try:
            await aiosmtplib.send(
                message,
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
        return Sent(thread=str(message["Message-ID"]))
