"""bench.match_scripts: real text by script from a feeds tarball, and the corpora made of it.

The fixture feeds are written here (a Russian RSS feed, an Arabic Atom feed, an
English one); no shared data is needed.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

import rules
from bench import match_scripts
from bench.match_corpus import make_articles, make_ruleset
from bench.match_scripts import (
    FEEDS,
    Corpus,
    StreamWords,
    corpora,
    read_source,
    script_of,
    vocabulary_terms,
)

RUSSIAN = (
    "Жители северного района сообщили о перебоях с водой после ночного ливня.",
    "Городской совет обсудил ремонт старого моста через реку и новые автобусные маршруты.",
    "Представитель больницы рассказал журналистам о нехватке врачей зимой.",
    "Фермеры южной провинции ожидают хорошего урожая пшеницы осенью.",
)
ARABIC = (
    "أعلنت البلدية افتتاح جسر جديد فوق النهر صباح اليوم بحضور السكان.",
    "قال مسؤول في وزارة الصحة إن المستشفى الجديد سيفتح أبوابه الشهر المقبل.",
    "يشكو المزارعون في الجنوب من ارتفاع أسعار الوقود والأسمدة هذا العام.",
)
ENGLISH = ("The council met on Tuesday to discuss the new bus routes.",)
TAIL = ("Рыбаки восточного побережья вернулись домой невредимыми вечером.",)  # new words


def _rss(items: tuple[str, ...]) -> bytes:
    entries = "".join(
        f"<item><title>{' '.join(text.split()[:4])}</title><description>{text}</description>"
        f"<guid>g{index}</guid></item>"
        for index, text in enumerate(items)
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>{entries}</channel></rss>'.encode()  # noqa: E501


def _atom(items: tuple[str, ...]) -> bytes:
    entries = "".join(
        f"<entry><title>{text[:30]}</title><id>urn:{index}</id><summary>{text}</summary>"
        "<updated>2026-01-01T00:00:00Z</updated></entry>"
        for index, text in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        f'xml:lang="ar"><title>T</title><id>urn:f</id><updated>2026-01-01T00:00:00Z</updated>'
        f"{entries}</feed>"
    ).encode()


def _data(tmp_path: Path, copies: int = 1) -> Path:
    files = {
        "feeds/x/russian.xml": _rss(RUSSIAN * copies + TAIL * copies),
        "feeds/x/arabic.xml": _atom(ARABIC),
        "feeds/x/english.xml": _rss(ENGLISH * 20),
    }
    tarball = tmp_path / FEEDS
    tarball.parent.mkdir(parents=True)
    with tarfile.open(tarball, "w:gz") as archive:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return tmp_path


@pytest.mark.parametrize(
    ("text", "script"),
    [
        (RUSSIAN[0], "cyrillic"),
        (ARABIC[0], "arabic"),
        (ENGLISH[0], None),
        ("Программы для телефона Nokia 5800", "cyrillic"),  # most letters Cyrillic
        ("Nokia N97 Smart Movie — обзор", None),  # most letters Latin
        ("", None),
    ],
)
def test_script_of_names_the_script_of_most_letters(text: str, script: str | None) -> None:
    assert script_of(text) == script


@pytest.mark.parametrize(("script", "written", "file"), [
    ("cyrillic", RUSSIAN, "feeds/x/russian.xml"),
    ("arabic", ARABIC, "feeds/x/arabic.xml"),
])  # fmt: skip
def test_feed_entries_are_read_in_place_by_script(
    tmp_path: Path, script: str, written: tuple[str, ...], file: str
) -> None:
    source = read_source(_data(tmp_path), script)
    assert set(written) <= set(source.texts)  # each summary, as the daemon normalises it
    assert all(script_of(text) == script for text in source.texts)
    assert not any("council" in text for text in source.texts)
    assert file in source.origin and "texts of 1 sources" in source.origin


def test_absent_data_gives_labelled_synthetic_corpora(tmp_path: Path) -> None:
    found = corpora(tmp_path / "absent")
    assert [corpus.language.name for corpus in found] == [
        "English", "Arabic", "Russian", "Mixed-script"
    ]  # fmt: skip
    assert found[1].text.startswith("synthetic") and "no Arabic text" in found[1].text
    assert found[2].text.startswith("synthetic") and "no Russian text" in found[2].text
    articles = make_articles(make_ruleset(5, language=found[1].language), 3,
                             language=found[1].language)  # fmt: skip
    assert all(script_of(article.summary) == "arabic" for article in articles)


def test_enough_real_text_makes_a_real_corpus_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(match_scripts, "COMMON_WORDS", 0)  # a fixture this small has no others
    russian = corpora(_data(tmp_path, copies=40))[2]
    assert russian.text.startswith("real:") and "feeds/x/russian.xml" in russian.text
    ruleset = make_ruleset(3, language=russian.language)
    articles = make_articles(ruleset, 20, language=russian.language)
    # Terms: first the words of the held-out half that the articles' half lacks.
    tail = {word.strip(".").lower() for word in TAIL[0].split()}
    assert set(ruleset.entities["r0_actors"].terms) <= tail | {
        f"{a} {b}" for a in tail for b in tail
    }
    written = set(" ".join(RUSSIAN).split())
    term_words = {word.rstrip("*") for term in _terms(ruleset) for word in term.split()}
    for article in articles:  # real words, but for the terms put in
        assert set(article.title.split()) - written <= term_words


def _terms(ruleset: rules.RuleSet) -> list[str]:
    return [term for name in (*ruleset.entities, *ruleset.keywords)
            for term in ruleset.terms_of(name)]  # fmt: skip


def test_vocabulary_leaves_out_common_short_foreign_and_article_words() -> None:
    words = "Москва мост реку Москва, Nokia на берег Москва! мост реку".split()
    terms = vocabulary_terms(words, "cyrillic", StreamWords.of(["Берег."]), common=1)
    assert sorted(terms) == ["мост", "мост реку", "реку"]


STREAM = "Власти Москвы сообщили. وصل الوفد بدمشق أمس، Officials met".split()


@pytest.mark.parametrize(("term", "found"), [
    ("Москва", True),  # another case of a word of the stream: one stem
    ("сообщила", True),
    ("дамаск", False),
    ("دمشق", True),  # the stream writes it with a proclitic: بدمشق
    ("الوفد", True),
    ("وفود", False),
    ("مدينة الوفد", True),  # any word of a phrase
    ("officials", True),
    ("offic*", True),  # a prefix wildcard beginning a word of it
    ("влас*", True),
    ("влаз*", False),
    ("meeting", False),
])  # fmt: skip
def test_stream_words_would_match_terms_as_the_matcher_would(term: str, found: bool) -> None:
    assert StreamWords.of(STREAM).would_match(term) is found


def test_vocabulary_leaves_out_words_the_stream_holds_inflected() -> None:
    held_out = ["Москвой", "мостом", "реку"]
    terms = vocabulary_terms(held_out, "cyrillic", StreamWords.of(["Москва", "мост"]), common=0)
    assert terms == ["реку"]


@pytest.mark.parametrize("name", ["Arabic", "Russian", "Mixed-script"])
def test_each_corpus_fires_the_rule_whose_pair_it_carries(tmp_path: Path, name: str) -> None:
    corpus: Corpus = {c.language.name: c for c in corpora(tmp_path / "absent")}[name]
    ruleset = make_ruleset(40, language=corpus.language)
    matcher = rules.compile_rules(ruleset)
    articles = make_articles(ruleset, 300, language=corpus.language)
    carrying = [article for article in articles if article.fires]
    assert 10 <= len(carrying) <= 60
    for article in carrying:
        if article.fires not in {match.rule for match in matcher.match(article.fields)}:
            # Only where a stray term of another rule took the place of the pair's keyword.
            keywords = ruleset.keywords[f"{article.fires}_words"].terms
            assert not any(term.rstrip("*") in article.summary for term in keywords)
