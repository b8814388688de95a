"""Message text from Jinja2 templates: sandboxed, and escaped for each channel.

Every notifier that writes prose renders it from named template *parts* (email:
``subject``, ``text``, ``html``; Slack: ``text``, ``headline``; ...). The defaults
ship in ``notifiers/templates/<channel>_<part>.j2``; a notifier's ``templates``
table in the config replaces any part with inline Jinja2 source.

Templates run in Jinja's immutable sandbox (no attribute access to internals, no
mutation, bounded ``range``, and here bounded ``*``/``**`` too), because config
files are not trusted more than feeds. Every ``{{ value }}`` is escaped for the
channel it lands in:

    text   one line: control characters, escape sequences and line breaks removed
    slack  the same, then ``&``, ``<``, ``>`` escaped (so ``<!channel>`` is inert)
    html   the same cleaning, then HTML autoescaping

Filters: ``oneline(limit)``, ``paragraph(limit)`` (keeps line breaks, escaped for
the channel), ``safe_url`` (http(s) or ""), ``iso`` (datetime), ``excerpt(limit)`` (of an
alert: its excerpt with the matched terms in [brackets], Slack ``*bold*`` or HTML
``<strong>``), and for Slack ``slack_link(label)``. A value marked ``|safe`` is the
template author's choice.

Context: ``alert`` (the first alert), ``alerts`` (all, oldest first), ``kind``
(``"alert"``, ``"group"`` or ``"digest"``) and ``count``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup
from markupsafe import escape as html_escape

from notifiers._text import excerpt_pieces, multi_line, safe_link, single_line
from notifiers.base import Alert, NotifyError, SurgeEvidence, SurgeStory

MAX_VALUE_CHARS = 10_000  # one interpolated value, after cleaning
MAX_REPEAT = 10_000  # "x" * n and [..] * n in templates
MAX_EXPONENT = 64


class Escaping(StrEnum):
    """How interpolated values are escaped in one template part."""

    TEXT = "text"
    SLACK = "slack"
    HTML = "html"


def slack_escape(text: str) -> str:
    """Escape the three characters Slack treats as control characters in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with repetition and powers bounded (no memory bombs)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError("exponent too large")
        if op == "*" and _repeats(left, right) > MAX_REPEAT:
            raise SecurityError("repetition too large")
        return super().call_binop(context, op, left, right)


def _repeats(left: Any, right: Any) -> int:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(count, int):
            return count
    return 0


def _clean(value: Any) -> str:
    return single_line(str(value), MAX_VALUE_CHARS)


def _escaped(text: str) -> Markup:
    """Mark text this module escaped for its channel, so finalize passes it through."""
    return Markup(text)  # noqa: S704 - every caller escapes for the channel first


def _finalize_text(value: Any) -> Any:
    if value is None:
        return ""
    return value if isinstance(value, Markup) else _clean(value)


def _finalize_slack(value: Any) -> Any:
    if value is None:
        return ""
    return value if isinstance(value, Markup) else _escaped(slack_escape(_clean(value)))


def _iso(moment: Any) -> str:
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).isoformat(timespec="seconds")
    return ""


def _oneline(value: Any, limit: int = 500) -> str:
    return single_line(str(value or ""), min(int(limit), MAX_VALUE_CHARS))


def _slack_link(url: Any, label: Any) -> Markup:
    """``<url|label>`` when ``url`` is http(s), else the escaped label alone."""
    text = slack_escape(_oneline(label, 250))
    target = safe_link(str(url or ""))
    if target is None:
        return _escaped(text)
    target = target.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    target = target.replace("&", "&amp;")
    # Slack rejects a section over 3000 characters; escaping can grow a link a lot.
    return _escaped(f"<{target}|{text}>" if len(target) <= 2500 else text)


def _html_lines(text: str) -> str:
    return str(html_escape(text)).replace("\n", "<br>\n")


_PARAGRAPH_ESCAPES: dict[Escaping, Callable[[str], str]] = {
    Escaping.TEXT: str,
    Escaping.SLACK: slack_escape,
    Escaping.HTML: _html_lines,
}


def _paragraph(escaping: Escaping) -> Callable[[Any, int], Markup]:
    escape = _PARAGRAPH_ESCAPES[escaping]

    def paragraph(value: Any, limit: int = 4000) -> Markup:
        return _escaped(escape(multi_line(str(value or ""), min(int(limit), MAX_VALUE_CHARS))))

    return paragraph


MAX_EXCERPT_CHARS = 1000  # an excerpt is ~300 characters; this bounds a plugin's longer one
_MARKS: dict[Escaping, tuple[str, str]] = {
    Escaping.TEXT: ("[", "]"),  # as ``wirewatch rules try`` marks hits without colour
    Escaping.SLACK: ("*", "*"),
    Escaping.HTML: ("<strong>", "</strong>"),
}


