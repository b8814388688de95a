"""Slack notifier: an incoming webhook, or a bot token and ``chat.postMessage``.

Block Kit layout: the linked headline (template ``headline``), a fields section
(severity, rule, matched terms, outlets, first seen, feed) and the excerpt around
the matched terms (in bold), or the summary when there is no excerpt; a surge alert
shows its evidence instead (count against expected, outlets, window, top outlets as
fields, its top stories in the context block); the
notification text is template ``text``. With a bot token, updates of a story are
posted as replies in the thread of its first message (``thread_ts``); an incoming
webhook cannot thread, so there an update is a new message marked as one.

Slack parses ``<...>`` in mrkdwn as mentions (``<!channel>``, ``<@U123>``) and
links (``<http://x|label>``). Per Slack's formatting rules only ``&``, ``<`` and
``>`` need escaping, so every feed string is escaped (the templates do it for
every interpolated value) and the story link is restricted to http(s) with ``|``
and ``>`` percent-encoded.

The webhook URL and the token are ``SecretStr`` and never quoted in errors. URLs
must be https; plain http is accepted only for loopback hosts (the tests).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from notifiers import _http
from notifiers._text import single_line
from notifiers._urls import check_endpoint
from notifiers.base import (
    Alert,
    Batch,
    NotifierConfig,
    NotifierPlugin,
    NotifyError,
    Sent,
    SurgeEvidence,
)
from notifiers.templates import (
    Escaping,
    Templates,
    check_overrides,
    render_excerpt,
    slack_escape,
)

if TYPE_CHECKING:
    import httpx

PARTS = {"text": Escaping.SLACK, "headline": Escaping.SLACK}
_FIELD_CHARS = 500
_SUMMARY_CHARS = 600
# Slack refuses a context element over 3000 characters: escaping can make one
# character five ("&amp;") and marks add two, so 480 excerpt characters stay under it.
_EXCERPT_CHARS = 480
_BATCH_ITEMS = 23  # 1 + 2 blocks per alert + 1 "more" stays under Slack's 50 blocks
_TS = re.compile(r"\d{1,12}\.\d{1,9}")
# chat.postMessage answers 200 with {"ok": false, "error": ...}; these are worth a retry.
_RETRYABLE_API_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class SlackConfig(NotifierConfig):
    """``[notifiers.<name>]`` with ``type = "slack"``: ``webhook_url``, or ``token`` + ``channel``.

    ``api_url`` is the Web API base for bot tokens (tests point it at a loopback server).
    """

    type: Literal["slack"] = "slack"
    webhook_url: SecretStr | None = None
    token: SecretStr | None = None
    api_url: str = "https://slack.com/api"
    channel: str | None = Field(None, pattern=r"^[#@]?[A-Za-z0-9._-]{1,80}$")
    username: str | None = Field(None, min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]+$")
    icon_emoji: str | None = Field(None, pattern=r"^:[a-z0-9_+'-]{1,64}:$")
    timeout: float = Field(10.0, gt=0, le=120)
    templates: dict[str, str] = Field(default_factory=dict)

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None else check_endpoint(value, https_only=True)

    @field_validator("api_url")
    @classmethod
    def _https_api(cls, value: str) -> str:
        return check_endpoint(SecretStr(value), https_only=True).get_secret_value()

    @field_validator("token")
    @classmethod
    def _printable_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[\x21-\x7e]{8,256}", value.get_secret_value()):
            raise ValueError("token must be 8-256 printable ASCII characters")
        return value

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: dict[str, str]) -> dict[str, str]:
        check_overrides(PARTS, value)
        return value

    @model_validator(mode="after")
    def _one_mode(self) -> SlackConfig:
        if (self.webhook_url is None) == (self.token is None):
            raise ValueError("set either webhook_url or token (a bot token with channel)")
        if self.token is not None and self.channel is None:
            raise ValueError("a bot token needs channel (a channel ID or #name)")
        return self

    @property
    def endpoint(self) -> str:
        if self.webhook_url is not None:
            return self.webhook_url.get_secret_value()
        return self.api_url.rstrip("/") + "/chat.postMessage"


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control characters in message text."""
    return slack_escape(text)


def _text(value: str, limit: int = _FIELD_CHARS) -> str:
    return escape(single_line(value, limit))


