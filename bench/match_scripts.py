"""Arabic, Russian and mixed-script corpora for ``bench.match``, from real text where there is some.

Real text is read in place from the shared data (never copied into the project):
entries of the feeds in ``feeds-corpus/feeds.tar.gz`` (parsed and normalised as the
daemon does) and article bodies of ``article-extraction/ground-truth.json``, each text
kept for the script most of its letters are written in. The words of a script's
texts are cut in two halves. Articles are runs of 80 consecutive words of the first
(a 12-word title, a 68-word summary, the punctuation as written); rule terms are
taken first from the vocabulary of the second (words of four letters or more in its
script and pairs of adjacent ones, less the most frequent, which no one watches for),
then from the bundled packs' terms in its script, and invented words once those run
out. No term is one the matcher would find in the first half (``StreamWords``): none
shares a stem with a word of it, or a proclitic form's stem for an Arabic word, and
no prefix wildcard begins one of its words. So hits come only from the terms put in,
as for English: one article in ten fires, every one has two stray hits.

Where a script has no real text (the shared data has no Arabic to speak of), its
corpus is built from a short list of common words written for this benchmark and
labelled *synthetic* in the report. The mixed-script corpus writes each article in
all three scripts: a title in one, its summary a third Arabic, a third Russian and
a third English, as bilingual feeds do; its terms are drawn from all three.
"""

from __future__ import annotations

