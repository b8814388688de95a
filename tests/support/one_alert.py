"""One article and its alert in the outbox, and a notifier failing as scripted: the
dispatcher's seam, shared by the dispatch, kept-outcome and store-writability tests."""

from __future__ import annotations

import notifiers
from monitor.records import AlertRecord, Article
from rules import Severity
from tests.support.stories import NOW

__all__ = ["ALERT", "ARTICLE", "NOW", "ScriptedChannel"]


class ScriptedChannel:
    """A notifier whose sends fail as scripted: the dispatcher's seam."""

    def __init__(self, name: str, failures: list[BaseException]) -> None:
        self.name = name
        self.failures = failures
        self.sent: list[notifiers.Alert] = []

    async def send(self, alert: notifiers.Alert) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(alert)

    async def aclose(self) -> None:
        return None


ARTICLE = Article(
    article_id="a1",
    feed_url="http://one/feed",
    feed_name="One",
    guid="g1",
    title="Iranian troops arrive in Latakia",
    link="http://one/g1",
    summary="",
    content="",
    published=None,
    fetched_at=NOW,
)
ALERT = AlertRecord(
    alert_id="al1",
    story_id="s1",
    article_id="a1",
    rule="iran",
    severity=Severity.HIGH,
    terms=("Iranian",),
    notifiers=("hook",),
    created_at=NOW,
)
