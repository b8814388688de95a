"""The notifier plugin interface.

A notifier only builds its payload, sends it, and says whether a failure is
retryable. Retries, rate limits, dedup of sends and secret redaction live in
``monitor.alerting.dispatch`` (the same split as Prometheus Alertmanager's ``notify``).

    NotifyError            any failed send
    └── retryable: bool    True for 429/5xx/timeouts, False for 4xx/bad config

A send may return :class:`Sent` with a thread reference (a Slack message ``ts``,
an email ``Message-ID``): later updates of the same story and rule are handed that
reference in ``Alert.thread`` so they can reply in the thread. Notifiers that can
put several alerts in one message implement ``send_batch`` (groups and digests);
the base class falls back to one send per alert.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, SecretStr

if TYPE_CHECKING:
    import httpx

SEVERITIES = ("low", "medium", "high", "critical")


# What surged: a story gaining outlets, a rule matching, or a name mentioned.
SurgeKindName = Literal["story", "rule", "name"]


@dataclass(frozen=True, slots=True)
class SurgeStory:
    """One of the stories a surge names as its evidence, with its outlets in the window."""

    story_id: str
    title: str
    outlets: int


@dataclass(frozen=True, slots=True)
class SurgeEvidence:
    """Why a surge alert was raised: a story, rule or name reported far more than usual.

    ``count`` reports (syndicated copies counted once) from ``outlets`` independent
    outlets between ``window_start`` and ``window_end``, against ``expected`` from the
    learned baseline; ``score`` is -log10 of the baseline's chance of that many. Titles
    and outlets are feed text, i.e. hostile: every notifier escapes them."""

    kind: SurgeKindName
    key: str
    label: str
    count: int
    expected: float
    outlets: int
    score: float
    window_start: datetime
    window_end: datetime
    top_stories: tuple[SurgeStory, ...] = ()
    top_outlets: tuple[str, ...] = ()

    @property
    def what(self) -> str:
        """'name "Kyiv"', 'rule "iran-in-syria"', 'story "Quake hits …"'."""
        return f'{self.kind} "{self.label}"'

    @property
    def minutes(self) -> int:
        return round((self.window_end - self.window_start).total_seconds() / 60)

    @property
    def counts(self) -> str:
        """'14 reports from 9 outlets in 60 min (1.2 expected)'."""
        reports = "report" if self.count == 1 else "reports"
        outlets = "outlet" if self.outlets == 1 else "outlets"
        return (
            f"{self.count} {reports} from {self.outlets} {outlets} in {self.minutes} min"
            f" ({self.expected:.1f} expected)"
        )

    @property
    def window(self) -> str:
        """'2026-03-01 06:00–07:00 UTC'."""
        start, end = self.window_start.astimezone(UTC), self.window_end.astimezone(UTC)
        end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
        return f"{start:%Y-%m-%d %H:%M}–{end_text} UTC"


@dataclass(frozen=True, slots=True)
class Alert:
    """One rule firing on one story, as handed to every notifier.

    ``alert_id`` is stable across retries and restarts: receivers can use it as
    an idempotency key. All text fields are plain text taken from feeds, i.e.
    hostile: every notifier escapes them for its own channel.
    """

    alert_id: str
    story_id: str
    rule: str
    severity: str
    title: str
    link: str
    summary: str
    feed: str
    published: datetime | None
    first_seen: datetime
    matched_terms: tuple[str, ...]
    outlets: int = 1
    event: str = "new"  # "new", or "update" for a later alert about the same story and rule
    rule_description: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    change: str = ""  # for an update: what changed, as a key ("outlets>=3", "severity:high")
    reason: str = ""  # for an update: what changed, in words
    thread: str | None = None  # the first message's reference on this channel, if known
    # The article's words around the matched terms (plain feed text, one line), and
    # the (start, end) offsets of the terms in it, for each channel to mark its way.
    excerpt: str = ""
    excerpt_marks: tuple[tuple[int, int], ...] = ()
    language: str = ""  # the article's language code ("ar"), "" when it could not be told
    # A surge alert's evidence (rule "surge:<kind>:<key>"); title and link are then its
    # top story's. None for a rule's alert.
    surge: SurgeEvidence | None = None
    # A signed link to the daemon's page where a reader judges this alert (useful, false
    # positive, duplicate) without a token; "" when the daemon has no public URL for it.
    feedback_url: str = ""

    @property
    def feed_label(self) -> str:
        """The feed's name, with the article's language code when known: "Wire · ar"."""
        return f"{self.feed} · {self.language}" if self.language else self.feed

    @property
    def is_update(self) -> bool:
        return self.event != "new"


@dataclass(frozen=True, slots=True)
class Batch:
    """Several alerts sent as one message: a route's group window or its digest.

    ``batch_id`` is stable across retries and restarts (the idempotency key of the
    message); ``alerts`` are oldest first.
    """

    batch_id: str
    kind: Literal["group", "digest"]
    alerts: tuple[Alert, ...]


@dataclass(frozen=True, slots=True)
class Sent:
    """What a successful send reports back: the message's thread reference, if any."""

    thread: str | None = None


