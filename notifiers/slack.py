"""Slack incoming-webhook notifier (Block Kit message with a plain ``text`` fallback).

Slack parses ``<...>`` in mrkdwn as mentions (``<!channel>``, ``<@U123>``) and
links (``<http://x|label>``). Per Slack's formatting rules only ``&``, ``<`` and
``>`` need escaping, so every feed string goes through :func:`escape` and the
story link is restricted to http(s) with ``|`` and ``>`` percent-encoded.

The webhook URL embeds a token: it is a ``SecretStr`` and never quoted in
errors. It must be https; plain http is accepted only for loopback hosts
(127.0.0.0/8, ::1, localhost), which is what the tests use.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, SecretStr, field_validator

from notifiers import _http
from notifiers._text import safe_link, single_line
from notifiers._urls import check_endpoint
from notifiers.base import Alert, NotifierConfig, NotifierPlugin

_TITLE_CHARS = 250
_FIELD_CHARS = 500
_SUMMARY_CHARS = 600
# Slack rejects a section whose text exceeds 3000 characters; escaping can grow a link.
_LINK_CHARS = 2500


class SlackConfig(NotifierConfig):
    """``[notifiers.<name>]`` with ``type = "slack"``."""

    type: Literal["slack"] = "slack"
    webhook_url: SecretStr
    channel: str | None = Field(None, pattern=r"^[#@]?[A-Za-z0-9._-]{1,80}$")
    username: str | None = Field(None, min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]+$")
    icon_emoji: str | None = Field(None, pattern=r"^:[a-z0-9_+'-]{1,64}:$")
    timeout: float = Field(10.0, gt=0, le=120)

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: SecretStr) -> SecretStr:
        return check_endpoint(value, https_only=True)


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control characters in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(value: str, limit: int = _FIELD_CHARS) -> str:
    return escape(single_line(value, limit))


def _link_target(link: str) -> str | None:
    """The story link made safe inside ``<url|label>``, or None when it is not http(s)."""
    url = safe_link(link)
    if url is None:
        return None
    target = url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E").replace("&", "&amp;")
    return target if len(target) <= _LINK_CHARS else None


def _headline(alert: Alert) -> str:
    title = _text(alert.title, _TITLE_CHARS) or "(untitled)"
    target = _link_target(alert.link)
    return f"*<{target}|{title}>*" if target else f"*{title}*"


def _fields(alert: Alert) -> list[dict[str, str]]:
    values = {
        "Severity": _text(alert.severity).upper(),
        "Rule": _text(alert.rule),
        "Matched terms": _text(", ".join(alert.matched_terms)) or "—",
        "Outlets": str(alert.outlets),
        "First seen": alert.first_seen.isoformat(timespec="seconds"),
        "Feed": _text(alert.feed),
    }
    return [{"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in values.items()]


def fallback_text(alert: Alert) -> str:
    """Plain ``text`` shown in notifications and by clients that cannot render blocks."""
    update = "" if alert.event == "new" else f" ({_text(alert.event)})"
    title = _text(alert.title, _TITLE_CHARS)
    return f"[{_text(alert.severity).upper()}] {_text(alert.rule)}: {title}{update}"


def build_payload(alert: Alert, config: SlackConfig) -> dict[str, Any]:
    """The JSON body posted to the webhook."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _headline(alert)}},
        {"type": "section", "fields": _fields(alert)},
    ]
    summary = _text(alert.summary, _SUMMARY_CHARS)
    if summary:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": summary}]})
    payload: dict[str, Any] = {"text": fallback_text(alert), "blocks": blocks}
    extras = {"channel": config.channel, "username": config.username}
    extras["icon_emoji"] = config.icon_emoji
    payload.update({key: value for key, value in extras.items() if value is not None})
    return payload


class SlackNotifier(NotifierPlugin):
    """Posts one Block Kit message per alert to a Slack incoming webhook."""

    type_name: ClassVar[str] = "slack"
    Config: ClassVar[type[NotifierConfig]] = SlackConfig

    def __init__(self, name: str, config: SlackConfig, *, http: httpx.AsyncClient) -> None:
        super().__init__(name, config, http=http)
        self.config = config
        self._http = http

    async def send(self, alert: Alert) -> None:
        """Post ``alert``; raise a classified :class:`NotifyError` on failure."""
        body = json.dumps(build_payload(alert, self.config)).encode("ascii")
        await _http.post(
            self._http,
            self.config.webhook_url.get_secret_value(),
            service="slack webhook",
            content=body,
            headers={"Content-Type": "application/json"},
            request_timeout=self.config.timeout,
            secrets=self.config.secret_values(),
        )
