"""Normalisation and tokenisation shared by rule terms and article text."""

from __future__ import annotations

import random

import pytest

from rules import normalise, tokenise
from rules.field import FieldText, Found
from rules.markup import strip_markup
from rules.sentences import sentence_starts
from rules.text import _CODE_PAGES, fold


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Damascus", "damascus", id="case folding"),
        pytest.param("STRAßE", "strasse", id="full case folding"),
        pytest.param("Alép", "alep", id="precomposed diacritic"),
        pytest.param("Ale\u0301p", "alep", id="combining diacritic"),
        pytest.param("Şanlıurfa", "sanliurfa", id="cedilla dropped, dotless i folded"),
        pytest.param("İdlib", "idlib", id="dotted capital I"),
        pytest.param("ＩＲＡＮ", "iran", id="NFKC fullwidth"),
        pytest.param("ﬁghters", "fighters", id="NFKC ligature"),
        pytest.param("Iran's", "iran", id="straight possessive"),
        pytest.param("Iran’s", "iran", id="curly possessive"),
        pytest.param("Iranʼs", "iran", id="modifier-letter apostrophe possessive"),
        pytest.param("the rebels' positions", "the rebels positions", id="plural possessive"),
        pytest.param("“Iran” said", "iran said", id="curly double quotes"),
        pytest.param("Hezbollah-backed", "hezbollah backed", id="hyphen"),
        pytest.param("Homs—Hama", "homs hama", id="em dash"),
        pytest.param("2015–2016", "2015 2016", id="en dash"),
        pytest.param("Ir\u00adan", "iran", id="soft hyphen joins"),
        pytest.param("  air\tstrike\n\nnear  Homs ", "air strike near homs", id="whitespace"),
        pytest.param("U.S.-led (coalition)!", "u s led coalition", id="punctuation"),
        pytest.param("Iran 's", "iran s", id="detached s is a word"),
        pytest.param("'s", "s", id="lone s is a word"),
        pytest.param("— … ‘ ’", "", id="no letters or digits"),
        pytest.param("", "", id="empty"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    """Text folds to lower-case words without diacritics, split on anything else."""
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "originals"),
    [
        pytest.param("Iran's IRGC", ["Iran", "IRGC"], id="possessive not in span"),
        pytest.param("near Alép, again", ["near", "Alép", "again"], id="accented word"),
        pytest.param("Ale\u0301p", ["Ale\u0301p"], id="combining mark inside span"),
        pytest.param("ＩＲＡＮ’s ﬁghters", ["ＩＲＡＮ", "ﬁghters"], id="NFKC chars keep span"),
        pytest.param("Hezbollah–backed", ["Hezbollah", "backed"], id="dash between"),
    ],
)
def test_tokens_point_into_the_original_text(text: str, originals: list[str]) -> None:
    """Each token's offsets cut its word out of the original, unnormalised text."""
    assert [text[token.start : token.end] for token in tokenise(text)] == originals


def test_hostile_text_tokenises_without_error() -> None:
    """Control characters, unpaired surrogates and odd scripts are just separators or words."""
    text = "\x00Iran\x1b[31m\ud800 Хомс 霍姆斯 \U0001f4a5 Homs"
    assert [token.text for token in tokenise(text)] == ["iran", "31m", "хомс", "霍姆斯", "homs"]


# The fast fold (bytes for ASCII, a translate table otherwise) must give exactly the words
# tokenise gives, or hits would be located at the wrong words.
_ALPHABET = [
    "a", "B", "s", "S", "'", "’", "‘", "ʼ", "＇", "-", "—", " ", "  ", "\n", "\t", ",", ".",
    "é", "E\u0301", "\u00ad", "\u200b", "ß", "İ", "ﬁ", "Ω", "х", "霍", "1", "_", "&", "<",
    "\x00", "…", "\u00a0", "ा", "أ", "ـ", "\u064e", "ی", "ة", "٣", "۴", "ı", "\u200c", "ё",
]  # fmt: skip


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 14))) for _ in range(count)]


@pytest.mark.parametrize("seed", range(4))
def test_fold_gives_the_words_of_tokenise(seed: int) -> None:
    for text in _random_texts(2_000, seed):
        words = normalise(text)
        assert fold(text)[0] == (f" {words} " if words else " "), repr(text)


