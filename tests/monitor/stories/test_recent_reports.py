"""Two reports of one subject within the hour are most often one event; hours apart,
most often two: the one-language bars are lower within ``[dedup] recent_hours`` of the
nearest earlier report and higher beyond it (docs/decisions/0059-recent-reports.md).
Real embeddings of headlines written for these tests, in several languages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.config.settings import DedupSettings
from monitor.records.models import MatchKind
from monitor.stories.dedup import story_index_for
from monitor.stories.embedding import encode_headlines
from monitor.stories.index import StoryIndex
from tests.support.window_background import BACKGROUND, NOW

# (language, first report, a later report of the same event, the evidence within the hour)
SAME_EVENT = [
    ("en", "Gunmen attack police station in Kirkuk, killing officers",
     "Officers killed as militants storm Kirkuk police station", MatchKind.RELATED),
    ("fr", "Des hommes armés attaquent un poste de police à Kirkouk",
     "Des militants armés prennent d'assaut le poste de police de Kirkouk", MatchKind.RELATED),
    ("tr", "Kerkük'te silahlı kişiler karakola saldırdı",
     "Kerkük'te karakola silahlı saldırı düzenlendi", MatchKind.RELATED),
    ("en", "Gunmen attack police station in Kirkuk, killing several officers",
     "Several policemen killed as militants storm Kirkuk police post", MatchKind.SEMANTIC),
    ("fr", "Un fort séisme frappe le nord du Chili",
     "Puissant tremblement de terre dans le nord du Chili", MatchKind.SEMANTIC),
]  # fmt: skip
# Look-alikes: the same place and subject, the opposite movement of people; apart even
# within the hour.
LOOK_ALIKES = [
    ("en", "Valencia floods: thousands flee their homes",
     "Thousands return home as Valencia floods recede"),
    ("fr", "Inondations à Valence : des milliers d'habitants évacués",
     "Inondations à Valence : les habitants rentrent chez eux"),
    ("ru", "Наводнение в Валенсии: тысячи жителей эвакуированы",
     "Наводнение в Валенсии: жители возвращаются домой"),
]  # fmt: skip
_BACKGROUND_VECTORS = encode_headlines(BACKGROUND)
# The mechanism is tested at bars far apart (0.46 within the hour, 0.72 beyond), which
# these pairs fall between. The defaults are closer (0.48 / 0.52): on de-leaked times the
# wide gap cost recall (decision 0059, "The slice's timestamps").
BARS = DedupSettings(semantic_similarity=0.46, semantic_similarity_later=0.72)


def _window(language: str, first: str, settings: DedupSettings) -> StoryIndex:
    """The background five hours ago, then ``first`` at NOW as story s1."""
    index = story_index_for(settings)
    for number, (title, vector) in enumerate(zip(BACKGROUND, _BACKGROUND_VECTORS, strict=True)):
        index.add(f"bg{number}", f"bg{number}", title, NOW - timedelta(hours=5), language="en",
                  vector=vector)  # fmt: skip
    [vector] = encode_headlines([first])
    index.add("s1", "s1", first, NOW, language=language, vector=vector)
    return index


def _found(
    language: str, first: str, second: str, after: timedelta, settings: DedupSettings
) -> tuple[str, MatchKind] | None:
    index = _window(language, first, settings)
    [vector] = encode_headlines([second])
    found = index.find(second, NOW + after, language=language, vector=vector)
    return (found.story_id, found.kind) if found is not None else None


@pytest.mark.parametrize(("language", "first", "second", "kind"), SAME_EVENT)
def test_a_report_within_the_hour_joins(
    language: str, first: str, second: str, kind: MatchKind
) -> None:
    found = _found(language, first, second, timedelta(minutes=30), BARS)
    assert found == ("s1", kind)


@pytest.mark.parametrize(("language", "first", "second", "kind"), SAME_EVENT)
def test_the_same_report_hours_later_needs_more(
    language: str, first: str, second: str, kind: MatchKind
) -> None:
    assert _found(language, first, second, timedelta(hours=3), BARS) is None


@pytest.mark.parametrize(("language", "first", "second", "kind"), SAME_EVENT)
def test_the_recent_hours_are_a_setting(
    language: str, first: str, second: str, kind: MatchKind
) -> None:
    settings = BARS.model_copy(update={"recent_hours": 4})
    assert _found(language, first, second, timedelta(hours=3), settings) == ("s1", kind)


@pytest.mark.parametrize(("language", "first", "second", "kind"), SAME_EVENT)
def test_an_unset_later_bar_follows_a_recent_one_raised_above_it(
    language: str, first: str, second: str, kind: MatchKind
) -> None:
    """Reports hours apart are never judged more leniently than reports minutes apart."""
    settings = DedupSettings(related_similarity=0.9, semantic_similarity=0.9)
    assert _found(language, first, second, timedelta(hours=3), settings) is None


@pytest.mark.parametrize(("language", "first", "second"), LOOK_ALIKES)
def test_the_opposite_movement_stays_apart_within_the_hour(
    language: str, first: str, second: str
) -> None:
    assert _found(language, first, second, timedelta(minutes=10), DedupSettings()) is None


@pytest.mark.parametrize(("language", "first", "second", "kind"), SAME_EVENT[:2])
def test_an_earlier_report_is_as_recent_as_a_later_one(
    language: str, first: str, second: str, kind: MatchKind
) -> None:
    """Replays and late feeds give reports out of order: the gap counts either way."""
    index = _window(language, first, BARS)
    [vector] = encode_headlines([second])
    soon = index.find(second, NOW - timedelta(minutes=30), language=language, vector=vector)
    late = index.find(second, NOW - timedelta(hours=3), language=language, vector=vector)
    assert soon is not None and (soon.story_id, soon.kind) == ("s1", kind)
    assert late is None