def _fields(alert: Alert) -> list[dict[str, str]]:
    values = _surge_fields(alert, alert.surge) if alert.surge else _rule_fields(alert)
    return [{"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in values.items()]


def _rule_fields(alert: Alert) -> dict[str, str]:
    return {
        "Severity": _text(alert.severity).upper(),
        "Rule": _text(alert.rule),
        "Matched terms": _text(", ".join(alert.matched_terms)) or "—",
        "Outlets": str(alert.outlets),
        "First seen": alert.first_seen.isoformat(timespec="seconds"),
        "Feed": _text(alert.feed_label),
    }


def _surge_fields(alert: Alert, surge: SurgeEvidence) -> dict[str, str]:
    return {
        "Severity": _text(alert.severity).upper(),
        "Rule": _text(alert.rule),
        "Count": f"{surge.count} (expected {surge.expected:.1f})",
        "Outlets": str(surge.outlets),
        "Window": surge.window,
        "Top outlets": _text(", ".join(surge.top_outlets)) or "—",
    }


def _surge_stories(alert: Alert) -> str:
    """The surge's top stories, one a line, for the context block."""
    stories = alert.surge.top_stories if alert.surge else ()
    return "\n".join(f"• {_text(story.title, 200)} ({story.outlets} outlets)" for story in stories)


def _facts_line(alert: Alert) -> str:
    if alert.surge:
        return f"{_text(alert.severity).upper()} · {_text(alert.rule)} · {alert.surge.window}"
    terms = _text(", ".join(alert.matched_terms), 200) or "—"
    first_seen = alert.first_seen.isoformat(timespec="seconds")
    return (
        f"{_text(alert.severity).upper()} · {_text(alert.rule)} · {alert.outlets} outlets"
        f" · {terms} · first seen {first_seen}"
    )


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


class SlackMessages:
    """Builds the JSON bodies from a config's templates."""

    def __init__(self, config: SlackConfig) -> None:
        self.config = config
        self.templates = Templates("slack", PARTS, config.templates)

    def _headline(self, alert: Alert) -> str:
        return self.templates.render("headline", [alert]).strip()

    @staticmethod
    def _quoted(alert: Alert) -> str:
        """The excerpt around the matched terms, terms in bold; else the summary (a
        surge: its top stories)."""
        if alert.surge:
            return _surge_stories(alert)
        excerpt = render_excerpt(alert, Escaping.SLACK, _EXCERPT_CHARS)
        return excerpt or _text(alert.summary, _SUMMARY_CHARS)

    def single(self, alert: Alert) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": _mrkdwn(self._headline(alert))},
            {"type": "section", "fields": _fields(alert)},
        ]
        quoted = self._quoted(alert)
        if quoted:
            blocks.append({"type": "context", "elements": [_mrkdwn(quoted)]})
        return self._finish(self.templates.render("text", [alert]), blocks)

    def batch(self, batch: Batch) -> dict[str, Any]:
        title = self.templates.render("text", batch.alerts, batch.kind).strip()
        blocks: list[dict[str, Any]] = [{"type": "section", "text": _mrkdwn(f"*{title}*")}]
        for alert in batch.alerts[:_BATCH_ITEMS]:
            blocks.append({"type": "section", "text": _mrkdwn(self._headline(alert))})
            blocks.append({"type": "context", "elements": [_mrkdwn(_facts_line(alert))]})
        hidden = len(batch.alerts) - _BATCH_ITEMS
        if hidden > 0:
            blocks.append({"type": "context", "elements": [_mrkdwn(f"…and {hidden} more")]})
        return self._finish(title, blocks)

    def _finish(self, text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
        payload: dict[str, Any] = {"text": single_line(text, 3000), "blocks": blocks}
        extras = {"channel": self.config.channel, "username": self.config.username}
        extras["icon_emoji"] = self.config.icon_emoji
        payload.update({key: value for key, value in extras.items() if value is not None})
        if self.config.token is not None:
            payload["unfurl_links"] = False
        return payload


def fallback_text(alert: Alert) -> str:
    """Plain ``text`` shown in notifications and by clients that cannot render blocks."""
    return single_line(Templates("slack", PARTS, {}).render("text", [alert]), 3000)


def build_payload(alert: Alert, config: SlackConfig) -> dict[str, Any]:
    """The JSON body posted for one alert."""
    return SlackMessages(config).single(alert)


def _api_result(response: httpx.Response) -> Sent:
    """The ``ts`` of a posted message, or a classified error for ``ok: false``."""
    try:
        answer = response.json()
    except ValueError:
        raise NotifyError("slack api answered with invalid JSON", retryable=True) from None
    if not isinstance(answer, dict) or answer.get("ok") is not True:
        error = answer.get("error") if isinstance(answer, dict) else None
        code = single_line(str(error or "unknown_error"), 60)
        raise NotifyError(f"slack api error: {code}", retryable=code in _RETRYABLE_API_ERRORS)
    ts = answer.get("ts")
    return Sent(thread=ts if isinstance(ts, str) and _TS.fullmatch(ts) else None)


class SlackNotifier(NotifierPlugin):
    """Posts one Block Kit message per alert (or per group/digest) to Slack."""

    type_name: ClassVar[str] = "slack"
    Config: ClassVar[type[NotifierConfig]] = SlackConfig

    def __init__(self, name: str, config: SlackConfig, *, http: httpx.AsyncClient) -> None:
        super().__init__(name, config, http=http)
        self.config = config
        self._http = http
        self._messages = SlackMessages(config)

    async def send(self, alert: Alert) -> Sent | None:
        """Post ``alert`` (in its story's thread when known); raise :class:`NotifyError`."""
        payload = self._messages.single(alert)
        if self.config.token is not None and alert.thread and _TS.fullmatch(alert.thread):
            payload["thread_ts"] = alert.thread
        return await self._post(payload)

    async def send_batch(self, batch: Batch) -> Sent | None:
        """Post a group or digest as one message."""
        return await self._post(self._messages.batch(batch))

    async def _post(self, payload: dict[str, Any]) -> Sent | None:
        headers = {"Content-Type": "application/json"}
        if self.config.token is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
            headers["Authorization"] = f"Bearer {self.config.token.get_secret_value()}"
        response = await _http.post(
            self._http,
            self.config.endpoint,
            service="slack api" if self.config.token else "slack webhook",
            content=json.dumps(payload).encode("ascii"),
            headers=headers,
            request_timeout=self.config.timeout,
            secrets=self.config.secret_values(),
        )
        return _api_result(response) if self.config.token is not None else None