@pytest.mark.parametrize("seed", range(4))
def test_located_words_are_the_words_tokenise_locates(seed: int) -> None:
    """Every word found in the folded text maps back to tokenise's span for it."""
    for text in _random_texts(1_000, seed):
        field = FieldText("title", text)
        tokens = tokenise(text)
        words = field.folded.split()
        assert len(words) == len(tokens), repr(text)
        start = 1
        for index, word in enumerate(words):
            found = Found("title", index, index, 0, start, start + len(word))
            assert field.span(found) == (tokens[index].start, tokens[index].end), repr(text)
            start += len(word) + 1


# Text in one script, as news writes it: most of it folds in place (each character to at
# most one), so hits are located from the separated text rather than by tokenise; the
# rarer characters (apostrophes, ligatures, characters past the prefilled blocks) send
# it the slow way. Both must locate every word where tokenise does.
_COMMON = [" ", " ", ", ", ".", "-", "—", "«", "»", "\n", "1", "7", "\u00a0", "(", ")", "%", "…"]
_SCRIPTS = {
    "cyrillic": ["Моск", "ва", "Дамаск", "е", "ё", "Ё", "й", "ї", "і", "є", "ґ", "е\u0308",
                 "−", "№"],
    "arabic": ["بدمشق", "الـ", "ـ", "\u064e", "\u0650", "\u0651", "أ", "إ", "آ", "ة", "ى", "٣",
               "٢٠", "ﻻ", "ﷲ", "؟", "،", "ـــ", "\u0670", "لل"],
    "persian": ["می", "\u200c", "خواهد", "ی", "ک", "ۀ", "۱۴۰۳", "\u200d", "گ", "پ", "چ", "ژ"],
    "turkish": ["Şam", "'", "da", "’", "İ", "ı", "I", "i", "ğ", "ç", "ö", "ü", "Türkiye",
                "İstanbul"],
    "latin accents": ["l", "'", "armée", "É", "é", "E\u0301", "ñ", "ß", "ﬁ", "Ø", "æ", "ł",
                      "\u00ad", "Ωμέγα", "ǆ", "½"],
    # several code pages in one text: folded run by run
    "mixed": ["Дамаск", "е", "ё", "بدمشق", "ـ", "\u064e", "ی", "۱۴", "Şam", "ı", "armée",
              "Ωμέγα", "\u200c", "’", "Homs"],
}  # fmt: skip


def _script_texts(script: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = _SCRIPTS[script] * 2 + _COMMON
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16))) for _ in range(count)]


@pytest.mark.parametrize("script", sorted(_SCRIPTS))
def test_text_folded_in_place_locates_words_as_tokenise(script: str) -> None:
    """Words folded in place (``Folded`` with a separated text) are the words of
    tokenise, located where tokenise locates them; and the fast path is taken."""
    in_place = 0
    for text in _script_texts(script, 1_500, seed=len(script)):
        field = FieldText("title", text)
        tokens = tokenise(text)
        assert field.folded == fold(text)[0] == (f" {normalise(text)} " if tokens else " ")
        in_place += field.separated is not None
        start = 1
        for index, word in enumerate(field.folded.split()):
            found = Found("title", index, index, 0, start, start + len(word))
            assert field.span(found) == (tokens[index].start, tokens[index].end), repr(text)
            start += len(word) + 1
    assert in_place > 150  # the fast path is exercised


