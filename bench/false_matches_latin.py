"""French, Spanish, German and Turkish stems (``rules._latin``) against spelling
dictionaries and real text: which words a term would match, and whether every
automaton prefix (``latin_prefix``) holds. Part of ``python -m bench.false_matches``.

Dictionaries: hunspell's fr, es_ES, de_DE and tr_TR word lists (Debian's hunspell-fr,
hunspell-es, hunspell-de-de, hunspell-tr), every inflected form when hunspell-tools'
``unmunch`` can expand them, else the listed forms only (tr_TR lists its inflected forms).
Terms: the single-word French and Turkish terms of the bundled packs (their lines marked
``# fr`` or ``# tr``) and ``WATCH``, place and actor names and conflict words written
here in their dictionary forms, short names among them. For each language:

- which dictionary words share a term's stem (a form of the term, or a false match);
- how the floor (no stem shorter than the word's first N letters) trades words that
  share a stem with another word against words that share a watched term's stem;
- that each word's ``latin_prefix`` starts every dictionary word of its stem;
- in the feeds and pages corpora, the text words (in articles identified as the
  language) that a term matches by stem but not as written.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import rules
from bench.langid import feed_samples, page_samples
from monitor.ingest.language import identify
from rules._latin import LANGUAGES, MIN_STEM, latin_prefix, latin_stem
from rules.inflection import latin_inflects
from rules.text import term_pattern

NAMES = {"de": "German", "es": "Spanish", "fr": "French", "tr": "Turkish"}
HUNSPELL = Path("/usr/share/hunspell")
DICTIONARIES = {"de": "de_DE", "es": "es_ES", "fr": "fr", "tr": "tr_TR"}
PACKAGES = "hunspell-fr hunspell-es hunspell-de-de hunspell-tr hunspell-tools"
FLOORS = (0, 3, 4, 5, 6)
PACKS = Path(rules.__file__).parent / "packs"
# Dictionary forms, as an analyst would write them once; short names on purpose.
WATCH = {
    "fr": "Damas Alep Homs Hama Idleb Raqqa Deraa Liban Iran Irak Gaza Israël Syrie Russie "
    "Turquie Téhéran Beyrouth Bagdad Kiev Moscou Paris Hezbollah Hamas Daech armée milice "
    "rebelle frappe otage missile drone char soldat",
    "es": "Damasco Alepo Homs Hama Idlib Raqqa Líbano Irán Irak Gaza Israel Siria Rusia "
    "Turquía Teherán Beirut Bagdad Kiev Moscú París Hezbolá Hamás ejército milicia rebelde "
    "ataque rehén misil dron tanque soldado",
    "de": "Damaskus Aleppo Homs Hama Idlib Rakka Libanon Iran Irak Gaza Israel Syrien "
    "Russland Türkei Teheran Beirut Bagdad Kiew Moskau Paris Hisbollah Hamas Armee Miliz "
    "Rebell Angriff Geisel Rakete Drohne Panzer Soldat",
    "tr": "Şam Halep Humus Hama İdlib Rakka Dera Lübnan İran Irak Gazze İsrail Suriye Rusya "
    "Türkiye Tahran Beyrut Bağdat Kiev Moskova Paris Hizbullah Hamas ordu milis asker "
    "saldırı rehine füze İHA tank",
}
_MARKED = re.compile(r"#\s*([a-z]{2}(?:,\s*[a-z]{2})*)\b")
_QUOTED = re.compile(r'"([^"]+)"')


@dataclasses.dataclass
class Floor:
    """At one floor: dictionary words sharing a stem with another word, and words
    sharing a watched term's stem."""

    least: int
    grouped: int
    term_sharers: int


@dataclasses.dataclass
class Check:
    language: str
    source: str
    words: int = 0
    collisions: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    floors: list[Floor] = dataclasses.field(default_factory=list)
    prefix_failures: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    prefix_letters: int = 0
    stem_letters: int = 0
    texts: int = 0
    # (term, text word) matched by stem and not as written, and how often
    stem_only_pairs: Counter[tuple[str, str]] = dataclasses.field(default_factory=Counter)


def terms(language: str) -> list[str]:
    """The watch's and the packs' single-word terms of ``language`` that the scanner
    matches by stem (``latin_inflects``: longer than four letters), folded, in order."""
    written = [*WATCH[language].split(), *pack_terms(language)]
    folded = (rules.normalise(term) for term in written)
    return list(dict.fromkeys(term for term in folded if _inflects(term)))


