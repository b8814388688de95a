"""A real aiosmtpd server on 127.0.0.1 that records envelopes and can refuse on cue.

    with SmtpServer() as server:
        ... send to server.host / server.port with security = "none" ...
        (envelope,) = server.handler.wait_for(1)
        server.handler.refuse(451, "4.3.0 try later")          # next DATA is refused
        server.handler.refuse(550, "5.1.1 no such user", stage="rcpt")

TLS: ``TlsMaterial.create(directory)`` makes a throwaway CA with ``trustme``
(server context + CA bundle file for the client); pass it as ``tls`` with
``mode="starttls"`` (STARTTLS required) or ``mode="tls"`` (implicit TLS).
``users`` enables AUTH (over TLS only, as aiosmtpd insists by default).
Also available as the ``smtp_server`` fixture (plain, no TLS).
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

__all__ = ["Delivery", "RecordingHandler", "SmtpServer", "TlsMaterial", "body_text", "smtp_server"]

WAIT_SECONDS = 10.0
Stage = Literal["rcpt", "data"]
Mode = Literal["none", "starttls", "tls"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One accepted message: the SMTP envelope plus the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    authenticated_as: str | None

    @property
    def message(self) -> EmailMessage:
        """The message parsed with the modern (strict) email policy."""
        return message_from_bytes(self.raw, policy=policy.default)


def body_text(message: EmailMessage, kind: Literal["plain", "html"]) -> str:
    """The text of ``message``'s ``text/<kind>`` body, which it must have."""
    body = message.get_body((kind,))
    assert body is not None, f"no text/{kind} body in the message"
    content = body.get_content()
    assert isinstance(content, str), type(content)
    return content


class RecordingHandler:
    """aiosmtpd handler: records deliveries; ``refuse`` makes it answer an error code."""

    def __init__(self) -> None:
        self._deliveries: list[Delivery] = []
        self._refusals: dict[Stage, str] = {}
        self._changed = threading.Condition()

    def refuse(self, code: int, text: str, *, stage: Stage = "data") -> None:
        """Answer every later RCPT (``stage="rcpt"``) or DATA with ``code text``."""
        with self._changed:
            self._refusals[stage] = f"{code} {text}"

    def _refusal(self, stage: Stage) -> str | None:
        with self._changed:
            return self._refusals.get(stage)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if refusal := self._refusal("rcpt"):
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if refusal := self._refusal("data"):
            return refusal
        login = session.auth_data if session.authenticated else None
        raw = envelope.original_content or b""
        delivery = Delivery(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw if isinstance(raw, bytes) else raw.encode(),
            authenticated_as=login.login.decode() if isinstance(login, LoginPassword) else None,
        )
        with self._changed:
            self._deliveries.append(delivery)
            self._changed.notify_all()
        return "250 Message accepted"

    @property
    def deliveries(self) -> list[Delivery]:
        """A snapshot of the accepted messages."""
        with self._changed:
            return list(self._deliveries)

    def wait_for(self, count: int, timeout: float = WAIT_SECONDS) -> list[Delivery]:
        """Block until ``count`` messages were accepted; AssertionError after ``timeout``."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._deliveries) >= count, timeout):
                got = len(self._deliveries)
                raise AssertionError(f"expected {count} message(s) within {timeout}s, got {got}")
            return list(self._deliveries)


@dataclass(frozen=True, slots=True)
class TlsMaterial:
    """A server TLS context and the CA bundle (PEM file) a client must trust for it."""

    server_context: ssl.SSLContext
    ca_file: Path

    @classmethod
    def create(cls, directory: Path) -> TlsMaterial:
        """Issue a certificate for 127.0.0.1/localhost from a throwaway trustme CA."""
        trustme = pytest.importorskip("trustme")
        authority = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        ca_file = directory / "wirewatch-test-ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        return cls(server_context=context, ca_file=ca_file)


class _EphemeralPortController(Controller):
    """Controller bound to port 0: learns the real port before its self-test connect."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


def _authenticator(users: Mapping[str, str]) -> Any:
    def check(
        server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            users.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        # handled=False: let aiosmtpd send the 235/535 reply itself.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


def _tls_options(mode: Mode, tls: TlsMaterial | None) -> dict[str, Any]:
    if mode == "none":
        return {}
    if tls is None:
        raise ValueError(f"mode {mode!r} needs TlsMaterial")
    if mode == "starttls":
        return {"tls_context": tls.server_context, "require_starttls": True}
    return {"ssl_context": tls.server_context}


def _auth_options(mode: Mode, users: Mapping[str, str]) -> dict[str, Any]:
    # aiosmtpd only counts STARTTLS as TLS for AUTH, so under implicit TLS it must be
    # told not to insist (and then not to require AUTH, which it would warn about).
    if mode == "tls":
        return {"authenticator": _authenticator(users), "auth_require_tls": False}
    return {"authenticator": _authenticator(users), "auth_required": True}


class SmtpServer:
    """aiosmtpd on an ephemeral loopback port; ``mode`` picks plain, STARTTLS or TLS."""

    def __init__(
        self,
        *,
        mode: Mode = "none",
        tls: TlsMaterial | None = None,
        users: Mapping[str, str] | None = None,
    ) -> None:
        self.handler = RecordingHandler()
        options: dict[str, Any] = {"server_hostname": "smtp.wirewatch.test"}
        options |= _tls_options(mode, tls)
        if users is not None:
            options |= _auth_options(mode, users)
        self._controller = _EphemeralPortController(
            self.handler, hostname="127.0.0.1", port=0, **options
        )

    host = "127.0.0.1"

    @property
    def port(self) -> int:
        """The port the server listens on (valid once started)."""
        return int(self._controller.port)

    def __enter__(self) -> Self:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A started plain (no TLS, no AUTH) :class:`SmtpServer`, stopped after the test."""
    with SmtpServer() as server:
        yield server
