"""``[retention]``: how long each kind of row is kept."""

from __future__ import annotations

from pydantic import Field

from monitor.config.base import Section


class RetentionSettings(Section):
    """``[retention]``: how long rows are kept; an age of 0 keeps that kind forever."""

    enabled: bool = Field(True, description="the daemon prunes on a schedule")
    articles_days: float = Field(30.0, ge=0, description="articles, by fetch time; 0: forever")
    stories_days: float = Field(90.0, ge=0, description="stories, by last article; 0: forever")
    alerts_days: float = Field(
        90.0, ge=0, description="sent, dead and silenced alerts with their deliveries; 0: forever"
    )
    tombstones_days: float = Field(
        365.0, ge=0, description="memory of pruned articles' GUIDs; 0: forever"
    )
    surges_days: float = Field(90.0, ge=0, description="surges, by when they fired; 0: forever")
    interval: float = Field(3600.0, ge=60, description="seconds between runs in the daemon")
    batch_size: int = Field(500, ge=1, le=50_000, description="rows per transaction")
    max_rows_per_run: int = Field(200_000, ge=1, description="the rest waits for the next run")
    reclaim_pages: int = Field(
        10_000, ge=0, description="free pages given back to the file system per run; 0: none"
    )
