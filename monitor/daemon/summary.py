"""What one round of ``wirewatch run --once`` did: one line for the operator (and the
mail cron sends), the counts for the log, and the exit status a cron job can test.

``run --once`` exits 0 when at least one feed was polled (fetched, or answered "not
modified"), failures of the others included in the line; :data:`NO_FEED_POLLED` when
feeds are configured and not one could be polled: the network, a proxy or DNS is down,
and nothing was watched. With no feed configured there is nothing to fail: 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from monitor.alerting import Outcome
from monitor.config import FeedSettings
from monitor.ingest import PollOutcome
from monitor.observability import redact_url
from monitor.records import PollStatus

NO_FEED_POLLED = 3  # ``run --once``'s exit status when every feed failed (1 is a bad config)
NAMED_FAILURES = 3  # failed feeds named in the line; the log has every one

_POLLED = frozenset(
    {PollStatus.OK, PollStatus.NOT_MODIFIED, PollStatus.UNCHANGED, PollStatus.PUSHED}
)
# A feed's poll → its word in the line; a feed found gone before is not fetched again.
_WORDS: Mapping[PollStatus, str] = {
    PollStatus.OK: "ok", PollStatus.NOT_MODIFIED: "not modified",
    PollStatus.UNCHANGED: "not modified", PollStatus.ERROR: "failed",
    PollStatus.GONE: "gone", PollStatus.DISABLED: "gone", PollStatus.PUSHED: "ok",
}  # fmt: skip
_ALWAYS_SHOWN = ("ok", "not modified", "failed")
# The dispatcher's delivery outcomes → their words; "sent" is always shown.
_DELIVERIES = {
    Outcome.RETRY: "retrying",
    Outcome.DEAD: "dead",
    Outcome.DEFERRED: "held",
    Outcome.SILENCED: "silenced",
}


@dataclass(frozen=True, slots=True)
class RoundSummary:
    """One round: every feed's poll outcome, and what the outbox sweep after it did."""

    outcomes: tuple[PollOutcome, ...]
    deliveries: Mapping[Outcome, int]  # the sweep's outcomes: sent, retry, dead, deferred, ...
    not_polled: tuple[str, ...]  # display names of the feeds not polled, in feed order

    @property
    def polled(self) -> int:
        return sum(outcome.status in _POLLED for outcome in self.outcomes)

    @property
    def articles(self) -> int:
        return sum(len(outcome.ingested) for outcome in self.outcomes)

    @property
    def alerts(self) -> int:
        return sum(outcome.alerts for outcome in self.outcomes)

    @property
    def exit_status(self) -> int:
        return NO_FEED_POLLED if self.outcomes and not self.polled else 0

    def by_outcome(self) -> Counter[str]:
        """Feeds by their word in the line: ok, not modified, failed, gone."""
        return Counter(_WORDS[outcome.status] for outcome in self.outcomes)

    def counts(self) -> dict[str, int]:
        """The line's numbers, by snake_case name (for the log)."""
        feeds = self.by_outcome()
        by_feed = {word.replace(" ", "_"): feeds[word] for word in sorted(feeds)}
        return {
            "feeds": len(self.outcomes), **by_feed, "articles": self.articles,
            "alerts": self.alerts, "sent": self.deliveries.get(Outcome.SENT, 0),
        }  # fmt: skip

    def line(self) -> str:
        """``polled 12 feeds: 10 ok, 1 not modified, 1 failed; 37 new articles, 4 alerts
        queued, 4 sent; not polled: BBC World``."""
        feeds = self.by_outcome()
        words = [*_ALWAYS_SHOWN, *sorted(set(feeds) - set(_ALWAYS_SHOWN))]
        polled = ", ".join(f"{feeds[word]} {word}" for word in words)
        return (
            f"polled {_count(len(self.outcomes), 'feed')}: {polled}; "
            f"{_count(self.articles, 'new article')}, {_count(self.alerts, 'alert')} queued, "
            f"{self._sent()}{_not_polled(self.not_polled)}"
        )

    def _sent(self) -> str:
        """``4 sent``, then deliveries that are not (yet) sent, when there are any."""
        others = [
            f"{self.deliveries[key]} {word}"
            for key, word in _DELIVERIES.items()
            if self.deliveries.get(key)
        ]
        return ", ".join([f"{self.deliveries.get(Outcome.SENT, 0)} sent", *others])


def summarise(
    feeds: Iterable[FeedSettings],
    outcomes: Iterable[PollOutcome],
    deliveries: Mapping[Outcome, int],
) -> RoundSummary:
    """The summary of polling ``feeds`` (to ``outcomes``) and the sweep that followed."""
    names = {feed.url: feed.display_name for feed in feeds}
    done = tuple(outcomes)
    failed = tuple(
        names.get(outcome.feed_url, redact_url(outcome.feed_url))
        for outcome in done
        if outcome.status not in _POLLED
    )
    return RoundSummary(done, dict(deliveries), failed)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _not_polled(names: tuple[str, ...]) -> str:
    if not names:
        return ""
    shown = ", ".join(names[:NAMED_FAILURES])
    more = len(names) - NAMED_FAILURES
    return f"; not polled: {shown}" + (f" and {more} more (see the log)" if more > 0 else "")
