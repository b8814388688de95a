"""The status site on the daemon's HTTP listener: server-rendered, read-only HTML pages.

``GET /status``: feeds (failing first) with health and next poll, the latest stories with
their outlets and the rules they matched (terms marked), filtered by a plain GET form
(search text, rule, language, time; ``monitor.web.story_filters``) and paged, each rule's
last seven days as a small SVG chart (``monitor.web.activity_chart``), the surges of the
last day, the latest alerts with each notifier's delivery state, and the active
silences. Every list is capped (``monitor.web.status_view``), so a 10,000-feed install
renders as fast as a small one. ``GET /stories/<id>``: one story's timeline of articles,
its matched rules and its alerts (``monitor.web.story_view``); an unknown id is a 404
page. ``GET /`` redirects to ``/status``.

Feed text is hostile: templates are Jinja2 with autoescape on for every value, links
are made only from http(s) URLs, and no page carries any script; the
Content-Security-Policy forbids scripts, frames and any fetch besides the inline
stylesheet, so even a missed escape could not run code. Only a page with a form (the
status page's filters, the feedback page) may submit it, and only to this site
(``form-action 'self'``, ``FORM_PAGE_HEADERS``); every other page keeps
``form-action 'none'`` (docs/decisions/0054-story-pages.md).
"""

from __future__ import annotations

from datetime import UTC, datetime

import jinja2

from monitor.listener import HttpListener, Request, Response
from monitor.web.status_view import StatusSource, read_status, story_href
from monitor.web.story_filters import StoryFilters, parse_filters
from monitor.web.story_view import read_story

_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action {forms}; frame-ancestors 'none'"
)
_OTHER_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
)
SECURITY_HEADERS = (
    ("content-security-policy", _POLICY.format(forms="'none'")),
    *_OTHER_HEADERS,
)
# A page with a form (the status page's filters, the feedback page's verdicts) may
# submit it to this site, nowhere else.
FORM_PAGE_HEADERS = (
    ("content-security-policy", _POLICY.format(forms="'self'")),
    *_OTHER_HEADERS,
)
STORY_PREFIX = "/stories/"
MAX_STORY_ID = 200
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


def next_attempt(moment: datetime | None, now: datetime) -> str:
    """A pending delivery's next try: "next in 4m", or "due 29m ago" once it is overdue
    (the dispatcher has not reached it yet), never "next 29m ago"."""
    if moment is not None and moment <= now:
        return f"due {relative(moment, now)}"
    return f"next {relative(moment, now)}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}".replace(".0", "")
    return f"{seconds:.0f}s"


_TEMPLATES.filters.update(when=when, duration=duration)
_TEMPLATES.filters.update(story_href=story_href)
_TEMPLATES.globals.update(relative=relative, next_attempt=next_attempt)
TEMPLATES = _TEMPLATES  # the web pages' one environment: the feedback page renders with it


class StatusPage:
    """The handlers, bound to where the pages read from."""

    def __init__(self, source: StatusSource) -> None:
        self.source = source

    async def status(self, request: Request) -> Response:
        if request.path.rstrip("/") != "/status":
            return not_found("No page here.")
        filters = parse_filters(request.query, self.source.clock())
        body = await self.render(filters)
        return Response(400 if filters.problems else 200, body, HTML, FORM_PAGE_HEADERS)

    async def story(self, request: Request) -> Response:
        story_id = request.path.removeprefix(STORY_PREFIX)
        if not story_id or "/" in story_id or len(story_id) > MAX_STORY_ID:
            return not_found("No page here.")
        view = await read_story(self.source, story_id)
        if view is None:
            return not_found(f"No story “{story_id}” is kept: a wrong link, or retention "
                             "has pruned it.")  # fmt: skip
        body = _TEMPLATES.get_template("story.html.j2").render(view=view).encode()
        return _page_response(200, body, HTML)

    async def root(self, request: Request) -> Response:
        if request.path != "/":  # the "/" prefix catches every unrouted path
            return not_found("No page here.")
        response = _page_response(302, b"see /status", "text/plain; charset=utf-8")
        return Response(302, response.body, response.content_type,
                        (("location", "/status"), *response.headers))  # fmt: skip

    async def render(self, filters: StoryFilters | None = None) -> bytes:
        view = await read_status(self.source, filters)
        return _TEMPLATES.get_template("status.html.j2").render(view=view).encode()


def not_found(message: str) -> Response:
    """The 404 page, saying ``message``."""
    body = _TEMPLATES.get_template("not_found.html.j2").render(message=message).encode()
    return _page_response(404, body, HTML)


def _page_response(status: int, body: bytes, content_type: str) -> Response:
    return Response(status, body, content_type, SECURITY_HEADERS)


def install_status_page(listener: HttpListener, source: StatusSource) -> StatusPage:
    """Route ``GET /status``, ``GET /stories/<id>`` (and ``GET /``, a redirect to the
    status page) on ``listener``."""
    page = StatusPage(source)
    listener.route("GET", "/status", page.status)
    listener.route("GET", STORY_PREFIX, page.story)
    listener.route("GET", "/", page.root)
    return page
