"""Read rule sources (TOML text) into one checked ``RuleSet``.

Only the top-level keys ``use``, ``entities``, ``keywords`` and ``rules`` belong
to the rule language; anything else in a source (daemon settings in the main
config file) is left alone. All sources share one namespace, so a rule file may
use lists defined in another, or in a bundled vocabulary pack named by ``use``.
Every problem in every source is collected before ``RuleSetError`` is raised,
each with its file, line and key.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import tomli

from rules import packs
from rules._locate import KeyPath
from rules._reader import SourceReader, suggestion, unknown_name
from rules._rules import read_rule
from rules.errors import RuleError, RuleSetError
from rules.model import EntityList, Entry, Fuzzy, KeywordSet, Location, Rule, RuleSet

ENTITY_KEYS = ("kind", "description", "entries", "fuzzy", "exact")
ENTRY_KEYS = ("name", "aliases", "fuzzy", "exact")
FUZZY_KEYS = ("threshold", "min_length")
KEYWORD_KEYS = ("description", "terms", "exact")
_TOML_POSITION = re.compile(r"\s*\((?:at line (\d+), column \d+|at end of document)\)$")


@dataclass(frozen=True, slots=True)
class RuleSource:
    """The text of one rule source; ``name`` (its path) is what messages show."""

    name: str
    text: str
    # The text already parsed, when the caller has it (the config file: parsed once).
    document: dict[str, object] | None = None


def load_ruleset(
    sources: Sequence[RuleSource],
    *,
    vocabulary: Mapping[str, str] | None = None,
    notifiers: Collection[str] | None = None,
) -> RuleSet:
    """Merge and check every source; raise RuleSetError listing all problems.

    ``vocabulary`` maps pack names to TOML text for ``use = [...]``; the default is
    the packs bundled with this package. ``notifiers``, when given, are the names a
    rule's ``notifiers`` may use: any other is reported at its line, like a list name.
    """
    collected = _Collected()
    readers = [SourceReader(source.name, source.text) for source in sources]
    documents = [
        (reader, source.document if source.document is not None else _parse(reader))
        for reader, source in zip(readers, sources, strict=True)
    ]
    available = packs.bundled() if vocabulary is None else vocabulary
    for name, text in _used_packs(documents, available).items():
        pack_reader = SourceReader(f"{packs.PREFIX}{name}", text)
        readers.insert(len(collected.packs), pack_reader)
        collected.packs.append(name)
        _read_pack(pack_reader, collected)
    for reader, document in documents:
        if document is not None:
            _read_document(reader, document, collected)
    collected.check_references(readers)
    if notifiers is not None:
        _check_notifiers(readers, notifiers)
    errors = [error for reader in readers for error in _in_line_order(reader)]
    if errors:
        raise RuleSetError(errors, rule_names=tuple(collected.rules))
    return collected.ruleset()


@dataclass
class _Collected:
    """Definitions from all sources so far, in the order written."""

    entities: dict[str, EntityList] = field(default_factory=dict)
    keywords: dict[str, KeywordSet] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    packs: list[str] = field(default_factory=list)

    def add_list(self, reader: SourceReader, path: KeyPath, item: EntityList | KeywordSet) -> None:
        first = self.entities.get(item.name) or self.keywords.get(item.name)
        if first is not None:
            reader.error(path, f"{item.name!r} is already defined at {_where(first.location)}")
        elif isinstance(item, EntityList):
            self.entities[item.name] = item
        else:
            self.keywords[item.name] = item

    def add_rule(self, reader: SourceReader, path: KeyPath, rule: Rule) -> None:
        first = self.rules.get(rule.name)
        if first is not None:
            reader.error(path, f"rule {rule.name!r} is already defined at {_where(first.location)}")
        else:
            self.rules[rule.name] = rule

    def check_references(self, readers: list[SourceReader]) -> None:
        known = {**self.entities, **self.keywords}
        for reader in readers:
            for name, path in reader.references:
                if name not in known:
                    hint = suggestion(name, known)
                    reader.error(path, f"no entity list or keyword set is called {name!r}{hint}")

    def ruleset(self) -> RuleSet:
        return RuleSet(
            entities=MappingProxyType(dict(self.entities)),
            keywords=MappingProxyType(dict(self.keywords)),
            rules=tuple(self.rules.values()),
            packs=tuple(self.packs),
        )


def _check_notifiers(readers: list[SourceReader], known: Collection[str]) -> None:
    for reader in readers:
        for name, path in reader.notifier_references:
            if name not in known:
                reader.error(path, unknown_name("notifier", name, known))


def _parse(reader: SourceReader) -> dict[str, object] | None:
    try:
        return tomli.loads(reader.text)
    except tomli.TOMLDecodeError as error:
        match = _TOML_POSITION.search(str(error))
        message = str(error)[: match.start()] if match else str(error)
        line = int(match.group(1)) if match and match.group(1) else _last_line(reader.text)
        reader.error_at_line(line, f"invalid TOML: {message}")
        return None
    except RecursionError:  # the parser recurses per nesting level; hostile files go deep
        reader.error_at_line(1, "invalid TOML: arrays or tables nested too deeply")
        return None
    except ValueError:  # not a TOMLDecodeError: int() refused a number of too many digits
        digits = sys.get_int_max_str_digits()
        reader.error_at_line(1, f"invalid TOML: a number of more than {digits} digits")
        return None


def _used_packs(
    documents: list[tuple[SourceReader, dict[str, object] | None]], available: Mapping[str, str]
) -> dict[str, str]:
    """The packs named by ``use`` in any source, each once, in the order first named."""
    used: dict[str, str] = {}
    for reader, document in documents:
        names = reader.names((document or {}).get("use"), ("use",))
        for index, name in enumerate(names):
            if name in available:
                used.setdefault(name, available[name])
            elif name.strip():
                hint = suggestion(name, available) or f" (packs: {', '.join(sorted(available))})"
                reader.error(("use", index), f"no vocabulary pack is called {name!r}{hint}")
    return used


def _read_pack(reader: SourceReader, into: _Collected) -> None:
    """A pack holds lists only: no rules, no ``use`` of other packs."""
    document = _parse(reader)
    if document is None:
        return
    for key in document:
        if key not in ("entities", "keywords"):
            reader.error((key,), "a vocabulary pack holds only entities and keywords")
    _read_document(reader, document, into)


def _read_document(reader: SourceReader, document: dict[str, object], into: _Collected) -> None:
    for name, value in (reader.table(document.get("entities", {}), ("entities",)) or {}).items():
        path = ("entities", name)
        into.add_list(reader, path, _read_entity(reader, reader.name(name, path), value))
    for name, value in (reader.table(document.get("keywords", {}), ("keywords",)) or {}).items():
        path = ("keywords", name)
        into.add_list(reader, path, _read_keywords(reader, reader.name(name, path), value))
    for index, value in enumerate(reader.array(document.get("rules"), ("rules",))):
        rule = read_rule(reader, ("rules", index), value)
        if rule is not None and rule.name.strip():  # a nameless rule is already reported
            into.add_rule(reader, ("rules", index, "name"), rule)


def _read_entity(reader: SourceReader, name: str, value: object) -> EntityList:
    path = ("entities", name)
    location = reader.location(path)
    table = reader.table(value, path)
    if table is None:  # still define the name, or every rule using it would be an error too
        return EntityList(name, "", (), location=location)
    reader.check_keys(table, ENTITY_KEYS, path)
    entries_path = (*path, "entries")
    raw_entries = reader.array(table.get("entries"), entries_path, required=True, non_empty=True)
    fuzzy = _read_fuzzy(reader, table.get("fuzzy"), (*path, "fuzzy"))
    exact = reader.boolean(table.get("exact", False), (*path, "exact"), False)
    return EntityList(
        name=name,
        kind=reader.string(table.get("kind"), (*path, "kind"), ""),
        entries=tuple(
            _read_entry(reader, raw, (*entries_path, index), fuzzy, exact=exact)
            for index, raw in enumerate(raw_entries)
        ),
        description=reader.string(table.get("description"), (*path, "description"), ""),
        location=location,
    )


def _read_entry(
    reader: SourceReader, value: object, path: KeyPath, fuzzy: Fuzzy | None, *, exact: bool
) -> Entry:
    """A bare spelling, or ``{ name, aliases, fuzzy, exact }``; the list's fuzzy and exact
    are the defaults."""
    if isinstance(value, str):
        return Entry(reader.term(value, path), fuzzy=fuzzy, exact=exact)
    table = reader.table(value, path)
    if table is None:
        return Entry("")
    reader.check_keys(table, ENTRY_KEYS, path)
    aliases = reader.terms(table.get("aliases"), (*path, "aliases"), required=False)
    if "fuzzy" in table:
        fuzzy = _read_fuzzy(reader, table["fuzzy"], (*path, "fuzzy"))
    exact = reader.boolean(table.get("exact", exact), (*path, "exact"), exact)
    return Entry(reader.term(table.get("name"), (*path, "name")), aliases, fuzzy, exact)


def _read_fuzzy(reader: SourceReader, value: object, path: KeyPath) -> Fuzzy | None:
    """``{ threshold = 88, min_length = 6 }``; ``false`` turns a list's default off."""
    if value is None or value is False:
        return None
    table = reader.table(value, path)
    if table is None:
        return None
    reader.check_keys(table, FUZZY_KEYS, path)
    threshold = reader.number(table.get("threshold"), (*path, "threshold"), 50, 99)
    min_length = reader.integer(table.get("min_length"), (*path, "min_length"), 3, 100, 0)
    if "min_length" not in table:
        reader.error((*path, "min_length"), "required key is missing (short words are where"
                     " near-misses are other words: 'Hama' and 'Hamas' score 89)")  # fmt: skip
    return Fuzzy(threshold, min_length)


def _read_keywords(reader: SourceReader, name: str, value: object) -> KeywordSet:
    path = ("keywords", name)
    location = reader.location(path)
    table = reader.table(value, path)
    if table is None:
        return KeywordSet(name, (), location=location)
    reader.check_keys(table, KEYWORD_KEYS, path)
    return KeywordSet(
        name=name,
        terms=reader.terms(table.get("terms"), (*path, "terms")),
        description=reader.string(table.get("description"), (*path, "description"), ""),
        location=location,
        exact=reader.boolean(table.get("exact", False), (*path, "exact"), False),
    )


def _in_line_order(reader: SourceReader) -> list[RuleError]:
    return sorted(reader.errors, key=lambda error: (error.location.line or 0, error.location.key))


def _where(location: Location | None) -> str:
    return location.where if location else "another source"


def _last_line(text: str) -> int:
    return max(1, len(text.splitlines()))
