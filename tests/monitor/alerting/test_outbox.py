"""A late page's follow-up as every channel shows it: the outbox row's event key
(``page:match``, ``page:term:…``) makes a notifier alert that is an update of its story,
saying why in the channel's words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.alerting.outbox import to_alert
from monitor.records import AlertRecord, Delivery, DeliveryState
from monitor.store import DeliveryContext
from notifiers import console, email, slack
from notifiers.templates import Escaping, Templates
from notifiers.webhook import build_payload
from rules import Severity

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REASON = "article page read late"


def _context(event: str, reason: str) -> DeliveryContext:
    alert = AlertRecord(
        alert_id="al-1", story_id="s-1", article_id="a-1", rule="minister", severity=Severity.HIGH,
        terms=("Ilona Marsh",), notifiers=("hook",), created_at=NOW, event=event, reason=reason,
    )  # fmt: skip
    delivery = Delivery(1, "al-1", "hook", DeliveryState.PENDING, 0, NOW)
    return DeliveryContext(delivery, alert, "Reservoir works halted", "http://desk.test/dam",
                           "Work stopped.", "City Desk", NOW, NOW, 1)  # fmt: skip


CHANNELS = [
    pytest.param("console", console.PARTS, "text", f"(update: {REASON})", id="console"),
    pytest.param("slack", slack.PARTS, "text", f"(update: {REASON})", id="slack-text"),
    pytest.param("slack", slack.PARTS, "headline", f"*Update* ({REASON})", id="slack-headline"),
    pytest.param("email", email.PARTS, "subject", "(update)", id="email-subject"),
    pytest.param("email", email.PARTS, "text", f"Update: {REASON}", id="email-text"),
]


@pytest.mark.parametrize(("channel", "parts", "part", "says"), CHANNELS)
def test_a_rule_first_fired_by_a_late_page_renders_as_an_update_of_the_story(
    channel: str, parts: dict[str, Escaping], part: str, says: str
) -> None:
    alert = to_alert(_context("page:match", REASON))
    assert says in Templates(channel, parts, {}).render(part, [alert])


@pytest.mark.parametrize(
    ("event", "reason"),
    [("page:match", REASON), ("page:term:concrete", f"{REASON}; new term: concrete")],
)
def test_the_webhook_document_of_a_late_page_follow_up(event: str, reason: str) -> None:
    document = build_payload(to_alert(_context(event, reason)))
    assert (document["event"], document["change"], document["reason"]) == ("update", event, reason)
    assert document["story_id"] == "s-1"


@pytest.mark.parametrize(
    ("language", "marked"),
    [("fr", ["frappes aériennes"]), ("en", []), ("", [])],
)
def test_the_excerpt_marks_terms_inflected_in_the_articles_language(
    language: str, marked: list[str]
) -> None:
    """The outbox passes the stored article's language, so an excerpt marks the forms
    the rule matched in it (French plurals only in a French article)."""
    alert = AlertRecord(
        alert_id="al-2", story_id="s-2", article_id="a-2", rule="strikes", severity=Severity.HIGH,
        terms=("frappe aérienne",), notifiers=("hook",), created_at=NOW,
    )  # fmt: skip
    delivery = Delivery(2, "al-2", "hook", DeliveryState.PENDING, 0, NOW)
    summary = "Nouvelles frappes aériennes sur le port."
    context = DeliveryContext(delivery, alert, "Le port visé", "http://desk.test/port", summary,
                              "Desk", NOW, NOW, 1, language=language)  # fmt: skip
    excerpt = to_alert(context)
    assert [excerpt.excerpt[start:end] for start, end in excerpt.excerpt_marks] == marked
