"""``GET /status`` on the daemon's HTTP listener: one server-rendered, read-only HTML page.

Feeds (failing first) with health and next poll, the latest stories with their outlets
and the rules they matched (terms marked), each rule's last seven days as a small SVG
chart (``monitor.web.activity_chart``), the surges of the last day, the latest alerts
with each notifier's delivery state, and the active silences. Every list is capped
(``monitor.web.status_view``), so a 10,000-feed install renders as fast as a small one.

Feed text is hostile: the template is Jinja2 with autoescape on for every value, links
are made only from http(s) URLs, and the page carries no script at all; the
Content-Security-Policy forbids scripts, frames, forms and any fetch besides the inline
stylesheet, so even a missed escape could not run code. ``GET /`` redirects here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import jinja2

from monitor.listener import HttpListener, Request, Response
from monitor.web.status_view import StatusSource, read_status

SECURITY_HEADERS = (
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
)
HTML = "text/html; charset=utf-8"
# Autoescape on for every template, whatever its file name (select_autoescape would
# leave "status.html.j2" unescaped: it goes by the extension).
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("monitor.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def when(moment: datetime | None) -> str:
    """A UTC time to the second, or "-"."""
    if moment is None:
        return "-"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def relative(moment: datetime | None, now: datetime) -> str:
    """ "in 4m", "3h ago", or "-"."""
    if moment is None:
        return "-"
    seconds = (moment - now).total_seconds()
    text = duration(abs(seconds))
    return f"in {text}" if seconds > 0 else f"{text} ago"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}".replace(".0", "")
    return f"{seconds:.0f}s"


_TEMPLATES.filters.update(when=when, duration=duration)
_TEMPLATES.globals.update(relative=relative)
TEMPLATES = _TEMPLATES  # the web pages' one environment: the feedback page renders with it


class StatusPage:
    """The handlers, bound to where the page reads from."""

    def __init__(self, source: StatusSource) -> None:
        self.source = source

    async def status(self, request: Request) -> Response:
        if request.path.rstrip("/") != "/status":
            return _page_response(404, b"not found", "text/plain; charset=utf-8")
        return _page_response(200, await self.render(), HTML)

    async def root(self, request: Request) -> Response:
        if request.path != "/":  # the "/" prefix catches every unrouted path
            return _page_response(404, b"not found", "text/plain; charset=utf-8")
        response = _page_response(302, b"see /status", "text/plain; charset=utf-8")
        return Response(302, response.body, response.content_type,
                        (("location", "/status"), *response.headers))  # fmt: skip

    async def render(self) -> bytes:
        view = await read_status(self.source)
        return _TEMPLATES.get_template("status.html.j2").render(view=view).encode()


def _page_response(status: int, body: bytes, content_type: str) -> Response:
    return Response(status, body, content_type, SECURITY_HEADERS)


def install_status_page(listener: HttpListener, source: StatusSource) -> StatusPage:
    """Route ``GET /status`` (and ``GET /``, a redirect to it) on ``listener``."""
    page = StatusPage(source)
    listener.route("GET", "/status", page.status)
    listener.route("GET", "/", page.root)
    return page
