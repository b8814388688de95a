"""A simulated newsroom on loopback, so ``wirewatch demo`` runs with no network and no set-up.

Five invented outlets publish a scripted timeline of invented stories as RSS 2.0, Atom 1.0
and JSON Feed 1.1. Several events are syndicated: the same story reaches three or four
outlets with the small headline edits wires make, so the daemon's folding and rule matching
show up on the console.

    t0                  initial_batch events visible (the first poll already alerts)
    t0 + k*release_every one more event, on every outlet that carries it
    script exhausted    the same events again as "Day 2: ...", with fresh GUIDs and links

Each feed honours If-None-Match / If-Modified-Since with 304, as real publishers do.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
import socket
import sys
import threading
import time
import xml.etree.ElementTree as ET  # builds documents only; nothing here parses XML
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from monitor.demo.script import _OUTLETS_BY_SLUG, OUTLETS, SCRIPT, FeedKind, NewsEvent, Outlet

FEED_WINDOW = 20  # newest items per feed, like most publishers
_SHUTDOWN_POLL = 0.05  # how often the server loop checks for stop(); the default 0.5 s drags

_ATOM_NS = "http://www.w3.org/2005/Atom"
_CONTENT_TYPES: dict[FeedKind, str] = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
_WIRE_PREFIX = re.compile(r"UPDATE \d+-|BREAKING: ")


@dataclass(frozen=True, slots=True)
class FeedItem:
    guid: str
    title: str
    link: str
    summary: str
    section: str
    published: datetime


def _scripted(index: int) -> tuple[NewsEvent, int]:
    """The event released ``index``-th, and which day of re-issue it belongs to (from 1)."""
    day, position = divmod(index, len(SCRIPT))
    return SCRIPT[position], day + 1


def _reissued(headline: str, day: int) -> str:
    """The headline as re-issued on ``day``: "Day 2: " goes after any wire prefix."""
    # A number rather than "(day 2)": dedup strips parenthesised tags and keeps headlines
    # with different numbers apart, so each day is a new story whose copies still fold.
    prefix = _WIRE_PREFIX.match(headline)
    cut = prefix.end() if prefix else 0
    return f"{headline[:cut]}Day {day}: {headline[cut:]}"


def _article_link(event: NewsEvent, outlet: Outlet, day: int) -> str:
    origin = _OUTLETS_BY_SLUG[event.copies[0][0]] if event.shared_link else outlet
    slug = event.key if day == 1 else f"{event.key}-day-{day}"
    link = f"https://{origin.domain}/{event.section}/{slug}"
    if origin is outlet:
        return link
    return f"{link}?utm_source={outlet.slug}&utm_medium=feed"  # exercises URL canonicalising


@dataclass(frozen=True, slots=True)
class _FeedView:
    outlet: Outlet
    feed_url: str
    updated: datetime
    items: Sequence[FeedItem]


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> None:
    ET.SubElement(parent, tag, attributes).text = text


def _xml_document(root: ET.Element) -> bytes:
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _render_rss(view: _FeedView) -> bytes:
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    _text(channel, "title", view.outlet.name)
    _text(channel, "link", f"https://{view.outlet.domain}/")
    _text(channel, "description", f"Latest stories from {view.outlet.name}")
    _text(channel, "language", "en")
    _text(channel, "lastBuildDate", format_datetime(view.updated))
    for item in view.items:
        entry = ET.SubElement(channel, "item")
        _text(entry, "title", item.title)
        _text(entry, "link", item.link)
        _text(entry, "description", item.summary)
        _text(entry, "category", item.section)
        _text(entry, "pubDate", format_datetime(item.published))
        _text(entry, "guid", item.guid, isPermaLink="false")
    return _xml_document(rss)


def _render_atom(view: _FeedView) -> bytes:
    feed = ET.Element("feed", xmlns=_ATOM_NS)
    _text(feed, "id", f"tag:{view.outlet.domain},2024:feed")
    _text(feed, "title", view.outlet.name)
    _text(feed, "updated", _rfc3339(view.updated))
    ET.SubElement(feed, "link", rel="self", href=view.feed_url)
    ET.SubElement(feed, "link", rel="alternate", href=f"https://{view.outlet.domain}/")
    _text(ET.SubElement(feed, "author"), "name", view.outlet.name)
    for item in view.items:
        entry = ET.SubElement(feed, "entry")
        _text(entry, "id", item.guid)
        _text(entry, "title", item.title)
        ET.SubElement(entry, "link", rel="alternate", href=item.link)
        _text(entry, "published", _rfc3339(item.published))
        _text(entry, "updated", _rfc3339(item.published))
        _text(entry, "summary", item.summary)
        ET.SubElement(entry, "category", term=item.section)
    return _xml_document(feed)


def _render_json(view: _FeedView) -> bytes:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": view.outlet.name,
        "home_page_url": f"https://{view.outlet.domain}/",
        "feed_url": view.feed_url,
        "language": "en",
        "authors": [{"name": view.outlet.name}],
        "items": [
            {
                "id": item.guid,
                "url": item.link,
                "title": item.title,
                "summary": item.summary,
                "content_html": f"<p>{html.escape(item.summary)}</p>",
                "date_published": _rfc3339(item.published),
                "tags": [item.section],
            }
            for item in view.items
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


_RENDERERS: dict[FeedKind, Callable[[_FeedView], bytes]] = {
    "rss": _render_rss,
    "atom": _render_atom,
    "json": _render_json,
}


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    headers: dict[str, str]
    body: bytes = b""


_NOT_FOUND = _Reply(404, {"Content-Type": "text/plain; charset=utf-8"}, b"not found\n")


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2), which is what GET conditionals use."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _unmodified_since(if_modified_since: str, modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # RFC 9110 13.1.3: ignore an invalid date
    return since.tzinfo is not None and modified.replace(microsecond=0) <= since


class _FeedHandler(BaseHTTPRequestHandler):
    server: _NewsroomServer
    server_version = "wirewatch-newsroom"
    sys_version = ""
    # The default HTTP/1.0 closes each connection after its answer, so stop() really stops:
    # with keep-alive, a poller's open connection would go on being served by its thread.

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        reply = self.server.newsroom._respond(
            self.server.base_url,
            self.path,
            if_none_match=self.headers.get("If-None-Match"),
            if_modified_since=self.headers.get("If-Modified-Since"),
        )
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status != 304:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if with_body:
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the demo's console belongs to the daemon's alerts


class _NewsroomServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, newsroom: Newsroom) -> None:
        self.newsroom = newsroom
        super().__init__(("127.0.0.1", 0), _FeedHandler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
        # else: a poller hung up mid-answer, which is no reason to print a traceback


class Newsroom:
    """Serves every outlet's feed on 127.0.0.1 and releases scripted news as time passes."""

    def __init__(
        self,
        *,
        release_every: float = 4.0,
        initial_batch: int = 6,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not release_every > 0 or initial_batch < 0:
            raise ValueError("release_every must be positive and initial_batch not negative")
        self.release_every = release_every
        self.initial_batch = initial_batch
        self._clock = clock
        self._routes = {outlet.path: outlet for outlet in OUTLETS}
        self._server: _NewsroomServer | None = None
        self._thread: threading.Thread | None = None
        self._started_clock = 0.0
        self._started_at = datetime.fromtimestamp(0, UTC)

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("newsroom is already running")
        self._started_clock = self._clock()
        self._started_at = datetime.now(UTC).replace(microsecond=0)
        self._server = _NewsroomServer(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _SHUTDOWN_POLL},
            name="wirewatch-newsroom",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("newsroom is not running")
        return self._server.base_url

    @property
    def feeds(self) -> list[tuple[str, str]]:
        """(outlet name, feed URL) for every outlet, ready for the daemon's config."""
        return [(outlet.name, self.base_url + outlet.path) for outlet in OUTLETS]

    def _released_events(self) -> int:
        """How many scripted events (counting re-issues) are public by now."""
        elapsed = max(0.0, self._clock() - self._started_clock)
        return self.initial_batch + math.floor(elapsed / self.release_every)

    def _items_for(self, outlet: Outlet) -> list[FeedItem]:
        """The outlet's newest released items, newest first, at most ``FEED_WINDOW``."""
        items: list[FeedItem] = []
        for index in range(self._released_events() - 1, -1, -1):
            item = self._item(index, outlet)
            if item is not None:
                items.append(item)
            if len(items) == FEED_WINDOW:
                break
        return items

    def _respond(
        self,
        base_url: str,
        target: str,
        *,
        if_none_match: str | None,
        if_modified_since: str | None,
    ) -> _Reply:
        """The HTTP answer to a GET of ``target`` (path and optional query)."""
        outlet = self._routes.get(urlsplit(target).path)
        if outlet is None:
            return _NOT_FOUND
        items = self._items_for(outlet)
        modified = items[0].published if items else self._started_at
        body = _RENDERERS[outlet.kind](_FeedView(outlet, base_url + outlet.path, modified, items))
        validators = {
            "ETag": f'"{hashlib.sha256(body).hexdigest()[:24]}"',
            "Last-Modified": format_datetime(modified, usegmt=True),
            "Cache-Control": "no-cache",
        }
        if if_none_match is not None:  # RFC 9110 13.2.2: it overrides If-Modified-Since
            fresh = _etag_matches(if_none_match, validators["ETag"])
        else:
            fresh = if_modified_since is not None and _unmodified_since(if_modified_since, modified)
        if fresh:
            return _Reply(304, validators)
        return _Reply(200, {"Content-Type": _CONTENT_TYPES[outlet.kind], **validators}, body)

    def _item(self, index: int, outlet: Outlet) -> FeedItem | None:
        event, day = _scripted(index)
        headline = event.headline_for(outlet.slug)
        if headline is None:
            return None
        return FeedItem(
            guid=f"tag:{outlet.domain},2024:{event.key}/day-{day}",
            title=headline if day == 1 else _reissued(headline, day),
            link=_article_link(event, outlet, day),
            summary=event.summary,
            section=event.section,
            published=self._released_at(index),
        )

    def _released_at(self, index: int) -> datetime:
        # The initial batch gets back-dated times, so it reads as a backlog already out.
        offset = (index - self.initial_batch + 1) * self.release_every
        return self._started_at + timedelta(seconds=offset)
