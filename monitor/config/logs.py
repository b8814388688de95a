"""``[log]``: the log's format and levels."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from monitor.config.base import Section

LogLevel = Literal["debug", "info", "warning", "error"]


class LogSettings(Section):
    format: Literal["auto", "json", "console"] = "auto"
    level: LogLevel = "info"
    # Per logger name, children included: {"monitor.feeds.fetcher" = "debug", httpx = "info"}.
    levels: dict[str, LogLevel] = Field(
        default_factory=dict, description="a level per logger name (monitor.feeds.fetcher, httpx)"
    )
