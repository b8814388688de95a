"""Helpers for article-page tests: a clock to move, a feed on a test server, HTML routes."""

from __future__ import annotations

import threading

from monitor.config import FeedSettings
from tests.support.feedserver import FeedServer, RecordedRequest, Reply, Route

__all__ = ["HTML", "Clock", "feed_of", "held", "html_route", "page_requests"]

HTML = b"<!doctype html><html><head><title>T</title></head><body><p>Body</p></body></html>"


class Clock:
    """A monotonic clock that moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def html_route(body: bytes = HTML, content_type: str = "text/html; charset=utf-8") -> Route:
    return lambda _request: Reply(200, {"Content-Type": content_type}, body)


def held(
    gate: threading.Event, body: bytes = HTML, arrived: threading.Event | None = None
) -> Route:
    """An HTML page answered only once ``gate`` is set; ``arrived`` is set when asked for."""

    def route(_request: RecordedRequest) -> Reply:
        if arrived is not None:
            arrived.set()
        gate.wait()
        return Reply(200, {"Content-Type": "text/html; charset=utf-8"}, body)

    return route


def feed_of(server: FeedServer, **settings: object) -> FeedSettings:
    return FeedSettings.model_validate({"url": server.url("/feed.xml"), **settings})


def page_requests(server: FeedServer) -> list[RecordedRequest]:
    return [r for r in server.requests if r.path != "/robots.txt"]