import gzip
import itertools
import json
import random
import re
import tarfile
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import rules
from bench.match_corpus import ENGLISH, SUMMARY_WORDS, TITLE_WORDS, Language, TermMaker
from monitor.feeds.normalise import normalise_entry
from monitor.feeds.parser import ParseError, parse_feed
from rules.inflection import stem, term_forms
from rules.packs import bundled
from rules.text import fold, term_pattern

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FEEDS = Path("feeds-corpus") / "feeds.tar.gz"
PAGES = Path("article-extraction") / "ground-truth.json"
SCRIPTS = {
    "arabic": re.compile(r"[\u0620-\u064a\u0671-\u06d3\u06fa-\u06ff]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
}
SCRIPT_SHARE = 0.6  # of a text's letters, for the text to count as written in a script
MIN_RAW_LETTERS = 50  # a feed file with fewer letters of a script is not parsed for it
COMMON_WORDS = 300  # the most frequent words of a corpus are not made terms
MIN_WORD = 4
FETCHED_AT = datetime(2026, 1, 1, tzinfo=UTC)
ARTICLE_WORDS = TITLE_WORDS + SUMMARY_WORDS

# Common words written for this benchmark, used only when a script has no real text.
ARABIC_WORDS = tuple(
    """في من على إلى عن مع بعد قبل خلال بين أن قال قالت وزير الحكومة الرئيس الجيش القوات
    مدينة منطقة اليوم أمس الأسبوع مصادر محلية وكالة الأنباء بيان رسمي الشرطة المحكمة
    الانتخابات البرلمان الحزب المعارضة السكان العمال السوق الأسعار التجارة الطاقة المياه
    الطرق المدارس المستشفى المجلس الدولة الشمال الجنوب الشرق الغرب الحدود النهر العاصمة
    المحافظة القرية الساحل المتحدث أعلن أكد أضاف حذر دعا وأضاف وقال التي الذي هذا هذه
    كما لكن أيضا عدد عدة كبير صغير جديد الأول الثاني الثالث العام الشهر المقبل الماضي
    اجتماع محادثات خطة مسؤولون المواطنين الوطنية الدولية الإقليمية""".split()
)
RUSSIAN_WORDS = tuple(
    """в на с по из за от до для о об и а но что как это его её их который которые
    сообщил сообщили заявил заявила министр правительство президент власти город области
    района жители рабочие рынок цены торговля энергия вода дороги школы больница совет
    полиция суд выборы партия лидеры агентство заявление источники понедельник вторник
    среда четверг пятница неделя месяц год года после перед во время около через между
    также ещё первый второй третий многие несколько крупный новый старый северный южный
    восточный западный граница река столица провинция село побережье представитель""".split()
)
_ARABIC_LETTERS = ("بتثجحخدذرزسشصضطظعغفقكلمنه", "اوي")
_CYRILLIC_LETTERS = ("бвгдзклмнпрстфхцчш", "аеиоуыя")


@dataclass(frozen=True, slots=True)
class Source:
    """The real text of one script and where it came from; empty texts: none found."""

    script: str
    texts: tuple[str, ...]
    origin: str

    @property
    def words(self) -> list[str]:
        return [word for text in self.texts for word in text.split()]


def script_of(text: str) -> str | None:
    """The script most of ``text``'s letters are written in, of those in SCRIPTS."""
    letters = sum(map(str.isalpha, text))
    for script, pattern in SCRIPTS.items():
        if letters and len(pattern.findall(text)) >= SCRIPT_SHARE * letters:
            return script
    return None


def feed_texts(tarball: Path, script: str) -> Iterator[tuple[str, str]]:
    """(file, text) for each entry title and summary of the tarball's feeds in ``script``."""
    pattern = SCRIPTS[script]
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            handle = archive.extractfile(member) if member.isfile() else None
            body = handle.read() if handle is not None else b""
            raw = body.decode("utf-8", "replace")
            if len(pattern.findall(raw)) >= MIN_RAW_LETTERS:
                yield from ((member.name, text) for text in _entry_texts(member.name, body))


def _entry_texts(name: str, body: bytes) -> Iterator[str]:
    try:
        entries = parse_feed(body, content_type=None, url=f"https://corpus.invalid/{name}").entries
    except ParseError:
        return
    for entry in entries:
        article = normalise_entry(entry, feed_url=name, feed_name=name, fetched_at=FETCHED_AT)
        yield from (text for text in (article.title, article.summary or article.content) if text)


def page_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(url, body) of each article of an article-extraction ground truth file."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        pages = json.load(handle)
    for key in sorted(pages):
        yield pages[key].get("url", key), pages[key].get("articleBody", "")


def read_source(data: Path, script: str) -> Source:
    """Every real text of ``script`` under ``data``; no texts when the files are absent."""
    found: list[tuple[str, str]] = []
    if (data / FEEDS).exists():
        found += feed_texts(data / FEEDS, script)
    if (data / PAGES).exists():
        found += page_texts(data / PAGES)
    kept = [(where, text) for where, text in found if script_of(text) == script]
    return Source(script, tuple(text for _, text in kept), _origin(kept))


def _origin(kept: Sequence[tuple[str, str]]) -> str:
    if not kept:
        return "no real text found"
    places = sorted({where for where, _ in kept})
    words = sum(len(text.split()) for _, text in kept)
    return f"{words:,} words in {len(kept)} texts of {len(places)} sources: " + ", ".join(places)


# -- the languages -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamWords:
    """The words articles are made of, as the matcher reads them: to keep terms out."""

    stems: frozenset[str]
    folded: tuple[str, ...]  # sorted, for prefix wildcards

    @classmethod
    def of(cls, words: Sequence[str]) -> StreamWords:
        folded = set(fold(" ".join(words))[0].split())
        return cls(frozenset(map(stem, folded)), tuple(sorted(folded)))

    def would_match(self, term: str) -> bool:
        """Whether the matcher could find some word of ``term`` among these words: by
        its stem (for an Arabic word, any proclitic form's), or as a prefix."""
        pattern = term_pattern(term)
        if pattern.prefix and pattern.words and self._begins(pattern.words[-1]):
            return True
        forms = (form for word in pattern.words for form in term_forms((word,))[0])
        return any(form in self.stems for form in forms)

    def _begins(self, prefix: str) -> bool:
        index = bisect_left(self.folded, prefix)
        return index < len(self.folded) and self.folded[index].startswith(prefix)


def real_language(name: str, source: Source) -> Language:
    """Articles cut from the source's words; terms from its vocabulary first."""
    words = source.words
    stream, held_out = words[: len(words) // 2], words[len(words) // 2 :]
    avoid = StreamWords.of(stream)
    packs = [term for term in pack_terms(source.script) if not avoid.would_match(term)]
    pool = vocabulary_terms(held_out, source.script, avoid) + packs
    return Language(name, lambda: pooled(pool, _invented(source.script, avoid)), _windows(stream),
                    _as_written, _endings(source.script))  # fmt: skip


def synthetic_language(name: str, script: str) -> Language:
    """Common words written for this benchmark, in random order; invented terms."""
    words = ARABIC_WORDS if script == "arabic" else RUSSIAN_WORDS
    avoid = StreamWords.of(words)
    pool = [term for term in pack_terms(script) if not avoid.would_match(term)]
    return Language(name, lambda: pooled(pool, _invented(script, avoid)), _random_words(words),
                    _as_written, _endings(script))  # fmt: skip


def mixed_language(parts: Sequence[Language]) -> Language:
    """Titles in one script, summaries in all of them, terms from all of them."""

    def terms() -> TermMaker:
        makers = [part.terms() for part in parts]
        return lambda rng, used: rng.choice(makers)(rng, used)

    def filler(rng: random.Random) -> tuple[list[str], list[str]]:
        title = rng.choice(parts).filler(rng)[0]
        share = SUMMARY_WORDS // len(parts)
        return title, [word for part in parts for word in part.filler(rng)[1][:share]]

    endings = tuple(dict.fromkeys(ending for part in parts for ending in part.endings))
    return Language("Mixed-script", terms, filler, _as_written, endings)


def vocabulary_terms(
    words: Sequence[str], script: str, avoid: StreamWords | None = None, common: int | None = None
) -> list[str]:
    """Words of the script (less the most common, and those the matcher would find among
    ``avoid``'s words) and pairs of them, in a fixed order: no term is one ``avoid``
    would match, as a pair is kept only when neither of its words is."""
    pattern = SCRIPTS[script]
    usable = [w if len(w) >= MIN_WORD and pattern.match(w) and w.isalpha() else ""
              for w in map(_bare, words)]  # fmt: skip
    counts = Counter(word for word in usable if word)
    most = COMMON_WORDS if common is None else common
    found = set(filter(avoid.would_match, counts)) if avoid is not None else set()
    left_out = {word for word, _ in counts.most_common(most)} | found
    singles = sorted(word for word in counts if word not in left_out)
    pairs = sorted({f"{a} {b}" for a, b in itertools.pairwise(usable)
                    if a and b and a not in left_out and b not in left_out})  # fmt: skip
    terms = singles + pairs
    random.Random(len(terms)).shuffle(terms)
    return terms


def _bare(word: str) -> str:
    return word.strip(".,:;!?()«»\"'-–—…").lower()


def pack_terms(script: str) -> list[str]:
    """The bundled packs' terms written in ``script``, sorted."""
    source = "use = [" + ", ".join(f'"{name}"' for name in sorted(bundled())) + "]\n"
    ruleset = rules.load_ruleset([rules.RuleSource("bench.toml", source)])
    names = (*ruleset.entities, *ruleset.keywords)
    return sorted({term for name in names for term in ruleset.terms_of(name)
                   if script_of(term) == script})  # fmt: skip


def pooled(pool: Sequence[str], invent: TermMaker) -> TermMaker:
    """Terms from ``pool`` in order while it lasts (skipping ones used), then invented:
    one maker per rule set, as it keeps its place in the pool."""
    remaining = iter(pool)

    def make_term(rng: random.Random, used: set[str]) -> str:
        for term in remaining:
            if term not in used:
                used.add(term)
                return term
        return invent(rng, used)

    return make_term


def _invented(script: str, avoid: StreamWords) -> TermMaker:
    consonants, vowels = _ARABIC_LETTERS if script == "arabic" else _CYRILLIC_LETTERS

    def word(rng: random.Random, used: set[str]) -> str:
        while True:
            letters = (rng.choice(consonants) + rng.choice(("", *vowels)) for _ in range(3))
            made = "".join(letters) + rng.choice(consonants)
            term = made + ("*" if rng.random() < 0.05 else "")
            if made not in used and not avoid.would_match(term):
                used.add(made)
                return term

    return word


def _endings(script: str) -> tuple[str, ...]:
    return ("", "ة", "ات", "ين") if script == "arabic" else ("", "а", "ом", "ов", "ами")


def _windows(stream: Sequence[str]) -> Callable[[random.Random], tuple[list[str], list[str]]]:
    def filler(rng: random.Random) -> tuple[list[str], list[str]]:
        start = rng.randrange(max(1, len(stream) - ARTICLE_WORDS))
        words = list(stream[start : start + ARTICLE_WORDS])
        return words[:TITLE_WORDS], words[TITLE_WORDS:]

    return filler


def _random_words(words: Sequence[str]) -> Callable[[random.Random], tuple[list[str], list[str]]]:
    def filler(rng: random.Random) -> tuple[list[str], list[str]]:
        title = [rng.choice(words) for _ in range(TITLE_WORDS)]
        return title, [rng.choice(words) for _ in range(SUMMARY_WORDS)]

    return filler


def _as_written(title: list[str], summary: list[str], _rng: random.Random) -> tuple[str, str]:
    return " ".join(title), " ".join(summary)


@dataclass(frozen=True, slots=True)
class Corpus:
    """One corpus to time: its language and what its text is."""

    language: Language
    text: str  # "real: …" or "synthetic: …", for the report


def corpora(data: Path) -> list[Corpus]:
    """English (as before), Arabic, Russian and mixed-script, real where the data has it."""
    found = {name: _language(name, script, data) for name, script in
             (("Arabic", "arabic"), ("Russian", "cyrillic"))}  # fmt: skip
    parts = [found["Arabic"].language, found["Russian"].language, ENGLISH]
    english = Corpus(ENGLISH, "synthetic: invented terms in filler prose (bench/match_corpus.py)")
    mixed = Corpus(
        mixed_language(parts),
        "the Arabic, Russian and English text and terms "
        "above, all three in each article (a title in one, a summary in all)",
    )
    return [english, found["Arabic"], found["Russian"], mixed]


def _language(name: str, script: str, data: Path) -> Corpus:
    source = read_source(data, script)
    if len(source.words) < 10 * ARTICLE_WORDS:
        why = f"no {name} text in the shared data" if not source.texts else "too little real text"
        return Corpus(synthetic_language(name, script), f"synthetic ({why}): common words")
    return Corpus(real_language(name, source), f"real: {source.origin}")
