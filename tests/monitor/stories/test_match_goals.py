"""English "goal" is a target ("sign-ups may miss goal") and a match's goal ("misses open
goal", "late goal beats Arsenal"): only the target's reads the target axis's direction
(docs/decisions/0091-false-merges-and-the-target-axis.md, amended). Other languages
write a match's goal with another word (but, gol, Tor, гол). Fixtures written for
these tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.stories.directions import _TARGET_AXIS, directions, opposed
from monitor.stories.headlines import fold
from monitor.stories.index import StoryIndex

BEATEN, MISSED = _TARGET_AXIS * 2, _TARGET_AXIS * 2 + 1
OPENS = directions(["opens"], "en")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headline", "poles"),
    [
        # a match's goal: beside a match's word, or right before a match's verb
        ("Giroud misses open goal", set()),
        ("Giroud misses own goal chance", set()),
        ("Giroud misses a goal-scoring chance", set()),
        ("Costa goal beats Arsenal", set()),
        ("Costa's late goal beats Arsenal", set()),
        # a target: bare after a verb (a match's "misses goal" is not told from a plan's)
        ("Health plan sign-ups beat goal", {BEATEN}),
        ("Health plan sign-ups miss goal", {MISSED}),
        ("Tesla beats its goal for quarterly deliveries", {BEATEN}),
        ("Tesla misses its goal for quarterly deliveries", {MISSED}),
        ("Tesla missed the goal for quarterly deliveries", {MISSED}),
        ("Giroud misses goal", {MISSED}),
        # foreseen, qualified, or with its figure
        ("Steady health care sign-ups may miss goal", {MISSED}),
        ("Health care sign-ups likely to miss goal", {MISSED}),
        ("Health care sign-ups expected to miss March 31 goal", {MISSED}),
        ("Sign-ups miss goal of 6M", {MISSED}),
        ("China misses growth goal", {MISSED}),
        ("Medicaid enrollment surpasses reform goals", {BEATEN}),
        ("Neil Young surpasses Kickstarter goal within one day", {BEATEN}),
        ("Kickstarter campaign surpasses goal", {BEATEN}),
        # the other target nouns are never a match's
        ("Apple misses estimates", {MISSED}),
        ("Apple beats estimates", {BEATEN}),
    ],
)  # fmt: skip
def test_a_match_goal_names_no_target(headline: str, poles: set[int]) -> None:
    found = directions(fold(headline).split(), "en")
    assert found & {BEATEN, MISSED} == poles


@pytest.mark.parametrize(
    ("headline", "opens"),
    [
        ("Giroud misses open goal", False),
        ("Scientists publish open letter on climate", False),
        ("Minister open to talks on border", False),
        ("Border crossing opens after two weeks", True),
        ("Border crossing opened after two weeks", True),
        ("Border crossing reopens after two weeks", True),
    ],
)  # fmt: skip
def test_bare_open_names_no_opening(headline: str, opens: bool) -> None:
    """The stemmer reads "opens" as "open": the bare word names no opening."""
    assert bool(directions(fold(headline).split(), "en") & OPENS) == opens


# (one match's report with a goal, another report of it, both in English)
MATCH_REPORTS = [
    ("Costa goal beats Arsenal at Stamford Bridge",
     "Arsenal miss goal against Costa at Stamford Bridge"),
    ("Costa goal beats Arsenal at Stamford Bridge",
     "Costa goal: Arsenal miss goal at Stamford Bridge"),
    ("Costa's late goal beats Arsenal at Stamford Bridge",
     "Arsenal misses open goal against Costa at Stamford Bridge"),
]  # fmt: skip
BACKGROUND = (
    "Parliament passes budget after long debate",
    "Storm closes schools across the north",
    "Shares rise as central bank holds rates",
)


def _joins(first: str, second: str) -> bool:
    index = StoryIndex(timedelta(hours=48), threshold=88)
    for number, title in enumerate(BACKGROUND):
        index.add(f"bg{number}", f"bg{number}", title, NOW - timedelta(hours=2), language="en")
    index.add("s1", "a1", first, NOW, language="en")
    found = index.find(second, NOW + timedelta(hours=1), language="en")
    return found is not None and found.story_id == "s1"


@pytest.mark.parametrize(("report", "other"), MATCH_REPORTS)
def test_one_matchs_reports_with_goals_join(report: str, other: str) -> None:
    mine, theirs = (directions(fold(text).split(), "en") for text in (report, other))
    assert not opposed(mine, theirs)
    assert not opposed(theirs, mine)
    assert _joins(report, other)


# (a target's figure beaten, the same figure missed): two stories, as 0091 built them
TARGET_REPORTS = [
    ("Health plan sign-ups surpass goal in New Hampshire",
     "Health plan sign-ups may miss goal in New Hampshire"),
    ("Health plan sign-ups surpass goal of 40,000 in New Hampshire",
     "Health plan sign-ups miss goal of 40,000 in New Hampshire"),
    ("Health plan sign-ups beat goal in New Hampshire",
     "Health plan sign-ups miss goal in New Hampshire"),
    ("Tesla beats its goal for quarterly deliveries",
     "Tesla misses its goal for quarterly deliveries"),
]  # fmt: skip


@pytest.mark.parametrize(("report", "other"), TARGET_REPORTS)
def test_a_target_goal_beaten_and_missed_stay_apart(report: str, other: str) -> None:
    assert not _joins(report, other)