def _inflects(term: str) -> bool:
    return " " not in term and latin_inflects(term_pattern(term))


def pack_terms(language: str) -> list[str]:
    """The quoted terms on the packs' lines marked ``# language``."""
    found = []
    for path in sorted(PACKS.glob("*.toml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            code, _, comment = line.partition("#")
            marked = _MARKED.match("#" + comment)
            if marked and language in re.split(r",\s*", marked.group(1)):
                found += _QUOTED.findall(code)
    return found


def dictionary_words(language: str) -> tuple[list[str], str] | None:
    """The folded words of ``language``'s dictionary and how they were read, or None."""
    dic = HUNSPELL / f"{DICTIONARIES[language]}.dic"
    if not dic.exists():
        return None
    expanded = _unmunch(dic)
    if expanded is not None:  # unmunch prints words only
        lines, how = expanded.splitlines(), "every form, expanded by unmunch"
    else:  # a .dic's first line is its word count
        lines, how = dic.read_text("utf-8", "replace").splitlines()[1:], "listed forms"
    return _folded_words(lines), f"`{dic}` ({how})"


def _unmunch(dic: Path) -> str | None:
    try:
        done = subprocess.run(
            ["unmunch", str(dic), str(dic.with_suffix(".aff"))],
            capture_output=True, check=False, timeout=600,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def _folded_words(lines: Sequence[str]) -> list[str]:
    raw = sorted({line.split("/", 1)[0].split("\t", 1)[0].strip() for line in lines})
    words: set[str] = set()
    for start in range(0, len(raw), 20_000):
        words.update(rules.normalise("\n".join(raw[start : start + 20_000])).split())
    return sorted(words)


def by_stem(words: Iterable[str], language: str, least: int = MIN_STEM) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for word in words:
        grouped[latin_stem(word, language, shortest=least)].append(word)
    return grouped


def check(language: str, words: list[str], source: str) -> Check:
    result = Check(language, source, words=len(words))
    grouped = by_stem(words, language)
    watched = terms(language)
    for term in watched:
        sharers = grouped.get(latin_stem(term, language), [])
        result.collisions[term] = [word for word in sharers if word != term]
    result.floors = [_floor(words, language, least, watched) for least in FLOORS]
    _check_prefixes(result, grouped)
    return result


def _floor(words: list[str], language: str, least: int, watched: list[str]) -> Floor:
    grouped = by_stem(words, language, least)
    stems = {latin_stem(term, language, shortest=least) for term in watched}
    together = sum(len(group) for group in grouped.values() if len(group) > 1)
    sharers = {word for stem in stems for word in grouped.get(stem, ())} - set(watched)
    return Floor(least, together, len(sharers))


def _check_prefixes(result: Check, grouped: dict[str, list[str]]) -> None:
    for stemmed, group in grouped.items():
        common = _common_prefix(group)
        for word in group:
            prefix = latin_prefix(word, result.language)
            result.prefix_letters += len(prefix)
            result.stem_letters += len(stemmed)
            if not common.startswith(prefix):
                other = next(each for each in group if not each.startswith(prefix))
                result.prefix_failures.append((word, prefix, other))


def _common_prefix(words: Sequence[str]) -> str:
    """The letters every word starts with (those of the first and last in sorted order)."""
    first, last = min(words), max(words)
    shared = next(
        (at for at, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), len(first)
    )
    return first[:shared]


def text_pairs(result: Check, texts: Iterable[str]) -> None:
    """(term, text word) pairs that match by stem and not as written, in ``texts``; every
    term of a stem is paired, as terms sharing one (russe, russie) are what is measured."""
    stems: dict[str, list[str]] = defaultdict(list)
    for term in terms(result.language):
        stems[latin_stem(term, result.language)].append(term)
    for text in texts:
        result.texts += 1
        for word in rules.normalise(text).split():
            for term in stems.get(latin_stem(word, result.language), ()):
                if term != word:
                    result.stem_only_pairs[term, word] += 1


def render(checks: Sequence[Check], missing: Sequence[str]) -> str:
    head = [
        "### French, Spanish, German and Turkish: stems against dictionaries\n",
        "Words are stemmed only in articles identified as the language (`rules._latin`). "
        "Terms: the packs' single-word French and Turkish terms and a watch of place, actor "
        f"and conflict words per language ({_watch_sizes()}; `bench/false_matches_latin.py`), "
        "those the scanner matches by stem (longer than four letters; shorter ones match "
        "as written).\n",
    ]
    if missing:
        head.append(
            f"No dictionary for {', '.join(missing)}: install Debian's {PACKAGES} "
            "(apt-get) to check them.\n"
        )
    return "\n".join([*head, *(_render_check(result) for result in checks)])


def _watch_sizes() -> str:
    """Each language's watch size, by language name: "French 33, German 31, …"."""
    sizes = {NAMES[language]: len(WATCH[language].split()) for language in LANGUAGES}
    return ", ".join(f"{name} {size}" for name, size in sorted(sizes.items()))


def _render_check(result: Check) -> str:
    name = NAMES[result.language]
    sharing = sum(1 for found in result.collisions.values() if found)
    words = sum(map(len, result.collisions.values()))
    lines = [
        f"#### {name}\n",
        f"{result.words:,} folded words of {result.source}. {len(result.collisions)} "
        f"single-word terms; {sharing} share their stem with {words} other dictionary words "
        "(a form of the term, or a false match waiting to happen):\n",
        _collision_table(result),
        _floor_table(result),
        _prefix_line(result),
        _text_line(result),
    ]
    return "\n".join(line for line in lines if line)


def _collision_table(result: Check) -> str:
    rows = ["| term | dictionary words with the same stem |", "| --- | --- |"]
    for term, found in result.collisions.items():
        if found:
            more = " …" if len(found) > 12 else ""
            rows.append(f"| {term} | {', '.join(found[:12])}{more} ({len(found)}) |")
    return "\n".join(rows) + "\n"


def _floor_table(result: Check) -> str:
    rows = [
        "| floor (letters) | dictionary words sharing a stem with another | "
        "dictionary words sharing a term's stem |",
        "| ---: | ---: | ---: |",
    ]
    for floor in result.floors:
        chosen = " (chosen)" if floor.least == MIN_STEM else ""
        rows.append(f"| {floor.least}{chosen} | {floor.grouped:,} | {floor.term_sharers:,} |")
    return "\n".join(rows) + "\n"


def _prefix_line(result: Check) -> str:
    failed = len(result.prefix_failures)
    mean_prefix = result.prefix_letters / max(result.words, 1)
    mean_stem = result.stem_letters / max(result.words, 1)
    line = (
        f"`latin_prefix`: {failed} of {result.words:,} words have a prefix that some word of "
        f"their stem does not start with; mean prefix {mean_prefix:.2f} letters, mean stem "
        f"{mean_stem:.2f}.\n"
    )
    shown = "; ".join(f"{w} → {p} (not {o})" for w, p, o in result.prefix_failures[:10])
    return line + (f"\nFailures: {shown}\n" if failed else "")


def _text_line(result: Check) -> str:
    if not result.texts:
        return f"No {NAMES[result.language]} text in the corpora.\n"
    pairs = ", ".join(
        f"{term} ← {word} ({n})" for (term, word), n in result.stem_only_pairs.most_common(30)
    )
    return (
        f"Real text: {result.texts:,} feed entries and pages identified as "
        f"{NAMES[result.language]}; (term ← word matched by stem only): {pairs or 'none'}.\n"
    )


def run(texts: dict[str, list[str]]) -> str:
    checks, missing = [], []
    for language in sorted(LANGUAGES):
        read = dictionary_words(language)
        if read is None:
            missing.append(f"{NAMES[language]} (`{DICTIONARIES[language]}.dic`)")
            continue
        result = check(language, *read)
        text_pairs(result, texts.get(language, []))
        checks.append(result)
    return render(checks, missing)


def corpus_texts(tarball: Path, pages: Path) -> dict[str, list[str]]:
    """Headline + summary of every entry of the corpus's real feeds that declare a
    language, and the start of every page's body, by the language the daemon identifies
    (the declared one as its hint); read in place."""
    feeds = feed_samples(tarball) if tarball.exists() else iter(())
    read = page_samples(pages) if pages.exists() else iter(())
    samples = (sample for sample in (*feeds, *read) if sample.length == "long")
    return texts_by_language((sample.language, sample.text) for sample in samples)


def texts_by_language(samples: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(declared language, text) → the texts the daemon identifies as each language."""
    found: dict[str, list[str]] = defaultdict(list)
    for declared, text in samples:
        language = identify(text, declared)
        if language in LANGUAGES:
            found[language].append(text)
    return found
