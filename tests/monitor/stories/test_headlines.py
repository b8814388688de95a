"""Headline text for dedup: decorations, folding, numbers, names, wire credits."""

from __future__ import annotations

import pytest

from monitor.stories import words
from monitor.stories.headlines import (
    cased_words,
    content_tokens,
    lead_of,
    name_phrases,
    normalise_headline,
    toll_numbers,
    wire_credit,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("UPDATE 2-Iranian troops land in Latakia", "iranian troops land in latakia"),
        ("BREAKING: Iranian troops land in Latakia", "iranian troops land in latakia"),
        ("WATCH: Iranian troops land in Latakia", "iranian troops land in latakia"),
        ("EXCLUSIVE-Iranian troops land in Latakia", "iranian troops land in latakia"),
        ("REFILE-Iranian troops land in Latakia", "iranian troops land in latakia"),
        ("US STOCKS-Wall St edges lower after record", "wall st edges lower after record"),
        ("Iranian troops land in Latakia (AFP)", "iranian troops land in latakia"),
        ("Iranian troops land in Latakia [video]", "iranian troops land in latakia"),
        (
            "Iranian troops land in Latakia as army readies  ...",
            "iranian troops land in latakia as army readies",
        ),
        (
            "Iranian troops land at Latakia airport ahead of offensive - Reuters",
            "iranian troops land at latakia airport ahead of offensive",
        ),
        (
            "Iranian troops land at Latakia airport ahead of offensive | Al Jazeera",
            "iranian troops land at latakia airport ahead of offensive",
        ),
        ("“Alép” under fire, says monitor", "alep under fire says monitor"),
        ("'Hama' shelled again", "hama shelled again"),
        ("Short - headline", "short headline"),
        ("CARL ICAHN: eBay owes investors", "carl icahn ebay owes investors"),
    ],
)
def test_normalise_headline_strips_wire_and_outlet_decorations(raw: str, expected: str) -> None:
    assert normalise_headline(raw) == expected


@pytest.mark.parametrize(
    ("one", "other"),
    [
        pytest.param(
            "غارة إسرائيلية على مدرسة في حلـب", "غارة اسرائيلية على مدرسه في حلب", id="ar"
        ),
        pytest.param("انفجار در کرمان ایران", "انفجار در كرمان ايران", id="fa"),
        pytest.param("İstanbul'da patlama", "ISTANBUL'DA PATLAMA", id="tr"),
        pytest.param("Ёлка сгорела в 2024", "елка сгорела в ٢٠٢٤", id="ru with digits"),
    ],
)
def test_headlines_fold_each_script_as_rules_do(one: str, other: str) -> None:
    """Story grouping reads the variant spellings of a script as one, like rule matching."""
    assert normalise_headline(one) == normalise_headline(other)


def test_content_tokens_drop_stop_words_and_numbers_and_stem_plurals() -> None:
    assert content_tokens("the troops of 2 armies arrive in latakia") == {
        "troop",
        "army",
        "arrive",
        "latakia",
    }


@pytest.mark.parametrize(
    ("folded", "tolls"),
    [
        ("air strikes north of homs kill 14 civilians", {"14"}),
        ("death toll rises to 40 in homs", {"40"}),
        ("14 dead after blast in hama", {"14"}),
        ("day 2 iranian forces fly into syria", set()),
        ("rovers win derby 2 1", set()),
    ],
)
def test_toll_numbers_are_counts_of_people_hurt(folded: str, tolls: set[str]) -> None:
    assert toll_numbers(folded) == tolls


@pytest.mark.parametrize(
    ("title", "lead", "agency"),
    [
        ("Iranian troops land in Latakia (Reuters)", "", "Reuters"),
        ("Iranian troops land in Latakia - AFP", "", "AFP"),
        ("Iranian troops land in Latakia", "BEIRUT (AP) - Hundreds of soldiers", "AP"),
        ("Iranian troops land in Latakia", "BEIRUT (MPA) — Hundreds of soldiers", "MPA"),
        ("Iranian troops land in Latakia", "Hundreds of soldiers landed (Reuters) on", "Reuters"),
        ("Outfitters options volume jumps (AEO)", "", None),
        ("Iranian troops land in Latakia", "Hundreds of soldiers landed", None),
    ],
)
def test_wire_credit_names_the_agency_a_copy_credits(
    title: str, lead: str, agency: str | None
) -> None:
    assert wire_credit(title, lead) == agency


def _capitalised_is_name(token: str, case_says_nothing: bool) -> bool:
    return not case_says_nothing


def test_name_phrases_join_runs_and_guess_places_after_locatives() -> None:
    phrases = name_phrases(
        "Iranian advisers join Quds Force officers near Hama and north of Deir Hafer",
        _capitalised_is_name,
    )
    assert phrases == [
        ("Quds Force", "actor"),
        ("Hama", "place"),
        ("Deir Hafer", "place"),
    ]


def test_name_phrases_are_capped_for_hostile_text() -> None:
    text = " and ".join(f"Name{number}" for number in range(100))
    assert len(name_phrases(text, lambda _token, _blind: True)) == 12


@pytest.mark.parametrize(
    ("summary", "title", "lead"),
    [
        ("Iranian troops land in Latakia", "Iranian troops land in Latakia!", ""),
        (
            "Hundreds of soldiers landed overnight.",
            "Troops land",
            "Hundreds of soldiers landed overnight.",
        ),
        ("", "Troops land", ""),
    ],
)
def test_lead_is_the_summary_unless_it_repeats_the_title(
    summary: str, title: str, lead: str
) -> None:
    assert lead_of(summary, title) == lead


@pytest.mark.parametrize(
    "summary",
    [
        " ".join(f"w{n}" for n in range(39)),
        " ".join(f"w{n}" for n in range(40)),
        " ".join(f"w{n}" for n in range(41)),
        "\n\t  " + "  \t".join(f"w{n}" for n in range(300)) + " \n",
        "Один\u00a0два\u2003три " * 30,
    ],
)
def test_lead_is_the_summarys_first_forty_words(summary: str) -> None:
    """Only the first words are split off a long summary: the same lead as every word split."""
    assert lead_of(summary, "Title") == " ".join(summary.split()[:40])


@pytest.mark.parametrize(
    ("headline", "language", "guesses", "read"),
    [
        ("Nîmes : les hôpitaux évacués après les inondations", "", 1, "fr"),
        ("Parliament passes the budget after a long debate", "", 1, ""),
        ("Nîmes : les hôpitaux évacués après les crues", "fr", 0, "fr"),
    ],
)  # fmt: skip
def test_a_headlines_words_guess_an_unknown_language_once(
    monkeypatch: pytest.MonkeyPatch, headline: str, language: str, guesses: int, read: str
) -> None:
    """Its stop words and the language it is stemmed in come from one guess."""
    made: list[frozenset[str]] = []

    def guess(present: frozenset[str]) -> tuple[str, int]:
        made.append(present)
        return guessing(present)

    guessing = words._guess
    monkeypatch.setattr(words, "_guess", guess)
    found = cased_words.__wrapped__(headline, language)  # not a cached reading
    assert len(made) == guesses
    assert {"les", "the", "a"}.isdisjoint(word.folded for word in found)
    assert found[-1].token == words.stem(found[-1].folded, read)
