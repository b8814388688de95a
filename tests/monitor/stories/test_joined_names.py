"""One name written as one word by one report and as two by another ("MtGox" / "Mt. Gox")
is one name for the substituted-name gate (docs/decisions/0076-pieces-of-a-story.md), and
so is a short name written with and without a plural "s" ("PCs" / "PC", decision 0089) in
languages that make plurals so;
another name in its place still keeps the reports apart. Fixtures written for these
tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.stories.aliases import s_plurals, spelt_otherwise, unmentioned
from monitor.stories.index import StoryIndex

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
BACKGROUND = ("Parliament passes budget after long debate", "Storm closes schools in the north",
              "Der Bundestag beschließt den Haushalt")  # fmt: skip


def _kind(first: str, second: str, language: str, other: str | None = None) -> str | None:
    """How ``second`` joins the story ``first`` opened, in ``language`` (``second`` in
    ``other`` when given)."""
    index = StoryIndex(timedelta(hours=48), threshold=88)
    for number, title in enumerate(BACKGROUND):
        index.add(f"bg{number}", f"bg{number}", title, NOW - timedelta(hours=2))
    index.add("s1", "a1", first, NOW, language=language)
    later = NOW + timedelta(minutes=30)
    found = index.find(second, later, language=language if other is None else other)
    return found.kind.value if found is not None and found.story_id == "s1" else None


# (language, report, the same name joined or apart, another name in its place)
SPELLINGS = [
    ("en", "MtGox files for bankruptcy protection in Tokyo court",
     "Mt. Gox files for bankruptcy protection in Tokyo court",
     "Bitstamp files for bankruptcy protection in Tokyo court"),
    ("de", "Lufthansa Piloten streiken am Flughafen Frankfurt",
     "Lufthansapiloten streiken am Flughafen Frankfurt",
     "Condor Piloten streiken am Flughafen Frankfurt"),
    ("en", "Microsoft says its new controllers will work on PCs next month",
     "Microsoft says its new controllers will work on PC next month",
     "Microsoft says its new controllers will work on Macs next month"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "report", "spelling", "other"), SPELLINGS)
def test_a_name_joined_or_apart_is_one_name(
    language: str, report: str, spelling: str, other: str
) -> None:
    assert _kind(report, spelling, language) is not None
    assert _kind(spelling, report, language) is not None
    assert _kind(report, other, language) is None


# (name, the other report's words, the name's own report's words, one name)
PARTS = [
    ("mtgox", {"mt", "gox", "file"}, set(), True),  # joined here, apart there
    ("gox", {"mtgox", "file"}, {"mt", "gox"}, True),  # apart here, joined there
    ("mt", {"mtgox", "file"}, {"mt", "gox"}, True),
    ("газпромнефт", {"газпром", "нефт"}, set(), True),  # any script
    ("gox", {"mtgox"}, {"gox"}, False),  # the rest of the word is not beside it
    ("oman", {"woman", "says"}, {"oman", "talks"}, False),
    ("iran", {"iranair"}, {"iran"}, False),
    ("xs", {"x", "s"}, set(), False),  # parts of one letter are no name
    ("paris", {"par", "is"}, set(), True),
    ("pcs", {"pc", "driver"}, set(), True),  # a plural "s" the stemmer leaves on
    ("tv", {"tvs", "apple"}, set(), True),
    ("pcs", {"pcr", "test"}, set(), False),
    ("s", {"ss"}, set(), False),  # one letter is no name
]  # fmt: skip


@pytest.mark.parametrize(("name", "words", "own", "one"), PARTS)
def test_spelt_otherwise_joins_and_splits_words(
    name: str, words: set[str], own: set[str], one: bool
) -> None:
    assert spelt_otherwise(name, words, own, plurals=True) is one


def test_a_name_spelt_otherwise_is_not_unmentioned() -> None:
    assert not unmentioned(["mtgox"], {"mt", "gox"}, frozenset(), plurals=True)
    assert unmentioned(["mtgox"], {"bitstamp"}, frozenset(), plurals=True)
    assert not unmentioned(["gox"], {"mtgox"}, frozenset(), own=("gox", "mt"), plurals=False)


# (the two reports' languages, a report, the same report with the name's final "s" off,
# one name): a final "s" is a plural only where the language makes plurals so
PLURALS = [
    ("en", "en", "Microsoft says its new controllers will work on PCs next month",
     "Microsoft says its new controllers will work on PC next month", True),
    ("", "", "Microsoft says its new controllers will work on PCs next month",
     "Microsoft says its new controllers will work on PC next month", True),
    ("it", "it", "Traghetto per Kos rinviato per la tempesta di vento",
     "Traghetto per Ko rinviato per la tempesta di vento", False),
    ("tr", "tr", "Feribot seferleri Kos adasına fırtına nedeniyle ertelendi",
     "Feribot seferleri Ko adasına fırtına nedeniyle ertelendi", False),
    ("it", "", "Traghetto per Kos rinviato per la tempesta di vento",
     "Traghetto per Ko rinviato per la tempesta di vento", False),
]  # fmt: skip


@pytest.mark.parametrize(("language", "other", "report", "without_s", "one"), PLURALS)
def test_a_plural_s_is_one_name_only_where_plurals_take_it(
    language: str, other: str, report: str, without_s: str, one: bool
) -> None:
    assert s_plurals(language, other) is one
    assert (_kind(report, without_s, language, other) is not None) is one
    assert (_kind(without_s, report, other, language) is not None) is one
