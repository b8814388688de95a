"""The outbox as dispatch sees it: due deliveries, batches, threads, silences, listings.

Every backend implements :class:`Outbox` (``Store`` extends it). The functions here
turn outbox rows into what notifiers are handed: :func:`to_alert` for one
delivery, :func:`batch_id_for` for the stable id of a group or digest message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import notifiers
from monitor.alerting.excerpts import article_text, make_excerpt
from monitor.alerting.feedback_links import FeedbackLinks
from monitor.alerting.surge_alerts import evidence

if TYPE_CHECKING:
    from monitor.store import DeliveryContext


def to_alert(
    context: DeliveryContext, thread: str | None = None, links: FeedbackLinks | None = None
) -> notifiers.Alert:
    """The notifier-facing alert for one outbox row (``thread`` overrides the stored one),
    with a link to judge it when the daemon makes them (``links``)."""
    record, surge = context.alert, context.surge
    # A surge alert is news of its own, never an update (its event is "surge:<id>").
    update = record.event != "new" and not record.is_surge
    excerpt = make_excerpt(article_text(context), record.terms, context.language)
    return notifiers.Alert(
        alert_id=record.alert_id,
        story_id=record.story_id,
        rule=record.rule,
        severity=record.severity,
        title=context.title,
        link=context.link,
        summary=context.summary,
        feed=context.feed_name,
        published=context.published,
        first_seen=context.first_seen,
        matched_terms=record.terms,
        outlets=max(context.outlets, record.outlets),
        event="update" if update else "new",
        change=record.event if update else "",
        reason=record.reason,
        thread=thread or context.thread,
        excerpt=excerpt.text,
        excerpt_marks=excerpt.marks,
        language=context.language,
        surge=evidence(surge) if surge else None,
        feedback_url=links.url(record.alert_id, record.created_at) if links else "",
    )


BatchKind = Literal["group", "digest"]
_BATCH_PREFIX: dict[BatchKind, str] = {"group": "gr_", "digest": "dg_"}


def batch_id_for(notifier: str, kind: BatchKind, alert_ids: Sequence[str]) -> str:
    """Stable per (notifier, kind, set of alerts): the idempotency key of the message."""
    joined = "\x00".join([notifier, kind, *sorted(alert_ids)])
    return _BATCH_PREFIX[kind] + hashlib.sha256(joined.encode()).hexdigest()[:24]


def batch_kind(batch_id: str) -> BatchKind:
    """Whether a claimed batch is a group or a digest, from its id."""
    return "digest" if batch_id.startswith(_BATCH_PREFIX["digest"]) else "group"