def render_excerpt(alert: Alert, escaping: Escaping, limit: int = MAX_EXCERPT_CHARS) -> str:
    """``alert.excerpt`` (at most ``limit`` characters of it) escaped for the channel,
    its matched terms marked its way."""
    escape = _PARAGRAPH_ESCAPES[escaping]
    opening, closing = _MARKS[escaping]
    pieces = excerpt_pieces(alert.excerpt, alert.excerpt_marks, limit)
    return "".join(
        f"{opening}{escape(piece)}{closing}" if marked else escape(piece)
        for piece, marked in pieces
    )


def _excerpt(escaping: Escaping) -> Callable[[Any, int], Markup]:
    def excerpt(alert: Any, limit: int = MAX_EXCERPT_CHARS) -> Markup:
        if not isinstance(alert, Alert):
            return _escaped("")
        return _escaped(render_excerpt(alert, escaping, min(int(limit), MAX_EXCERPT_CHARS)))

    return excerpt


@cache
def environment(escaping: Escaping) -> ImmutableSandboxedEnvironment:
    """The sandboxed environment for one kind of escaping (shared, it holds no state)."""
    env = _Sandbox(
        autoescape=escaping is Escaping.HTML,
        finalize=_finalize_slack if escaping is Escaping.SLACK else _finalize_text,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        oneline=_oneline,
        paragraph=_paragraph(escaping),
        safe_url=lambda url: safe_link(str(url or "")) or "",
        iso=_iso,
        slack_link=_slack_link,
        excerpt=_excerpt(escaping),
    )
    return env


def default_source(channel: str, part: str) -> str:
    """The shipped template ``notifiers/templates/<channel>_<part>.j2``."""
    folder = resources.files("notifiers") / "templates"
    return (folder / f"{channel}_{part}.j2").read_text(encoding="utf-8")


def _compile(escaping: Escaping, source: str) -> Template:
    return environment(escaping).from_string(source)


SAMPLE = Alert(
    alert_id="al_sample",
    story_id="st_sample",
    rule="sample-rule",
    severity="high",
    title="Sample headline",
    link="https://example.org/story",
    summary="Sample summary.",
    feed="Sample Feed",
    published=datetime(2026, 1, 1, tzinfo=UTC),
    first_seen=datetime(2026, 1, 1, tzinfo=UTC),
    matched_terms=("sample",),
    outlets=2,
    excerpt="… a sample excerpt …",
    excerpt_marks=((4, 10),),
)


SURGE_SAMPLE = replace(
    SAMPLE,
    alert_id="su_sample",
    rule="surge:name:sample",
    matched_terms=(),
    excerpt="",
    excerpt_marks=(),
    surge=SurgeEvidence(
        kind="name",
        key="sample",
        label="Sample",
        count=12,
        expected=1.5,
        outlets=8,
        score=9.2,
        window_start=datetime(2026, 1, 1, tzinfo=UTC),
        window_end=datetime(2026, 1, 1, 1, tzinfo=UTC),
        top_stories=(SurgeStory("st_sample", "Sample headline", 6),),
        top_outlets=("Sample Feed",),
    ),
)


def check_overrides(parts: Mapping[str, Escaping], overrides: Mapping[str, str]) -> None:
    """Compile and try every override on a sample; ValueError naming the part otherwise."""
    for part, source in overrides.items():
        if part not in parts:
            raise ValueError(f"unknown template {part!r}; known: {', '.join(sorted(parts))}")
        try:
            template = _compile(parts[part], source)
            for kind in ("alert", "digest"):
                template.render(_context([SAMPLE, SURGE_SAMPLE], kind))
                template.render(_context([SURGE_SAMPLE, SAMPLE], kind))
        except (TemplateError, ArithmeticError, TypeError, ValueError) as err:
            raise ValueError(f"template {part!r}: {type(err).__name__}: {err}") from None


def _context(alerts: Sequence[Alert], kind: str) -> dict[str, Any]:
    return {"alert": alerts[0], "alerts": list(alerts), "kind": kind, "count": len(alerts)}


class Templates:
    """One notifier's compiled template parts, defaults replaced by its overrides."""

    def __init__(
        self, channel: str, parts: Mapping[str, Escaping], overrides: Mapping[str, str]
    ) -> None:
        self._templates = {
            part: _compile(escaping, overrides.get(part) or default_source(channel, part))
            for part, escaping in parts.items()
        }

    def render(self, part: str, alerts: Sequence[Alert], kind: str = "alert") -> str:
        """Render ``part``; a template that fails is a permanent :class:`NotifyError`."""
        try:
            return self._templates[part].render(_context(alerts, kind))
        except TemplateError as err:
            detail = single_line(str(err), 200)
            raise NotifyError(f"template {part!r} failed: {detail}", retryable=False) from None
        except Exception as err:  # a sandbox or arithmetic error inside the template
            message = f"template {part!r} failed: {type(err).__name__}"
            raise NotifyError(message, retryable=False) from None