# Text folded through code pages, run by run where it mixes scripts: the words of
# tokenise, and a separated text of bytes unless some character joins (then a str).
@pytest.mark.parametrize(("text", "words", "separated"), [
    ("Удары по Дамаску", "удары по дамаску", bytes),
    ("غارات على دمشق", "غارات علي دمشق", bytes),  # alef maqsura as yeh
    ("Хомс حمص Homs", "хомс حمص homs", bytes),
    ("حمص/Хомс—Homs", "حمص хомс homs", bytes),  # scripts meeting without a space
    ("حمصХомс", "حمصхомс", bytes),  # nor a separator: one word
    ("«Хомс» «حمص» Şam", "хомс حمص sam", bytes),  # Turkish: a third page
    ("Ωμέγα и Омега", "ωμεγα и омега", bytes),
    ("می\u200cخواهد Москва", "ميخواهد москва", str),  # ZWNJ joins; Persian yeh
    ("مُحَمَّد Ёлка", "محمد елка", str),  # harakat dropped; ё as е
    ("دمشـــق Дамаск", "دمشق дамаск", str),  # tatweel
    ("ی Москва", "ي москва", bytes),  # Persian yeh, before any page's letter
    ("۱۴۰۳ год ٢٠٢٦ عام", "1403 год 2026 عام", bytes),  # Persian and Arabic-Indic digits
    ("Москва — ۱۴", "москва 14", bytes),
    ("Şam'da Дамаск", "sam da дамаск", None),  # apostrophes: the general path
    ("Дамаск’а حمص", "дамаск а حمص", None),
    ("Москва 東京 حمص", "москва 東京 حمص", None),  # a character no page holds
    (" — Москва , حمص . ", "москва حمص", bytes),
    ("Москва…حمص‼ Homs", "москва حمص homs", bytes),  # folds to separators only: one
    ("Ир\u00adан ایران", "иран ايران", str),  # the soft hyphen joins
])  # fmt: skip
def test_mixed_scripts_fold_as_tokenise(text: str, words: str, separated: type | None) -> None:
    field = FieldText("summary", text)
    assert field.folded == f" {words} " == f" {normalise(text)} "
    assert (None if field.separated is None else type(field.separated)) is separated
    tokens = tokenise(text)
    start = 1
    for index, word in enumerate(words.split()):
        found = Found("summary", index, index, 0, start, start + len(word))
        assert field.span(found) == (tokens[index].start, tokens[index].end)
        start += len(word) + 1


def test_text_alternating_scripts_past_the_runs_limit_folds_the_general_way() -> None:
    """Forty runs are too many for code pages (hostile text could make each page encode
    it again and again): it folds by a translation table, to the same words."""
    text = "Ωμεγα حمص " * 20  # Greek and Arabic: two pages
    assert _CODE_PAGES.separate(text) is None
    assert fold(text) == (" " + "ωμεγα حمص " * 20, text.lower())


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Iran spoke. Troops moved.", ["Iran spoke. ", "Troops moved."]),
        ("Mr. Assad spoke. Gen. J. Smith left!", ["Mr. Assad spoke. ", "Gen. J. Smith left!"]),
        ("The U.S. said so. 3 died.", ["The U.S. said so. ", "3 died."]),
        ("He said “Yes.” Then left", ["He said “Yes.” ", "Then left"]),
        ("It rose 3.5 percent. Homs", ["It rose 3.5 percent. ", "Homs"]),
        ("one\ntwo", ["one\n", "two"]),
        ("e.g. this, and that", ["e.g. this, and that"]),
        ("霍姆斯。叙利亚", ["霍姆斯。", "叙利亚"]),
        ("", [""]),
    ],
)
def test_sentence_boundaries(text: str, sentences: list[str]) -> None:
    """Full stops end sentences except after abbreviations and initials; line breaks too."""
    starts = sentence_starts(text)
    assert [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)] == sentences


@pytest.mark.parametrize(
    ("markup", "plain"),
    [
        ("<p>Iran</p><p>Homs</p>", " Iran  Homs "),
        ("<b>Iran</b>&#39;s", "Iran's"),
        ("Homs &amp; Hama", "Homs & Hama"),
        ("&lt;b&gt;Homs&lt;/b&gt;", "Homs"),
        ("a < b and c > d", "a < b and c > d"),
        ("AT&T and R&D", "AT&T and R&D"),
        ("x<script>Iran()</script>y<!-- Homs -->z<style>p{}</style>", "x y z "),
        ("<p unclosed", "<p unclosed"),
    ],
)
def test_markup_is_stripped_and_entities_decoded(markup: str, plain: str) -> None:
    assert strip_markup(markup).text.strip() == plain.strip()


def test_stripped_text_maps_back_to_the_original() -> None:
    markup = "<p>Near <b>Alép</b>&nbsp;&amp; Homs</p>"
    plain = strip_markup(markup)
    start = plain.text.index("Homs")
    assert markup[slice(*plain.original_span(start, start + 4))] == "Homs"
    entity = plain.text.index("&")
    assert markup[slice(*plain.original_span(entity, entity + 1))] == "&amp;"
