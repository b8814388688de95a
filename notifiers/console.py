"""Console notifier: one readable block per alert on stdout or stderr.

Feed text is stripped of ANSI escape sequences and control characters first, so
a headline cannot move the cursor, retitle the terminal or hide earlier lines.
"""

from __future__ import annotations

import sys
from typing import ClassVar, Literal, TextIO

import httpx

from notifiers._text import safe_link, single_line
from notifiers.base import Alert, NotifierConfig, NotifierPlugin

_FIELD_CHARS = 300


class ConsoleConfig(NotifierConfig):
    """``[notifiers.<name>]`` with ``type = "console"``."""

    type: Literal["console"] = "console"
    stream: Literal["stdout", "stderr"] = "stdout"


def _clean(text: str) -> str:
    return single_line(text, _FIELD_CHARS)


def format_block(alert: Alert) -> str:
    """The text block printed for ``alert``: a headline, then indented fields."""
    headline = f"[{_clean(alert.severity).upper()}] {_clean(alert.rule)}: {_clean(alert.title)}"
    if alert.event != "new":
        headline += f" ({_clean(alert.event)})"
    fields = {
        "link": safe_link(alert.link) or "(none)",
        "feed": _clean(alert.feed),
        "outlets": str(alert.outlets),
        "terms": ", ".join(_clean(term) for term in alert.matched_terms) or "(none)",
        "first seen": alert.first_seen.isoformat(timespec="seconds"),
    }
    lines = [headline, *(f"    {label + ':':<12}{value}" for label, value in fields.items())]
    return "\n".join(lines) + "\n\n"


class ConsoleNotifier(NotifierPlugin):
    """Writes alerts to the daemon's own stdout/stderr (useful for `--dry-run` and journald)."""

    type_name: ClassVar[str] = "console"
    Config: ClassVar[type[NotifierConfig]] = ConsoleConfig

    def __init__(self, name: str, config: ConsoleConfig, *, http: httpx.AsyncClient) -> None:
        super().__init__(name, config, http=http)
        self.config = config

    def _stream(self) -> TextIO:
        # Looked up on every send so a redirected sys.stdout (tests, daemon) is honoured.
        return sys.stdout if self.config.stream == "stdout" else sys.stderr

    async def send(self, alert: Alert) -> None:
        """Print the block for ``alert``; a console write cannot usefully be retried."""
        stream = self._stream()
        stream.write(format_block(alert))
        stream.flush()
