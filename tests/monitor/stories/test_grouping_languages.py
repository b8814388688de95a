"""Story grouping reads each article's words in its detected language (``Article.language``):
French, Spanish, German and Turkish reports worded with other inflections fold, look-alike
events stay apart, English groups as before, and an article whose language is unknown
falls back to the language its stop words suggest. Fixtures written for these tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config.settings import DedupSettings
from monitor.records.models import Article, Verdict
from monitor.store.sqlite.store import SqliteStore
from monitor.stories.dedup import Deduplicator
from monitor.stories.headlines import fold, toll_numbers
from monitor.stories.index import StoryIndex
from monitor.stories.words import stop_words
from tests.support.latin_reports import BACKGROUND, LATIN_EVENTS, LatinEvent, by_language

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _kind(first: str, second: str, language: str, second_language: str | None = None) -> str | None:
    """How ``second`` joins the story ``first`` opened, both articles in ``language``
    (the second in ``second_language`` when given)."""
    index = StoryIndex(timedelta(hours=48), threshold=88)
    for number, (title, written_in) in enumerate(BACKGROUND):
        index.add(f"bg{number}", f"bg{number}", title, NOW - timedelta(hours=2),
                  language=written_in)  # fmt: skip
    index.add("s1", "a1", first, NOW, language=language)
    later = NOW + timedelta(hours=1)
    found = index.find(
        second, later, language=language if second_language is None else second_language
    )
    return found.kind.value if found is not None and found.story_id == "s1" else None


@pytest.mark.parametrize("event", LATIN_EVENTS, ids=by_language)
def test_two_reports_worded_with_other_inflections_fold(event: LatinEvent) -> None:
    assert _kind(event.report, event.reworded, event.language) == "related"


@pytest.mark.parametrize("event", LATIN_EVENTS, ids=by_language)
def test_the_inflections_fold_by_the_articles_language(event: LatinEvent) -> None:
    """Read as English (plural -s off only) the two reports share too few words: it is
    the language's stems that fold them."""
    assert _kind(event.report, event.reworded, "en") is None


@pytest.mark.parametrize(
    ("event", "look_alike"),
    [
        pytest.param(event, getattr(event, field), id=f"{event.language}-{field}")
        for event in LATIN_EVENTS
        for field in ("other_place", "other_number")
    ],
)
def test_look_alike_events_stay_apart(event: LatinEvent, look_alike: str) -> None:
    assert _kind(event.report, look_alike, event.language) is None


# One report identified, the other not (its language unclear): the unknown one is read in
# the language its stop words clearly say, so the two still fold.
MIXED_IDENTIFICATION = [
    ("Inondations à Nîmes : les hôpitaux évacués dans la nuit", "fr",
     "Nîmes : hôpitaux évacués après les inondations", ""),
    ("Nîmes : hôpitaux évacués après les inondations", "",
     "Inondations à Nîmes : les hôpitaux évacués dans la nuit", "fr"),
    ("Valencia: ancianos heridos en el incendio de la residencia", "es",
     "Incendio en la residencia de Valencia: ancianas heridas por las llamas", ""),
]  # fmt: skip


@pytest.mark.parametrize(("first", "language", "second", "second_language"), MIXED_IDENTIFICATION)
def test_a_report_of_unknown_language_folds_with_an_identified_one(
    first: str, language: str, second: str, second_language: str
) -> None:
    assert _kind(first, second, language, second_language) is not None


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Schwerer Unfall im Hafen von Hamburg", "Schwerer Unfall im Hafen von Bremen"),
        ("Brand in Lagerhalle in Hamburg: Feuerwehr im Großeinsatz",
         "Brand in Lagerhalle in Bremen: Feuerwehr im Großeinsatz"),
    ],
)  # fmt: skip
def test_german_capitals_do_not_hide_the_place(first: str, second: str) -> None:
    """German capitalises every noun: its headlines are never read as Title Case, so a
    report of the same accident in another city stays apart."""
    assert _kind(first, second, "de") is None


ENGLISH_PAIRS = [
    ("Car bomb kills 12 at Kabul market", "Car bomb kills 12 at Kabul market - Daily Courier",
     "same_headline"),
    ("Car bomb kills 12 at Kabul market", "Car bomb kills 12 in Kabul market", "near_identical"),
    ("Car bomb kills 12 at Kabul market", "Car bomb kills 19 at Kabul market", "update"),
    ("Car bomb at Kabul market kills 12 shoppers",
     "Twelve shoppers die as car bomb hits crowded Kabul market", "related"),
    ("Kabul market car bomb leaves shoppers dead",
     "Shoppers dead after car bomb tears through Kabul market", "related"),
    ("Son of Kabul governor dies in car bomb", "Kabul governor's son dies in car bomb attack",
     "related"),
    ("Die-hard fans mourn as Kabul stadium closes", "Kabul stadium closes as die-hard fans mourn",
     "near_identical"),
    ("Car bomb kills 12 at Kabul market", "Car bomb kills 12 at Herat market", None),
    ("Kabul market car bomb leaves shoppers dead",
     "Shoppers dead after car bomb tears through Herat market", None),
]  # fmt: skip


