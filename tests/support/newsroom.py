"""Shared by the demo newsroom's tests: its clock, the release interval and lookups into the
script."""

from __future__ import annotations

from monitor.demo.newsroom import Newsroom
from monitor.demo.script import OUTLETS, SCRIPT

RELEASE_EVERY = 4.0

EVENTS_BY_KEY = {event.key: event for event in SCRIPT}

OUTLETS_BY_SLUG = {outlet.slug: outlet for outlet in OUTLETS}


class FakeClock:
    """A monotonic clock that only moves when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def feed_url(newsroom: Newsroom, slug: str) -> str:
    return newsroom.base_url + OUTLETS_BY_SLUG[slug].path
