"""``find_terms``: where terms are in a text, found exactly as the matcher finds them."""

from __future__ import annotations

import pytest

from rules import find_terms
from tests.support.marks import marked_by_matcher

CASES = [
    pytest.param("HEZBOLLAH's fighters", "Hezbollah", ["HEZBOLLAH"], id="case and possessive"),
    pytest.param("pro–Hezbollah units", "Hezbollah", ["Hezbollah"], id="dash separates"),
    pytest.param("Hamas said", "Hama", [], id="whole words only"),
    pytest.param("troops deployed, deploying", "deploy*", ["deployed", "deploying"], id="prefix"),
    pytest.param(
        "an air\n  strike near", "air strike", ["air\n  strike"], id="phrase over a break"
    ),
    pytest.param("قصف عنيف على دِمَشْق اليوم", "دمشق", ["دِمَشْق"], id="arabic with harakat"),
    pytest.param("قصف على ودمشق", "دمشق", ["ودمشق"], id="arabic prefixed form as the matcher"),
    pytest.param("حمله در تهران", "تهران", ["تهران"], id="persian"),
    pytest.param("В МОСКВА заявили", "Москва", ["МОСКВА"], id="russian case insensitive"),
    pytest.param("в Москве заявили", "Москва", ["Москве"], id="russian case form as the matcher"),
    pytest.param("в Риме и рима", "Рим", [], id="short russian name: its own form only"),
    pytest.param("Ёлка и ёлка", "елка", ["Ёлка", "ёлка"], id="russian yo folds"),
    pytest.param("İSTANBUL'da", "Istanbul", ["İSTANBUL"], id="turkish dotted capital"),
    pytest.param("ıstanbul", "Istanbul", ["ıstanbul"], id="turkish dotless i folds"),
    pytest.param("Alép and Ale\u0301p", "Alep", ["Alép", "Ale\u0301p"], id="accents"),
]


@pytest.mark.parametrize(("text", "term", "expected"), CASES)
def test_finds_what_the_matcher_matches_on_the_original_text(
    text: str, term: str, expected: list[str]
) -> None:
    found = [text[hit.start : hit.end] for hit in find_terms(text, [term])]
    assert found == expected
    assert found == marked_by_matcher(term, text)


def test_occurrences_of_several_terms_come_in_text_order() -> None:
    found = find_terms("Homs, then Hama, then Homs again", ["Hama", "Homs", "Hama"])
    assert [(hit.term, hit.start) for hit in found] == [("Homs", 0), ("Hama", 11), ("Homs", 22)]


@pytest.mark.parametrize("term", ["", "  ", "—", "*"])
def test_a_term_without_words_finds_nothing(term: str) -> None:
    assert find_terms("anything at all", [term]) == []
