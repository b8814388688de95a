"""What inflection matching newly fires on real text, for a human to judge.

    python -m bench.false_matches [--tarball PATH] [--dictionary PATH ...] [--limit 40]
                                  [--output docs/BENCHMARKS.md]

Runs the bundled packs and a multilingual watch (place and actor names in Arabic,
Persian, Russian and Ukrainian, written here in their dictionary forms, short
names among them) over the titles and summaries of the real feeds in
``../shared/data/feeds-corpus/feeds.tar.gz`` that hold Arabic-script or Cyrillic
words (read in place; the only text that inflection changes), twice: with every
list as loaded (inflected forms match) and with every list ``exact``. Every
(term, word matched) pair that fires only with inflection is listed with a
sample. The corpus holds little such text, so the single-word terms are also
checked against spelling dictionaries (hunspell's ru_RU and ar word lists, from
Debian's hunspell-ru and hunspell-ar, when installed): every dictionary word
other than the term whose stem equals the term's is a word the term would match.
French, Spanish, German and Turkish words are stemmed only in articles of their
language (``rules._latin``): ``bench.false_matches_latin`` checks them against the
hunspell word lists of those languages (every inflected form, by ``unmunch``), the
corpora's text in those languages, and the automaton prefixes (``latin_prefix``).
The ``false-matches`` section of docs/BENCHMARKS.md is rewritten with the figures
and the lists from the same run; without the corpus or a dictionary it says so.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import feedparser

import rules
from bench import false_matches_latin
from bench.corpus import DATA
from bench.langid import SHARED
from bench.pipeline import environment
from bench.sections import write_section
from rules import EntityList, KeywordSet, RuleSet, RuleSource
from rules.inflection import by_stem, stem, term_forms
from rules.text import term_pattern

DICTIONARIES = (Path("/usr/share/hunspell/ru_RU.dic"), Path("/usr/share/hunspell/ar.dic"))

COMMAND = "python -m bench.false_matches"
_INFLECTING = re.compile("[\u0600-\u06ff\u0400-\u052f]{3}")
# Dictionary forms, as an analyst would write them once; short names on purpose.
WATCH = """
use = ["conflict-escalation", "syria-gazetteer"]

[entities.watch_places]
kind = "place"
entries = ["دمشق", "حلب", "حمص", "عمان", "بيروت", "بغداد", "طهران", "سورية", "لبنان",
           "تهران", "اصفهان", "Дамаск", "Рим", "Иран", "Ирак", "Киев", "Москва", "Сирия",
           "Париж", "Херсон", "Одеса", "Харків", "Львів", "Крым", "Газа", "Мир"]

[entities.watch_actors]
kind = "actor"
entries = ["حزب الله", "حماس", "الجيش", "سپاه", "Путин", "НАТО", "ООН", "Сеть", "Армия"]

[[rules]]
name = "watch"
any_of = ["watch_places", "watch_actors"]
"""


@dataclasses.dataclass
class Tally:
    """Hits with and without inflection, and what fires only with it."""

    texts: int = 0
    words: int = 0
    exact_hits: int = 0
    inflected_hits: int = 0
    new: Counter[tuple[str, str]] = dataclasses.field(default_factory=Counter)
    samples: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)


def every_list_exact(ruleset: RuleSet) -> RuleSet:
    """``ruleset`` with every list and keyword set matched as written."""
    entities = {name: _exact_entities(listed) for name, listed in ruleset.entities.items()}
    keywords = {name: _exact_keywords(kept) for name, kept in ruleset.keywords.items()}
    return dataclasses.replace(ruleset, entities=entities, keywords=keywords)


def _exact_entities(listed: EntityList) -> EntityList:
    entries = tuple(dataclasses.replace(entry, exact=True) for entry in listed.entries)
    return dataclasses.replace(listed, entries=entries)


def _exact_keywords(kept: KeywordSet) -> KeywordSet:
    return dataclasses.replace(kept, exact=True)


def one_rule_per_list(ruleset: RuleSet) -> RuleSet:
    """A rule for each list and keyword set, so that every term's hits are seen."""
    names = sorted({*ruleset.entities, *ruleset.keywords})
    made = tuple(
        rules.Rule(name=f"list:{name}", condition=rules.Group("any", (rules.Ref(name),)))
        for name in names
    )
    return dataclasses.replace(ruleset, rules=(*ruleset.rules, *made))


def corpus_texts(tarball: Path) -> Iterator[str]:
    """Titles and summaries of the corpus's feeds that hold Arabic-script or Cyrillic words."""
    with tarfile.open(tarball) as archive:
        for member in archive:
            data = archive.extractfile(member) if member.isfile() else None
            raw = data.read() if data is not None else b""
            if not _INFLECTING.search(raw.decode("utf-8", "replace")):
                continue
            for entry in feedparser.parse(raw).entries:
                for key in ("title", "summary"):
                    text = entry.get(key)
                    if isinstance(text, str) and _INFLECTING.search(text):
                        yield text


def hits(matcher: rules.Matcher, text: str) -> set[tuple[str, str]]:
    """(term, the words it covers in ``text``) for every hit of every rule."""
    found: set[tuple[str, str]] = set()
    for match in matcher.match({"title": text}):
        found.update((hit.term, text[hit.start : hit.end]) for hit in match.hits)
    return found


