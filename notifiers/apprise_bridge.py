"""Apprise bridge: ~150 services (Teams, Discord, Telegram, Matrix, ntfy, Pushover, …)
through Apprise URLs, without a notifier of our own for each.

    [notifiers.phone]
    type = "apprise"
    urls = ["ntfy://ntfy.example.org/wirewatch", "tgram://BOT_TOKEN/CHAT_ID"]

Apprise is an optional extra (``pip install 'wirewatch[apprise]'``); a config that
uses this type without it installed is a config error, not a crash. Title and body
come from the ``apprise_title`` / ``apprise_body`` templates as plain text
(``body_format = text``): Apprise converts text for services that want HTML or
Markdown. URLs usually hold tokens, so they are secrets: never logged or echoed.

Apprise reports only success or failure per service, not why, so every failure is
retryable; with several URLs in one notifier, a retry after a partial failure
repeats the message on the services that had it — configure one URL per notifier
where duplicates matter.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, SecretStr, field_validator

from notifiers.base import (
    SEVERITIES,
    Alert,
    Batch,
    NotifierConfig,
    NotifierPlugin,
    NotifyError,
    Sent,
)
from notifiers.templates import Escaping, Templates, check_overrides

if TYPE_CHECKING:
    import httpx

PARTS = {"title": Escaping.TEXT, "body": Escaping.TEXT}
_NOTIFY_TYPES = {"low": "info", "medium": "info", "high": "warning", "critical": "failure"}
_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


def apprise_installed() -> bool:
    return importlib.util.find_spec("apprise") is not None


@contextmanager
def _apprise() -> Iterator[ModuleType]:
    """Apprise (an optional extra), imported on first use. It loads its service modules
    lazily, and one still imports the stdlib ``imghdr``: that DeprecationWarning is
    Apprise's to fix, not a reason to fail a send."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*imghdr", category=DeprecationWarning)
        yield importlib.import_module("apprise")


def _check_url(url: SecretStr) -> SecretStr:
    raw = url.get_secret_value()
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in raw):
        raise ValueError("Apprise URL must not contain whitespace or control characters")
    with _apprise() as apprise:
        service = apprise.Apprise.instantiate(raw)
    if service is None:
        raise ValueError("not a URL any installed Apprise service accepts")
    return url


class AppriseConfig(NotifierConfig):
    """``[notifiers.<name>]`` with ``type = "apprise"``."""

    type: Literal["apprise"] = "apprise"
    urls: list[SecretStr] = Field(min_length=1, max_length=50)
    timeout: float = Field(30.0, gt=0, le=300)
    templates: dict[str, str] = Field(default_factory=dict)

    @field_validator("urls")
    @classmethod
    def _apprise_urls(cls, value: list[SecretStr]) -> list[SecretStr]:
        if not apprise_installed():
            raise ValueError("needs Apprise: pip install 'wirewatch[apprise]'")
        return [_check_url(url) for url in value]

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: dict[str, str]) -> dict[str, str]:
        check_overrides(PARTS, value)
        return value

    def secret_values(self) -> list[str]:
        return super().secret_values() + [url.get_secret_value() for url in self.urls]


class AppriseNotifier(NotifierPlugin):
    """Sends one notification per alert (or per group/digest) to every configured URL."""

    type_name: ClassVar[str] = "apprise"
    Config: ClassVar[type[NotifierConfig]] = AppriseConfig

    def __init__(self, name: str, config: AppriseConfig, *, http: httpx.AsyncClient) -> None:
        super().__init__(name, config, http=http)
        self.config = config
        self._templates = Templates("apprise", PARTS, config.templates)
        self._user_agent: str | None = http.headers.get("User-Agent")

    def _client(self) -> Any:
        with _apprise() as apprise:
            # Apprise sends its app_id as the User-Agent: the shared client's, so its
            # requests name the daemon as every other notifier's do.
            asset = apprise.AppriseAsset(app_id=self._user_agent or apprise.AppriseAsset.app_id)
            client = apprise.Apprise(asset=asset)
            for url in self.config.urls:
                client.add(url.get_secret_value())
        return client

    async def send(self, alert: Alert) -> Sent | None:
        """Notify every URL of ``alert``; raise a retryable :class:`NotifyError` on failure."""
        return await self._notify([alert], "alert")

    async def send_batch(self, batch: Batch) -> Sent | None:
        """Notify a group or digest as one message."""
        return await self._notify(batch.alerts, batch.kind)

    async def _notify(self, alerts: Sequence[Alert], kind: str) -> Sent | None:
        severity = max((a.severity for a in alerts), key=lambda s: _RANK.get(s, 0))
        notify = self._client().async_notify(
            body=self._templates.render("body", alerts, kind).strip() or "-",
            title=self._templates.render("title", alerts, kind).strip(),
            notify_type=_NOTIFY_TYPES.get(severity, "info"),
            body_format="text",
        )
        try:
            result = await asyncio.wait_for(notify, self.config.timeout)
        except TimeoutError:
            raise NotifyError("apprise timed out", retryable=True) from None
        if not result:
            count = len(self.config.urls)
            raise NotifyError(f"apprise could not notify (of {count} url(s))", retryable=True)
        return None
