"""Reports for story-grouping tests: two outlets' teasers of one event, whose headlines and
standfirsts share too little to group them but whose pages' lead paragraphs tell the same
event, and a second event from the first outlet's site, its page wrapped in the same site
furniture (byline, times, share links, newsletter line, footer)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ENVOY", "LANDING_A", "LANDING_B", "SITE_FOOTER", "SITE_HEADER", "Report"]


@dataclass(frozen=True, slots=True)
class Report:
    """One outlet's entry: slug, headline, teaser standfirst, and its page's paragraphs."""

    slug: str
    title: str
    teaser: str
    paragraphs: tuple[str, ...]


# Lines every page of the first outlet's site carries around its article.
SITE_HEADER = (
    "By Coast Courier staff",
    "Updated 3 March 2026, 09:12 GMT",
    "Share on Facebook · Share on X · Email",
    "Follow the Coast Courier on Telegram for news from Latakia and the coast",
)
SITE_FOOTER = (
    "The Coast Courier is an independent newspaper covering Latakia, Tartus and the Syrian"
    " coast; sign up to its morning briefing to receive the latest news every day.",
)

LANDING_A = Report(
    "landing",
    "Tehran sends forces to the Syrian coast",
    "Tehran's move comes amid…",
    (
        *SITE_HEADER,
        "Hundreds of Iranian Revolutionary Guard troops landed at Latakia airport on Tuesday,"
        " Syrian officials said, the first such deployment to the coastal province since the"
        " war began.",
        "The officials said more flights carrying equipment were expected later in the week,"
        " and that the troops would be based near the port.",
        *SITE_FOOTER,
    ),
)
LANDING_B = Report(
    "guard-deployment",
    "Revolutionary Guard deployment reported in Latakia",
    "Read more",
    (
        "Iranian Revolutionary Guard troops arrived at the airport of Latakia on Tuesday,"
        " according to Syrian officials, in the first deployment of its kind on the Syrian"
        " coast since the war began.",
        "Analysts said the move was meant to shore up the government's hold on the"
        " province after a month of attacks on army posts in the mountains.",
    ),
)
# Another event on the first outlet's site, in its furniture: its headline shares the
# names and words of LANDING_A's ("Tehran", "Syrian coast"), its lead tells another event.
ENVOY = Report(
    "envoy",
    "Tehran's envoy meets Syrian coast governors",
    "Talks covered…",
    (
        *SITE_HEADER,
        "Iran's ambassador met the governors of Latakia and Tartus on Monday to discuss"
        " contracts for rebuilding the ports, the governors' offices said in a statement.",
        "A delegation of Iranian builders is due to visit both cities next month.",
        *SITE_FOOTER,
    ),
)
