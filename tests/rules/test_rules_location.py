"""Location: where a definition is written, its line found only when something reads it."""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError

import pytest

import rules
from rules import Location, RuleSource, load_ruleset
from tests.support.key_scans import counted_key_scans

SOURCE = """\
[store]
path = "ww.db"

[[feeds]]
url = "http://127.0.0.1:9/a.xml"

[entities.iran]
kind = "actor"
entries = ["Iran"]

[keywords.strikes]
terms = ["air strike"]

[[rules]]
name = "iran-strikes"
all_of = ["iran", "strikes"]
examples = { must_match = ["Iran air strike reported"] }
"""


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts KeyLocator scanned, in order."""
    return counted_key_scans(monkeypatch)


def test_loading_a_valid_source_scans_it_for_no_line(scans: list[str]) -> None:
    load_ruleset([RuleSource("ww.toml", SOURCE)])
    assert scans == []


def test_the_first_line_read_scans_once_for_every_location_of_its_source(
    scans: list[str],
) -> None:
    ruleset = load_ruleset([RuleSource("ww.toml", SOURCE)])
    rule = ruleset.rules[0]
    locations = [
        rule.location,
        ruleset.entities["iran"].location,
        ruleset.keywords["strikes"].location,
        rule.examples[0].location,
    ]
    assert [str(location) for location in locations] == [
        "ww.toml:14: rules[0]",
        "ww.toml:7: entities.iran",
        "ww.toml:11: keywords.strikes",
        "ww.toml:17: rules[0].examples.must_match[0]",
    ]
    assert scans == [SOURCE]


def test_a_problem_names_file_line_and_key_after_one_scan(scans: list[str]) -> None:
    text = SOURCE.replace('kind = "actor"', 'kind = "actor"\nentrys = []')
    with pytest.raises(rules.RuleSetError) as caught:
        load_ruleset([RuleSource("ww.toml", text)])
    assert [str(error) for error in caught.value.errors] == [
        "ww.toml:9: entities.iran.entrys: unknown key 'entrys' (did you mean 'entries'?)"
    ]
    assert scans == [text]


DEFERRED = Location.deferred("ww.toml", "rules[0]", lambda: 14)
EQUALITY = [
    ("deferred and written alike", DEFERRED, Location("ww.toml", 14, "rules[0]"), True),
    ("another line", DEFERRED, Location("ww.toml", 15, "rules[0]"), False),
    ("another key", DEFERRED, Location("ww.toml", 14, "rules[1]"), False),
    ("another file", DEFERRED, Location("other.toml", 14, "rules[0]"), False),
    ("no line against a line", Location("ww.toml"), Location("ww.toml", 1), False),
]


@pytest.mark.parametrize(
    ("first", "second", "equal"),
    [case[1:] for case in EQUALITY],
    ids=[case[0] for case in EQUALITY],
)
def test_locations_are_equal_when_file_line_and_key_are(
    first: Location, second: Location, equal: bool
) -> None:
    assert (first == second) is equal
    assert not equal or hash(first) == hash(second)


def test_a_deferred_line_is_asked_for_once() -> None:
    asked: list[str] = []

    def find_line() -> int:
        asked.append("line")
        return 3

    location = Location.deferred("ww.toml", "rules[0]", find_line)
    assert (location.line, location.where, str(location)) == (3, "ww.toml:3", "ww.toml:3: rules[0]")
    assert asked == ["line"]


def test_a_pickled_location_carries_its_line_not_its_finder() -> None:
    location = Location.deferred("ww.toml", "rules[0]", lambda: 14)  # a lambda cannot pickle
    copy = pickle.loads(pickle.dumps(location))
    assert (copy, copy.line, repr(copy)) == (
        Location("ww.toml", 14, "rules[0]"),
        14,
        "Location(source='ww.toml', line=14, key='rules[0]')",
    )


def test_a_location_is_frozen() -> None:
    location = Location("ww.toml", 3, "rules[0]")
    with pytest.raises(FrozenInstanceError):
        location.key = "rules[1]"
    with pytest.raises(FrozenInstanceError):
        del location.source