@pytest.mark.parametrize("language", ["en", ""])
@pytest.mark.parametrize(("first", "second", "kind"), ENGLISH_PAIRS)
def test_english_groups_as_before_whether_detected_or_unknown(
    first: str, second: str, kind: str | None, language: str
) -> None:
    """The kinds are those grouping gave these pairs before it read the language."""
    assert _kind(first, second, language) == kind


@pytest.mark.parametrize(
    ("headline", "language", "dropped", "kept"),
    [
        # unknown: the language its stop words suggest, if any suggests more than English
        ("Die Armee greift in der Stadt an", "", {"die", "der", "in"}, {"armee", "stadt"}),
        ("Three die in crash on motorway", "", {"in", "on"}, {"die", "crash"}),
        ("Les soldats blessés à Gaza", "", set(), {"les", "soldats"}),  # one each: English
        # detected: that language's, whatever the words suggest
        ("Les soldats blessés à Gaza", "fr", {"les"}, {"soldats", "gaza"}),
        ("Die Armee greift in der Stadt an", "de", {"die", "der", "in"}, {"armee", "stadt"}),
        ("Three die in crash on motorway", "en", {"in", "on"}, {"die", "crash"}),
        ("Son of the victim speaks out", "en", {"of", "the"}, {"son", "victim"}),
        ("Son fils est mort", "fr", {"son", "est"}, {"fils", "mort"}),
    ],
)
def test_stop_words_are_the_detected_languages_else_guessed(
    headline: str, language: str, dropped: set[str], kept: set[str]
) -> None:
    stop = stop_words(fold(headline).split(), language)
    assert dropped <= stop
    assert not kept & stop


@pytest.mark.parametrize(
    ("headline", "language", "tolls"),
    [
        ("Nîmes : 12 femmes mortes dans les inondations", "fr", {"12"}),
        ("Nîmes : 12 femmes mortes dans les inondations", "", set()),
        ("Valencia: 12 heridas en un incendio", "es", {"12"}),
        ("Valencia: 12 heridas en un incendio", "en", set()),
        ("Unfall mit 12 Toten in Hamburg", "de", {"12"}),
        ("Unfall mit 12 Toten in Hamburg", "en", set()),
        ("Ankara'da 12 yaralılar", "tr", {"12"}),  # the plural: only the stem is listed
        ("Ankara'da 12 yaralılar", "en", set()),
        ("Dolar 35 lira oldu", "tr", set()),  # "became", not "died" (folded alike)
    ],
)
def test_casualty_words_are_read_in_the_articles_language(
    headline: str, language: str, tolls: set[str]
) -> None:
    assert toll_numbers(fold(headline), language) == tolls


def _article(number: int, title: str, language: str) -> Article:
    feed = f"http://outlet-{number}.test/feed"
    return Article(article_id=f"a{number}", feed_url=feed, feed_name=f"Outlet {number}",
                   guid=f"g{number}", title=title, link=f"https://outlet-{number}.test/{number}",
                   summary="", content="", published=NOW, fetched_at=NOW,
                   language=language)  # fmt: skip


@pytest.mark.parametrize("event", LATIN_EVENTS, ids=by_language)
async def test_a_restarted_daemon_reads_stored_articles_in_their_language(
    event: LatinEvent, tmp_path: Path
) -> None:
    """The window warmed from the store after a restart keeps each article's language:
    the second outlet's report still folds into the first's story."""
    store = SqliteStore(str(tmp_path / "ww.db"))
    await store.open()
    try:
        before = Deduplicator(store, DedupSettings())
        news = [_article(10 + number, title, written_in)
                for number, (title, written_in) in enumerate(BACKGROUND)]  # fmt: skip
        for article in [*news, _article(1, event.report, event.language)]:
            opened = await before.classify(article)
            await store.record_article(article, opened, [])
        restarted = Deduplicator(store, DedupSettings())
        await restarted.load(NOW)
        second = _article(2, event.reworded, event.language)
        decision = await restarted.classify(second)
    finally:
        await store.close()
    assert (decision.verdict, decision.story_id) == (Verdict.FOLDED, opened.story_id)
