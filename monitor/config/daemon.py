"""``[daemon]``: polling, fetching, parsing and delivery limits of one daemon."""

from __future__ import annotations

import importlib.util
from typing import Literal

from pydantic import Field, IPvAnyNetwork, field_validator

from monitor.config.base import Section


class DaemonSettings(Section):
    user_agent: str = Field("", description="sent as is; default: wirewatch/VERSION (+contact)")
    contact_url: str = "https://github.com/wirewatch/wirewatch"
    default_interval: float = Field(300.0, ge=1, description="seconds between polls of a feed")
    min_interval: float = Field(60.0, ge=1, description="no feed is polled more often")
    max_interval: float = Field(3600.0, ge=1, description="no healthy feed is polled less often")
    backoff_base: float = Field(60.0, ge=1, description="first retry delay after a failure")
    backoff_max: float = Field(6 * 3600.0, ge=1, description="longest retry delay")
    failure_alert_after: float = Field(
        6 * 3600.0, ge=0, description="tell the operator once a feed fails this long (0: never)"
    )
    operator_notifiers: tuple[str, ...] = Field(
        (), description="notifiers for feed-health alerts; empty: every enabled one"
    )
    jitter: float = Field(30.0, ge=0, description="random delay added to each poll, seconds")
    misfire_grace: float = Field(60.0, ge=1, description="a late poll still runs within this")
    concurrency: int = Field(32, ge=1, le=1024, description="fetches in flight at once")
    host_concurrency: int = Field(2, ge=1, le=64, description="fetches in flight per host")
    host_spacing: float = Field(0.5, ge=0, description="seconds between requests to one host")
    host_slow_after: float = Field(
        3.0, ge=0, description="a fetch in flight this long leaves its host slot (0: never)"
    )
    host_slow_limit: int = Field(2, ge=1, le=64, description="slow fetches in flight per host")
    parse_workers: int = Field(-1, ge=-1, le=64, description="-1: cores but one, 0: a thread")
    event_loop: Literal["auto", "uvloop", "asyncio"] = Field(
        "auto", description="auto: uvloop where installed (Linux, macOS), else asyncio's own"
    )
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(30.0, gt=0)
    total_timeout: float = Field(60.0, gt=0)
    max_body_bytes: int = Field(15 * 1024 * 1024, ge=1024)
    max_redirects: int = Field(5, ge=0, le=20)
    max_entries: int = Field(1000, ge=1)
    dispatch_interval: float = Field(15.0, ge=0.1, description="outbox sweep period, seconds")
    max_attempts: int = Field(
        8, ge=1, description="sets the retry budget unless retry_for does: the backoff's span "
        "over this many attempts (8: 63.5 min)",
    )  # fmt: skip
    retry_for: float | None = Field(
        None, ge=0, le=30 * 86_400,
        description="seconds a failing delivery is retried from its first attempt, then dead",
    )  # fmt: skip
    shutdown_timeout: float = Field(20.0, ge=0)
    instance: str = Field(
        "", max_length=200, description="this daemon's name in leases; default host-pid-random"
    )
    page_private_networks: tuple[IPvAnyNetwork, ...] = Field(
        (),
        description="private networks (CIDR) article pages may be on besides the feed's own "
        "host; every other non-public address is refused",
    )

    @field_validator("event_loop")
    @classmethod
    def _uvloop_installed(cls, value: str) -> str:
        if value == "uvloop" and importlib.util.find_spec("uvloop") is None:
            raise ValueError("uvloop is not installed here (it is on Linux and macOS); use auto")
        return value
