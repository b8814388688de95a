"""Normalisation and tokenisation shared by rule terms and article text."""

from __future__ import annotations

import pytest

from rules import normalise, tokenise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Damascus", "damascus", id="case folding"),
        pytest.param("STRAßE", "strasse", id="full case folding"),
        pytest.param("Alép", "alep", id="precomposed diacritic"),
        pytest.param("Ale\u0301p", "alep", id="combining diacritic"),
        pytest.param("Şanlıurfa", "sanlıurfa", id="cedilla dropped, dotless i kept"),
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
