"""``POST /alerts/{alert_id}/feedback``: a reader's verdict on an alert, as ``wirewatch
alerts mark`` gives it, kept under the calling token's name (docs/decisions/0047).

A verdict never replaces an earlier one: it joins the alert's history and the latest
counts (``GET /alerts/{alert_id}`` shows both, ``GET /rules`` the precision). Write
scope; an unknown alert is a 404 problem, a verdict not in the list or an overlong note
a 400 problem.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from monitor.api.models import Verdict
from monitor.api.problems import not_found
from monitor.api.routing import Call, Endpoint, Reply
from monitor.api.source import ApiSource
from monitor.config import ApiScope
from monitor.records import MAX_NOTE, AlertVerdict, Feedback


class NewVerdict(BaseModel):
    """A verdict to give: ``useful``, ``false_positive`` or ``duplicate``, with a note."""

    model_config = ConfigDict(extra="forbid")

    verdict: Literal["useful", "false_positive", "duplicate"]
    note: str = Field("", max_length=MAX_NOTE, description="why (optional)")


def feedback_endpoints(source: ApiSource) -> list[Endpoint]:
    async def give_feedback(call: Call) -> Reply:
        wanted: NewVerdict = call.body
        alert_id = str(call.path["alert_id"])
        given = Feedback(alert_id, AlertVerdict(wanted.verdict), call.caller.name, call.now,
                         wanted.note.strip())  # fmt: skip
        kept = await source.store.record_feedback(given)
        if kept is None:
            raise not_found("alert", alert_id)
        location = (("Location", f"/api/v1/alerts/{alert_id}"),)
        return Reply(Verdict.from_record(kept), 201, location)

    return [
        Endpoint("POST", "/alerts/{alert_id}/feedback", give_feedback,
                 "Give a verdict on an alert", "alerts", Verdict, status=201,
                 scope=ApiScope.WRITE, body=NewVerdict,
                 description="Kept beside earlier verdicts; the latest counts."),
    ]  # fmt: skip