class NotifyError(Exception):
    """A send failed; ``retryable`` tells the dispatcher whether to try again."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class NotifierConfig(BaseModel):
    """Base of every notifier's config model; each plugin subclasses it beside itself."""

    # hide_input_in_errors: a rejected webhook URL must not be echoed by ValidationError.
    # defer_build: a plugin's validator is built when a config first names its type.
    model_config = ConfigDict(
        extra="forbid", frozen=True, hide_input_in_errors=True, defer_build=True
    )

    type: str
    enabled: bool = True

    def secret_values(self) -> list[str]:
        """Every secret in this config, so the dispatcher can redact it from errors."""
        found: list[str] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                found.append(value.get_secret_value())
        return found


@runtime_checkable
class Notifier(Protocol):
    """What the dispatcher drives: one configured channel instance."""

    name: str

    async def send(self, alert: Alert) -> Sent | None:
        """Deliver one alert or raise :class:`NotifyError`."""

    async def aclose(self) -> None:
        """Release anything the notifier holds open."""


@runtime_checkable
class BatchNotifier(Notifier, Protocol):
    """A notifier that can put several alerts in one message."""

    async def send_batch(self, batch: Batch) -> Sent | None:
        """Deliver every alert of ``batch`` in one message or raise :class:`NotifyError`."""


class NotifierPlugin(ABC):
    """Base of every notifier class, built-in (``notifiers.REGISTRY``) or from an entry point.

    Deliberately tiny: a plugin declares its ``type_name`` and ``Config`` model and
    implements :meth:`send`. Subclasses narrow ``config`` to their own ``Config``;
    :func:`notifiers.build_notifier` checks the match before calling the constructor.
    ``http`` is the daemon's shared client: its requests carry the daemon's User-Agent
    (``wirewatch/VERSION (+contact_url)`` or ``[daemon] user_agent``); a plugin that
    uses another HTTP library should send ``http.headers["User-Agent"]`` too.
    """

    type_name: ClassVar[str]
    Config: ClassVar[type[NotifierConfig]]
    name: str

    def __init__(self, name: str, config: NotifierConfig, *, http: httpx.AsyncClient) -> None:
        self.name = name

    @abstractmethod
    async def send(self, alert: Alert) -> Sent | None:
        """Deliver one alert or raise :class:`NotifyError`."""

    async def send_batch(self, batch: Batch) -> Sent | None:
        """One message for several alerts; by default one send per alert, in order.

        The fallback is at-least-once per alert: a failure part-way resends the
        earlier alerts of the batch on retry (each still under its own ``alert_id``).
        """
        sent: Sent | None = None
        for alert in batch.alerts:
            sent = await self.send(alert) or sent
        return sent

    async def aclose(self) -> None:  # noqa: B027 - optional hook: most notifiers hold nothing
        """Release anything the notifier holds open; the shared HTTP client is not ours."""
