"""``/feedback/<alert id>``: where the signed link in an alert message leads.

``GET`` shows the alert and a small form (no script) with a button per verdict; only the
form's ``POST`` records one (``judged_by`` "link"), because mail scanners and chat
unfurlers fetch every link they see. Both check the link's signature and expiry
(:class:`monitor.alerting.FeedbackLinks`) first: a forged link gets a 403 page, an
expired one 410, an alert no longer kept 404 — a page each, never a 500. The route is
public (the signature is the credential) and added only when links are made. Pages are
Jinja2-escaped and never send a Referer: the link's signature stays on this page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl

import structlog

from monitor.alerting import FeedbackLinks, LinkCheck
from monitor.listener import FEEDBACK_PREFIX, HttpListener, Request, Response
from monitor.records import MAX_NOTE, AlertVerdict, Feedback
from monitor.store import AlertListing, Store, StoreNotWritableError
from monitor.web.status_page import FORM_PAGE_HEADERS, HTML, TEMPLATES

log = structlog.get_logger("monitor.web.feedback_page")

LINK_JUDGE = "link"  # who gave a verdict through a message's link
_HEADERS = FORM_PAGE_HEADERS  # its form posts back to this site, nowhere else
_REFUSALS = {
    LinkCheck.FORGED: (
        403,
        "This link is not valid",
        "It was changed, or not made by this daemon.",
    ),
    LinkCheck.EXPIRED: (410, "This link has expired", "Links to judge an alert last {days} days."),
}


class FeedbackPage:
    """The handlers, bound to the store and the daemon's links."""

    def __init__(self, store: Store, links: FeedbackLinks, clock: Callable[[], datetime]) -> None:
        self.store, self.links, self.clock = store, links, clock

    async def show(self, request: Request) -> Response:
        found = await self._listing(request)
        if isinstance(found, Response):
            return found
        return _page(200, listing=found, recorded=None)

    async def judge(self, request: Request) -> Response:
        found = await self._listing(request)
        if isinstance(found, Response):
            return found
        form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        verdict, note = form.get("verdict", ""), form.get("note", "").strip()
        if verdict not in set(AlertVerdict) or len(note) > MAX_NOTE:
            message = f"Choose one of the buttons; a note has at most {MAX_NOTE} characters."
            return _page(400, listing=found, recorded=None, problem=message)
        given = Feedback(
            found.alert.alert_id, AlertVerdict(verdict), LINK_JUDGE, self.clock(), note
        )
        try:
            kept = await self.store.record_feedback(given)
        except StoreNotWritableError:
            return _refusal(
                503, "Not recorded", "The daemon cannot write just now; try again later."
            )
        if kept is None:  # pruned between the read and the write
            return _refusal(404, "No such alert", "This daemon no longer keeps that alert.")
        log.info("feedback_recorded", alert_id=kept.alert_id, rule=kept.rule,
                 verdict=kept.verdict.value, judged_by=LINK_JUDGE)  # fmt: skip
        return _page(200, listing=found, recorded=kept)

    async def _listing(self, request: Request) -> AlertListing | Response:
        alert_id = request.path.removeprefix(FEEDBACK_PREFIX)  # the server decoded it once
        expires, signature = request.query.get("expires", ""), request.query.get("sig", "")
        check = self.links.check(alert_id, expires, signature, self.clock())
        if check is not LinkCheck.VALID:
            status, title, detail = _REFUSALS[check]
            return _refusal(status, title, detail.format(days=self.links.valid_for.days))
        found = await self.store.alert_listing(alert_id)
        if found is None:
            return _refusal(404, "No such alert", "This daemon no longer keeps that alert.")
        return found


def _page(status: int, **view: object) -> Response:
    view.setdefault("problem", "")
    body = TEMPLATES.get_template("feedback.html.j2").render(
        verdicts=list(AlertVerdict), max_note=MAX_NOTE, refusal=None, **view
    )
    return Response(status, body.encode(), HTML, _HEADERS)


def _refusal(status: int, title: str, detail: str) -> Response:
    body = TEMPLATES.get_template("feedback.html.j2").render(refusal=(title, detail))
    return Response(status, body.encode(), HTML, _HEADERS)


def install_feedback_page(
    listener: HttpListener,
    store: Store,
    links: FeedbackLinks | None,
    clock: Callable[[], datetime],
) -> None:
    """Route ``GET`` and ``POST /feedback/…`` on ``listener`` when the daemon makes links."""
    if links is None:
        return
    page = FeedbackPage(store, links, clock)
    listener.route("GET", FEEDBACK_PREFIX, page.show, public=True)
    listener.route("POST", FEEDBACK_PREFIX, page.judge, public=True)
