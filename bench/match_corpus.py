"""Synthetic rules and articles for ``bench.match``: invented words, deterministic.

Rule terms are made-up words built from syllables ("tavoreki", "mulan sodi"),
so they never collide with the filler prose of the articles by accident. Each
rule has its own entity list of five spellings and keyword set of five terms
(about one in five is two or three words long, one in twenty a prefix
wildcard), and fires when one of each appears: ``all_of = [list]``,
``any_of = [set]``. Articles are about 80 words (a 12-word title and a 68-word
summary of sentences with commas) of filler; one in ten carries one rule's pair
(it fires: alerts are the exception in news monitoring; ``firing_share`` changes
it), and every one carries two stray terms of other rules (hits that fire
nothing), so the hits per article are the same whatever the number of rules.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from rules import EntityList, Entry, Group, KeywordSet, Ref, Rule, RuleSet, Severity

SEED = 2026
TERMS_PER_LIST = 5
FIRING_SHARE = 0.10
STRAY_TERMS = 2
TITLE_WORDS = 12
SUMMARY_WORDS = 68
_SYLLABLES = tuple(c + v for c in "bdfgklmnprstvz" for v in "aeiou")
FILLER = tuple(
    """the a of to in and on for with as at by from after over into near said says
    officials reported report week day morning night city region local people
    government minister talks meeting plan new old early late more less than other
    residents workers market prices trade energy water roads schools hospital
    council police court election vote party leaders agency statement according
    sources monday tuesday wednesday thursday friday weekend month year years
    while during before since about around across between under again also still
    first second third many several some most few large small major minor public
    private national international regional northern southern eastern western
    coast border river valley hills capital province district town village
    centre center north south east west spokesman spokeswoman announced expected
    continued began ended remains remained says told added warned called urged""".split()
)


TermMaker = Callable[[random.Random, set[str]], str]


@dataclass(frozen=True, slots=True)
class Language:
    """How one corpus writes: its rule terms, its article words, and how they read.

    ``terms`` makes a new term maker for each rule set; ``filler`` gives an article's
    title and summary words; ``compose`` makes the two texts of them; a wildcard term
    is spelt with one of ``endings``. English (the
    default) is the invented-word corpus above; ``bench.match_scripts`` adds others.
    """

    name: str
    terms: Callable[[], TermMaker]
    filler: Callable[[random.Random], tuple[list[str], list[str]]]
    compose: Callable[[list[str], list[str], random.Random], tuple[str, str]]
    endings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Article:
    title: str
    summary: str
    fires: str | None  # the rule whose pair it carries

    @property
    def fields(self) -> dict[str, str]:
        return {"title": self.title, "summary": self.summary}


def make_word(rng: random.Random, used: set[str]) -> str:
    """A new invented word of 3 to 4 syllables."""
    while True:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(3, 4)))
        if word not in used:
            used.add(word)
            return word


def make_term(rng: random.Random, used: set[str]) -> str:
    roll = rng.random()
    words = 1 if roll < 0.8 else 2 if roll < 0.95 else 3
    term = " ".join(make_word(rng, used) for _ in range(words))
    return term + "*" if rng.random() < 0.05 else term


def make_ruleset(count: int, seed: int = SEED, language: Language | None = None) -> RuleSet:
    """``count`` rules of about ten terms each (five spellings, five keywords)."""
    make = (language or ENGLISH).terms()
    rng = random.Random(seed)
    used: set[str] = set()
    entities, keywords, rules = {}, {}, []
    for index in range(count):
        name = f"r{index}"
        spellings = tuple(make(rng, used) for _ in range(TERMS_PER_LIST))
        entities[f"{name}_actors"] = EntityList(
            f"{name}_actors", "actor", (Entry(spellings[0], spellings[1:]),)
        )
        terms = tuple(make(rng, used) for _ in range(TERMS_PER_LIST))
        keywords[f"{name}_words"] = KeywordSet(f"{name}_words", terms)
        condition = Group("all", (Ref(f"{name}_actors"), Group("any", (Ref(f"{name}_words"),))))
        rules.append(Rule(name, condition, severity=Severity.HIGH))
    return RuleSet(MappingProxyType(entities), MappingProxyType(keywords), tuple(rules))


def spell(term: str, rng: random.Random, endings: tuple[str, ...] = ("", "ed", "s", "ing")) -> str:
    """A term as it would appear in text: a wildcard's prefix gets an ending."""
    return term[:-1] + rng.choice(endings) if term.endswith("*") else term


def make_articles(
    ruleset: RuleSet,
    count: int,
    *,
    firing_share: float = FIRING_SHARE,
    seed: int = SEED,
    language: Language | None = None,
) -> list[Article]:
    rng = random.Random(seed + len(ruleset.rules))
    return [_article(ruleset, rng, firing_share, language or ENGLISH) for _ in range(count)]


def _article(
    ruleset: RuleSet, rng: random.Random, firing_share: float, language: Language
) -> Article:
    title, summary = language.filler(rng)
    fires = None
    if rng.random() < firing_share:
        rule = rng.choice(ruleset.rules)
        fires = rule.name
        actor = rng.choice(ruleset.entities[f"{rule.name}_actors"].terms)
        word = rng.choice(ruleset.keywords[f"{rule.name}_words"].terms)
        title[rng.randrange(len(title))] = spell(actor, rng, language.endings)
        summary[rng.randrange(len(summary))] = spell(word, rng, language.endings)
    for _ in range(STRAY_TERMS):  # half a pair of some rule: a hit that fires nothing
        rule = rng.choice(ruleset.rules)
        stray = rng.choice(ruleset.keywords[f"{rule.name}_words"].terms)
        summary[rng.randrange(len(summary))] = spell(stray, rng, language.endings)
    return Article(*language.compose(title, summary, rng), fires)


def _filler(rng: random.Random) -> tuple[list[str], list[str]]:
    title = [rng.choice(FILLER) for _ in range(TITLE_WORDS)]
    return title, [rng.choice(FILLER) for _ in range(SUMMARY_WORDS)]


def _compose(title: list[str], summary: list[str], rng: random.Random) -> tuple[str, str]:
    return " ".join(title).capitalize(), _sentences(summary, rng)


def _sentences(words: list[str], rng: random.Random) -> str:
    """Words as sentences of 8 to 16 words, capitalised, with a comma now and then."""
    sentences, start = [], 0
    while start < len(words):
        end = min(len(words), start + rng.randint(8, 16))
        chunk = words[start:end]
        if len(chunk) > 6:
            chunk[rng.randint(2, len(chunk) - 3)] += ","
        text = " ".join(chunk)
        sentences.append(text[0].upper() + text[1:] + ".")
        start = end
    return " ".join(sentences)


ENGLISH = Language("English", lambda: make_term, _filler, _compose, ("", "ed", "s", "ing"))


def with_diacritics(article: Article) -> Article:
    """The same article with accented letters, to time the non-ASCII path."""
    table = str.maketrans({"e": "é", "a": "à"})
    return Article(article.title.translate(table), article.summary.translate(table), article.fires)
