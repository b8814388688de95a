"""An article's fields folded into one text for one scan, and hits located back in them.

The joined fast path (plain ASCII fields folded together, hits located in the joined
separated bytes) must give exactly what folding and locating each field on its own
gives, whatever the text: these tests compare the two.
"""

from __future__ import annotations

import random

import pytest

from rules.field import ArticleText, FieldText, Found, fold_field
from rules.text import FIELD_BREAK, JOINER, fold_joined, tokenise

_ALPHABET = [
    "a", "B", "s", "'", "’", "-", "—", " ", "  ", "\n", ",", ".", "é", "\u00ad", "1", "&",
    "<", "\x00", "…", "\u00a0", "¶", "\x1f", "Iran", "Homs", " - ", ", ",
]  # fmt: skip


def _random_fields(count: int, seed: int, ascii_only: bool) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    # ascii_only: what the joined fast path takes (ASCII without markup characters)
    alphabet = [part for part in _ALPHABET if not ascii_only or _plain_ascii(part)]
    return [
        tuple(
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
            for _ in range(rng.randint(1, 3))
        )
        for _ in range(count)
    ]


def _plain_ascii(text: str) -> bool:
    return text.isascii() and not set(text) & set("&<")


def _separately(texts: tuple[str, ...]) -> str:
    return FIELD_BREAK.join(fold_field(text)[0] for text in texts)


@pytest.mark.parametrize(
    ("texts", "joined", "separated"),
    [
        pytest.param(("Iran, Homs.", "Hama - Aleppo"), " iran homs ¶ hama aleppo ", bytes,
                     id="two"),
        pytest.param(("Iran",), " iran ", bytes, id="one field"),
        pytest.param(("!!", "Homs", "..."), " ¶ homs ¶ ", bytes, id="fields without words"),
        pytest.param(("Iran’s “move”", "Homs–Hama"), " iran move ¶ homs hama ", None,
                     id="curly 's"),
        pytest.param(("O'Brien's", "rebels'", "'s"), " o brien ¶ rebels ¶ s ", None,
                     id="apostrophes"),
        pytest.param(("Iran's",), " iran ", None, id="straight apostrophe"),
        pytest.param(("“Iran” – Homs",), " iran homs ", bytes,
                     id="curly quotes and dash substituted"),
        pytest.param(("Alép", "Homs"), " alep ¶ homs ", bytes, id="accent: one code page"),
        pytest.param(("Хомс — Хама", "Homs"), " хомс хама ¶ homs ", bytes, id="cyrillic"),
        pytest.param(("حمص", "Хомс, «Homs»"), " حمص ¶ хомс homs ", bytes, id="two pages"),
        pytest.param(("دمشـق", "Дамаск"), " دمشق ¶ дамаск ", str, id="tatweel joins"),
        pytest.param(("Şam'da", "Хомс"), None, None, id="apostrophe: general path"),
        pytest.param(("a¶b", "c"), None, None, id="a field holding the break is not ASCII"),
        pytest.param(("Хомс¶", "c"), None, None, id="nor other text"),
        pytest.param(("a\x1fb", "c"), " a b ¶ c ", bytes, id="control characters separate"),
    ],
)  # fmt: skip
def test_fold_joined(
    texts: tuple[str, ...], joined: str | None, separated: type[bytes | str] | None
) -> None:
    """Fields fold together (plain ASCII, or text code pages hold); anything else is
    left to the field-by-field fold."""
    folded = fold_joined(JOINER.join(texts), texts)
    assert (folded[0] if folded else None) == joined
    if folded is not None:
        assert folded[0] == _separately(texts)
        kind = folded[1].__class__ if folded[1] is not None else None
        assert kind is separated


@pytest.mark.parametrize("ascii_only", [True, False], ids=["ascii", "any text"])
@pytest.mark.parametrize("seed", range(3))
def test_joined_text_is_each_field_folded(seed: int, ascii_only: bool) -> None:
    """The scanned text is each field's fold, joined by FIELD_BREAK, on every path."""
    for texts in _random_fields(1_500, seed, ascii_only):
        names = tuple(f"f{index}" for index in range(len(texts)))
        assert ArticleText(names, texts).text == _separately(texts), repr(texts)
        if ascii_only:
            assert fold_joined(JOINER.join(texts), texts) is not None, repr(texts)


@pytest.mark.parametrize("ascii_only", [True, False], ids=["ascii", "any text"])
@pytest.mark.parametrize("seed", range(3))
def test_every_word_is_located_as_its_own_field_locates_it(seed: int, ascii_only: bool) -> None:
    """Spans of single words and of word runs agree with FieldText and tokenise."""
    for texts in _random_fields(600, seed, ascii_only):
        names = tuple(f"f{index}" for index in range(len(texts)))
        article = ArticleText(names, texts)
        for name, text, folded in zip(names, texts, article.text.split(FIELD_BREAK), strict=True):
            alone = FieldText(name, text)
            tokens = tokenise(alone.plain.text)
            for found in _every_run(name, folded, 3):
                assert article.span(found) == alone.span(found), repr((texts, found))
                if alone.plain.starts is None:
                    expected = (tokens[found.first].start, tokens[found.last].end)
                    assert article.span(found) == expected, repr((texts, found))


def _every_run(name: str, folded: str, longest: int) -> list[Found]:
    """A Found for every run of up to ``longest`` words of a field's folded text."""
    words = folded.split()
    starts = [1]
    for word in words:
        starts.append(starts[-1] + len(word) + 1)
    return [
        Found(name, first, last, 0, starts[first], starts[last] + len(words[last]))
        for first in range(len(words))
        for last in range(first, min(len(words), first + longest))
    ]


def test_a_field_is_prepared_once() -> None:
    article = ArticleText(("title", "summary"), ("Iran", "Homs, Hama"))
    assert article.field("summary") is article.field("summary")
    assert article.field("summary").folded == " homs hama "
    assert article.field("summary").separated == b"homs  hama"
