"""Alert excerpts: windows of the article around the matched terms, terms marked."""

from __future__ import annotations

import json

import httpx
import pytest

from monitor.alerting.excerpts import MAX_CHARS, WINDOW_WORDS, Excerpt, make_excerpt
from monitor.store import Store
from tests.support.desk import Desk, webhook
from tests.support.receiver import HttpReceiver


def _words(prefix: str, count: int) -> str:
    return " ".join(f"{prefix}{index}" for index in range(count))


def shown(excerpt: Excerpt) -> str:
    """The excerpt with its marks in [brackets], to compare with one string."""
    text, position, parts = excerpt.text, 0, []
    for start, end in excerpt.marks:
        parts += [text[position:start], "[", text[start:end], "]"]
        position = end
    return "".join([*parts, text[position:]])


CASES = [
    pytest.param("", ["x"], "", id="empty text: no excerpt"),
    pytest.param(" \n\t ", ["x"], "", id="blank text: no excerpt"),
    pytest.param(
        "Shelling near the port.", ["shelling"], "[Shelling] near the port.", id="short text whole"
    ),
    pytest.param(
        "Calm day at the port.", ["shelling"], "Calm day at the port.", id="no match: the lead"
    ),
    pytest.param(
        f"{_words('w', 40)} HEZBOLLAH's fighters crossed {_words('x', 40)}",
        ["Hezbollah"],
        f"… {' '.join(f'w{i}' for i in range(26, 40))} [HEZBOLLAH]'s fighters crossed"
        f" {_words('x', 13)} …",
        id="window cut both sides at words",
    ),
    pytest.param(
        f"Hezbollah said {_words('w', 80)} then an air\n strike {_words('x', 80)}",
        ["Hezbollah", "air strike"],
        f"[Hezbollah] said {_words('w', 28)} … {' '.join(f'w{i}' for i in range(68, 80))}"
        f" then an [air strike] {_words('x', 14)} …",
        id="two windows for two far terms",
    ),
    pytest.param(
        f"Hezbollah and Hezbollah again near Homs {_words('w', 80)}",
        ["Hezbollah", "Homs"],
        f"[Hezbollah] and [Hezbollah] again near [Homs] {_words('w', 24)} …",
        id="near terms share one window, every occurrence marked",
    ),
    pytest.param("قصف عنيف على\nدِمَشْق اليوم", ["دمشق"], "قصف عنيف على [دِمَشْق] اليوم", id="arabic"),
    pytest.param("في ودمشق اليوم", ["دمشق"], "في [ودمشق] اليوم", id="arabic prefixed form"),
    pytest.param(
        "غارة على حلـــبَ ثم إِدْلِب",
        ["حلب", "ادلب"],
        "غارة على [حلـــبَ] ثم [إِدْلِب]",
        id="arabic tatweel, harakat and hamza marked whole",
    ),
    pytest.param("Взрыв: МОСКВА и Москве", ["Москва"], "Взрыв: [МОСКВА] и [Москве]", id="russian"),
    pytest.param("Рим и рима", ["Рим"], "[Рим] и рима", id="short russian name: own form"),
    pytest.param(
        "İSTANBUL'da patlama, ıstanbul",
        ["Istanbul"],
        "[İSTANBUL]'da patlama, [ıstanbul]",
        id="turkish",
    ),
    pytest.param("troops deployed", ["deploy*"], "troops [deployed]", id="prefix term"),
]


@pytest.mark.parametrize(("text", "terms", "expected"), CASES)
def test_excerpt(text: str, terms: list[str], expected: str) -> None:
    excerpt = make_excerpt(text, terms)
    assert shown(excerpt) == expected
    assert len(excerpt.text) <= MAX_CHARS


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "Deux [frappes aériennes] puis une [frappe aérienne]"),
        ("en", "Deux frappes aériennes puis une [frappe aérienne]"),
    ],
)
def test_latin_inflected_forms_are_marked_in_the_articles_language(
    language: str, expected: str
) -> None:
    text = "Deux frappes aériennes puis une frappe aérienne"
    assert shown(make_excerpt(text, ["frappe aérienne"], language)) == expected


def test_windows_hold_at_most_the_word_and_character_budget() -> None:
    long_words = " ".join(f"word{index:04d}" for index in range(200))
    for excerpt in (make_excerpt(_words("w", 200), ["w100"]), make_excerpt(long_words, ["x"])):
        assert len(excerpt.text) <= MAX_CHARS
        assert len(excerpt.text.replace("…", "").split()) <= WINDOW_WORDS


@pytest.mark.parametrize(
    ("word", "kept"),
    [
        pytest.param("e\u0301" * 400, "e\u0301", id="combining marks stay on their letter"),
        pytest.param("👩\u200d🚒" * 200, "👩\u200d🚒", id="joined emoji stay whole"),
    ],
)
def test_a_word_longer_than_the_budget_is_cut_between_characters(word: str, kept: str) -> None:
    excerpt = make_excerpt(word, ["x"])
    assert excerpt.text.endswith(" …") and len(excerpt.text) <= MAX_CHARS
    body = excerpt.text.removesuffix(" …")
    assert body == kept * (len(body) // len(kept))


def test_a_term_inside_a_run_without_spaces_is_kept_in_the_cut() -> None:
    """A window is cut around the term even when no space is near it."""
    run = "-".join(["x"] * 300 + ["Hezbollah"] + ["y"] * 300)
    excerpt = make_excerpt(f"Lead words. {run} tail words.", ["Hezbollah"])
    assert excerpt.text.startswith("… x-x-") and excerpt.text.endswith(" …")
    assert "x-Hezbollah-y-y" in excerpt.text
    assert [excerpt.text[start:end] for start, end in excerpt.marks] == ["Hezbollah"]
    assert len(excerpt.text) <= MAX_CHARS


def test_two_windows_of_long_words_stay_within_the_budget() -> None:
    """Ellipses included, whatever the word lengths."""
    for size in range(1, 40):
        filler = " ".join(["w" * size] * 100)
        excerpt = make_excerpt(f"{filler} Homs {filler} Hama {filler}", ["Homs", "Hama"])
        assert len(excerpt.text) <= MAX_CHARS, size
        assert [excerpt.text[s:e] for s, e in excerpt.marks] == ["Homs", "Hama"], size


async def test_delivered_alerts_carry_the_excerpt_of_the_stored_article(
    store: Store, http: httpx.AsyncClient
) -> None:
    """Through the store and the dispatcher: the article's summary, the term marked."""
    with HttpReceiver() as receiver:
        desk = Desk(store, {"hook": webhook(receiver.url(), http)})
        await desk.alert("s1", terms=("number",))
        assert await desk.sweep() == {"sent": 1}
        (request,) = receiver.wait_for(1)
    assert json.loads(request.body)["excerpt"] == {"text": "Report number 1.", "marks": [[7, 13]]}
