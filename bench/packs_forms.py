"""Single-form gaps: other forms of a pack's one-word terms that the pack does not list.

The rule language does not stem, so a pack that lists "strikes" misses "strike" unless
it lists that too. For every one-word term (not a ``*`` prefix) this looks for the
forms English inflection makes of it (a plural or singular, -ed, -ing, -er, demonyms
in -i/-ian), counts the headlines of the file that contain such a form, and keeps
those no term of the pack matches. What is left is either a gap or a decision (the
pack's header says which words are left out on purpose, and why).
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Iterable

import rules

SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ers", "i", "is", "ian", "ians", "ish")
MIN_STEM = 4


def word_counts(titles: Iterable[str]) -> Counter[str]:
    """How many headlines contain each folded word."""
    counts: Counter[str] = Counter()
    for title in titles:
        counts.update(set(rules.normalise(title).split()))
    return counts


def pack_terms(text: str) -> list[str]:
    """Every term, name and alias of a pack, folded as the matcher folds them."""
    document = tomllib.loads(text)
    terms = [term for table in document.get("keywords", {}).values() for term in table["terms"]]
    for table in document.get("entities", {}).values():
        for entry in table["entries"]:
            terms += (
                [entry] if isinstance(entry, str) else [entry["name"], *entry.get("aliases", ())]
            )
    return [_fold(term) for term in terms]


def _fold(term: str) -> str:
    return rules.normalise(term.removesuffix("*")) + ("*" if term.endswith("*") else "")


def unlisted_forms(text: str, counts: Counter[str]) -> list[tuple[str, str, int]]:
    """(form, the listed term it comes from, headlines with it), most frequent first."""
    terms = pack_terms(text)
    found: dict[str, tuple[str, int]] = {}
    for term in terms:
        if " " in term or term.endswith("*"):
            continue
        for form in _forms(term):
            if counts[form] and form not in found and not _covered(form, terms):
                found[form] = (term, counts[form])
    ranked = sorted(found.items(), key=lambda item: (-item[1][1], item[0]))
    return [(form, term, count) for form, (term, count) in ranked]


def _forms(term: str) -> set[str]:
    stems = {term} | {
        term.removesuffix(end)
        for end in SUFFIXES
        if term.endswith(end) and len(term) - len(end) >= MIN_STEM
    }
    if term.endswith("ies"):
        stems.add(term[:-3] + "y")
    forms = {stem + end for stem in stems for end in ("", *SUFFIXES)}
    forms |= {stem[:-1] + end for stem in stems if stem.endswith("e") for end in ("ing", "ed")}
    return forms - {term}


def _covered(form: str, terms: Iterable[str]) -> bool:
    return any(form.startswith(term[:-1]) if term.endswith("*") else form == term for term in terms)
