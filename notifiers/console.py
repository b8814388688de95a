"""Console notifier: one readable block per alert on stdout or stderr.

Text comes from the ``console_text`` template (override with ``templates.text``);
feed text is stripped of ANSI escape sequences, control characters and line breaks
as it is interpolated, so a headline cannot move the cursor, retitle the terminal,
hide earlier lines or forge a line of its own.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import TYPE_CHECKING, ClassVar, Literal, TextIO

from pydantic import Field, field_validator

from notifiers.base import Alert, Batch, NotifierConfig, NotifierPlugin, Sent
from notifiers.templates import Escaping, Templates, check_overrides

if TYPE_CHECKING:
    import httpx

PARTS = {"text": Escaping.TEXT}


class ConsoleConfig(NotifierConfig):
    """``[notifiers.<name>]`` with ``type = "console"``."""

    type: Literal["console"] = "console"
    stream: Literal["stdout", "stderr"] = "stdout"
    templates: dict[str, str] = Field(default_factory=dict)

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: dict[str, str]) -> dict[str, str]:
        check_overrides(PARTS, value)
        return value


@cache
def _default() -> Templates:
    """The default template, compiled at its first use, not when a config is checked."""
    return Templates("console", PARTS, {})


def format_block(alert: Alert) -> str:
    """The text block printed for ``alert`` by the default template."""
    return _default().render("text", [alert])


class ConsoleNotifier(NotifierPlugin):
    """Writes alerts to the daemon's own stdout/stderr (useful for `--dry-run` and journald)."""

    type_name: ClassVar[str] = "console"
    Config: ClassVar[type[NotifierConfig]] = ConsoleConfig

    def __init__(self, name: str, config: ConsoleConfig, *, http: httpx.AsyncClient) -> None:
        super().__init__(name, config, http=http)
        self.config = config
        self._templates = Templates("console", PARTS, config.templates)

    def _stream(self) -> TextIO:
        # Looked up on every send so a redirected sys.stdout (tests, daemon) is honoured.
        return sys.stdout if self.config.stream == "stdout" else sys.stderr

    def _write(self, text: str) -> None:
        stream = self._stream()
        stream.write(text)
        stream.flush()

    async def send(self, alert: Alert) -> Sent | None:
        """Print the block for ``alert``; a console write cannot usefully be retried."""
        self._write(self._templates.render("text", [alert]))
        return None

    async def send_batch(self, batch: Batch) -> Sent | None:
        """Print a group or digest as one titled run of blocks."""
        self._write(self._templates.render("text", batch.alerts, batch.kind))
        return None