def measure(texts: Sequence[str]) -> Tally:
    ruleset = one_rule_per_list(rules.load_ruleset([RuleSource("watch.toml", WATCH)]))
    inflected = rules.compile_rules(ruleset)
    exact = rules.compile_rules(every_list_exact(ruleset))
    tally = Tally()
    for text in texts:
        tally.texts += 1
        tally.words += len(rules.tokenise(text))
        with_inflection, without = hits(inflected, text), hits(exact, text)
        tally.exact_hits += len(without)
        tally.inflected_hits += len(with_inflection)
        for pair in sorted(with_inflection - without):
            tally.new[pair] += 1
            tally.samples.setdefault(pair, _sample(text, pair[1]))
    return tally


def watched_terms() -> list[str]:
    """Every single-word term of the watch and the packs that matches inflected forms
    (not those of ``exact`` entries and sets)."""
    ruleset = rules.load_ruleset([RuleSource("watch.toml", WATCH)])
    entries = [entry for listed in ruleset.entities.values() for entry in listed.entries]
    inflecting = [entry.terms for entry in entries if not entry.exact]
    inflecting += [kept.terms for kept in ruleset.keywords.values() if not kept.exact]
    terms = dict.fromkeys(term for listed in inflecting for term in listed)
    return [term for term in terms if _single_inflecting(term)]


def _single_inflecting(term: str) -> bool:
    pattern = term_pattern(term)
    return len(pattern.words) == 1 and by_stem(pattern, exact=False)


def collisions(terms: Sequence[str], dictionaries: Sequence[Path]) -> dict[str, list[str]]:
    """For each term, the dictionary words (folded) other than itself that share its stem."""
    by_stem: dict[str, set[str]] = {}
    for path in dictionaries:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
            for word in rules.normalise(line.split("/", 1)[0]).split():
                by_stem.setdefault(stem(word), set()).add(word)
    found = {}
    for term in terms:
        folded = rules.normalise(term)
        (forms,) = term_forms((folded,))
        words = set().union(*(by_stem.get(form, set()) for form in forms))
        found[term] = sorted(words - {folded})
    return found


def _sample(text: str, form: str) -> str:
    at = text.find(form)
    start = max(0, at - 40)
    return " ".join(text[start : at + len(form) + 40].split()).replace("|", "/")


def render_collisions(found: dict[str, list[str]] | None, dictionaries: Sequence[Path]) -> str:
    if found is None:
        return "No spelling dictionary was found: the stem collisions were not checked.\n"
    names = ", ".join(f"`{path}`" for path in dictionaries)
    words = sum(map(len, found.values()))
    rows = ["| term | dictionary words with the same stem |", "| --- | --- |"]
    rows += [f"| {term} | {', '.join(hits[:12])}{' …' if len(hits) > 12 else ''} |"
             for term, hits in found.items() if hits]  # fmt: skip
    return (
        f"Stem collisions: {len(found)} single-word terms that inflect, checked against "
        f"every word of {names}; {sum(1 for hits in found.values() if hits)} terms share "
        f"their stem with {words} other dictionary words (a form of the term itself, or "
        "a false match waiting to happen):\n\n" + "\n".join(rows) + "\n"
    )


def render(tally: Tally | None, limit: int, elapsed: float) -> str:
    env = environment()
    head = f"""## Inflection: what newly fires on real text

Generated by `{COMMAND}` on {env["date"]} ({env["python"]}); the run took {elapsed:.0f} s.
The bundled packs and a multilingual watch (dictionary forms of places and actors in
Arabic, Persian, Russian and Ukrainian, short names included) run over every title and
summary in the feeds corpus that holds Arabic-script or Cyrillic words, once with
inflected forms matching and once with every list `exact`."""
    if tally is None:
        return head + "\n\nThe feeds corpus was not found: nothing was measured.\n"
    cells = (tally.texts, tally.words, tally.exact_hits, tally.inflected_hits, len(tally.new))
    figures = f"""
| texts | words | hits, exact | hits, inflected | (term, form) pairs new with inflection |
| --- | --- | --- | --- | --- |
| {" | ".join(f"{cell:,}" for cell in cells)} |"""
    return head + "\n" + figures + "\n\n" + _listing(tally, limit)


def _listing(tally: Tally, limit: int) -> str:
    if not tally.new:
        return "Nothing fires with inflection that does not fire without it.\n"
    rows = ["| term | form matched | times | sample |", "| --- | --- | --- | --- |"]
    for (term, form), count in tally.new.most_common(limit):
        rows.append(f"| {term} | {form} | {count} | {tally.samples[(term, form)]} |")
    shown = min(limit, len(tally.new))
    return f"The {shown} most frequent new pairs, to judge by eye:\n\n" + "\n".join(rows) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tarball", type=Path, default=DATA / "feeds.tar.gz")
    parser.add_argument("--dictionary", type=Path, action="append", help="hunspell .dic")
    parser.add_argument("--limit", type=int, default=40, help="new pairs listed (40)")
    parser.add_argument("--pages", type=Path, default=SHARED / "article-extraction")
    parser.add_argument("--output", type=Path, default=Path("docs/BENCHMARKS.md"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    tally = measure(list(corpus_texts(args.tarball))) if args.tarball.exists() else None
    dictionaries = [path for path in args.dictionary or DICTIONARIES if path.exists()]
    found = collisions(watched_terms(), dictionaries) if dictionaries else None
    latin = false_matches_latin.run(false_matches_latin.corpus_texts(args.tarball, args.pages))
    elapsed = time.perf_counter() - started
    markdown = render(tally, args.limit, elapsed) + "\n" + render_collisions(found, dictionaries)
    markdown += "\n" + latin
    print(markdown)
    write_section(args.output, "false-matches", markdown)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
