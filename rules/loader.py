"""Read rule sources (TOML text) into one checked ``RuleSet``.

Only the top-level keys ``entities``, ``keywords`` and ``rules`` belong to the
rule language; anything else in a source (daemon settings in the main config
file) is left alone. All sources share one namespace, so a rule file may use
lists defined in another. Every problem in every source is collected before
``RuleSetError`` is raised, each with its file, line and key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from rules._locate import KeyPath
from rules._reader import SourceReader, suggestion, type_name
from rules.errors import RuleError, RuleSetError
from rules.model import (
    FIELDS,
    SEVERITIES,
    Condition,
    EntityList,
    Entry,
    Group,
    GroupOp,
    KeywordSet,
    Location,
    Ref,
    Rule,
    RuleSet,
    Terms,
)

_ENTITY_KEYS = ("kind", "description", "entries")
_ENTRY_KEYS = ("name", "aliases")
_KEYWORD_KEYS = ("description", "terms")
_GROUP_KEYS: dict[str, GroupOp] = {"all_of": "all", "any_of": "any", "none_of": "none"}
_ITEM_KEYS = (*_GROUP_KEYS, "terms")
_RULE_KEYS = ("name", "description", "severity", "enabled", *_GROUP_KEYS, "fields", "notifiers")
_TOML_POSITION = re.compile(r"\s*\((?:at line (\d+), column \d+|at end of document)\)$")


@dataclass(frozen=True, slots=True)
class RuleSource:
    """The text of one rule source; ``name`` (its path) is what messages show."""

    name: str
    text: str


def load_ruleset(sources: Sequence[RuleSource]) -> RuleSet:
    """Merge and check every source; raise RuleSetError listing all problems."""
    collected = _Collected()
    readers = [SourceReader(source.name, source.text) for source in sources]
    for reader in readers:
        document = _parse(reader)
        if document is not None:
            _read_document(reader, document, collected)
    collected.check_references(readers)
    errors = [error for reader in readers for error in _in_line_order(reader)]
    if errors:
        raise RuleSetError(errors)
    return collected.ruleset()


@dataclass
class _Collected:
    """Definitions from all sources so far, in the order written."""

    entities: dict[str, EntityList] = field(default_factory=dict)
    keywords: dict[str, KeywordSet] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)

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
        )


def _parse(reader: SourceReader) -> dict[str, object] | None:
    try:
        return tomllib.loads(reader.text)
    except tomllib.TOMLDecodeError as error:
        match = _TOML_POSITION.search(str(error))
        message = str(error)[: match.start()] if match else str(error)
        line = int(match.group(1)) if match and match.group(1) else _last_line(reader.text)
        reader.error_at_line(line, f"invalid TOML: {message}")
        return None


def _read_document(reader: SourceReader, document: dict[str, object], into: _Collected) -> None:
    for name, value in (reader.table(document.get("entities", {}), ("entities",)) or {}).items():
        path = ("entities", name)
        into.add_list(reader, path, _read_entity(reader, reader.name(name, path), value))
    for name, value in (reader.table(document.get("keywords", {}), ("keywords",)) or {}).items():
        path = ("keywords", name)
        into.add_list(reader, path, _read_keywords(reader, reader.name(name, path), value))
    for index, value in enumerate(reader.array(document.get("rules"), ("rules",))):
        rule = _read_rule(reader, ("rules", index), value)
        if rule is not None and rule.name.strip():  # a nameless rule is already reported
            into.add_rule(reader, ("rules", index, "name"), rule)


def _read_entity(reader: SourceReader, name: str, value: object) -> EntityList:
    path = ("entities", name)
    location = reader.location(path)
    table = reader.table(value, path)
    if table is None:  # still define the name, or every rule using it would be an error too
        return EntityList(name, "", (), location=location)
    reader.check_keys(table, _ENTITY_KEYS, path)
    entries_path = (*path, "entries")
    raw_entries = reader.array(table.get("entries"), entries_path, required=True, non_empty=True)
    return EntityList(
        name=name,
        kind=reader.string(table.get("kind"), (*path, "kind"), ""),
        entries=tuple(
            _read_entry(reader, raw, (*entries_path, index))
            for index, raw in enumerate(raw_entries)
        ),
        description=reader.string(table.get("description"), (*path, "description"), ""),
        location=location,
    )


def _read_entry(reader: SourceReader, value: object, path: KeyPath) -> Entry:
    if isinstance(value, str):
        return Entry(reader.term(value, path))
    table = reader.table(value, path)
    if table is None:
        return Entry("")
    reader.check_keys(table, _ENTRY_KEYS, path)
    aliases = reader.terms(table.get("aliases"), (*path, "aliases"), required=False)
    return Entry(reader.term(table.get("name"), (*path, "name")), aliases)


def _read_keywords(reader: SourceReader, name: str, value: object) -> KeywordSet:
    path = ("keywords", name)
    location = reader.location(path)
    table = reader.table(value, path)
    if table is None:
        return KeywordSet(name, (), location=location)
    reader.check_keys(table, _KEYWORD_KEYS, path)
    return KeywordSet(
        name=name,
        terms=reader.terms(table.get("terms"), (*path, "terms")),
        description=reader.string(table.get("description"), (*path, "description"), ""),
        location=location,
    )


def _read_rule(reader: SourceReader, path: KeyPath, value: object) -> Rule | None:
    table = reader.table(value, path)
    if table is None:
        return None
    reader.check_keys(table, _RULE_KEYS, path)
    return Rule(
        name=reader.name(table.get("name"), (*path, "name")),
        condition=_read_condition(reader, table, path),
        description=reader.string(table.get("description"), (*path, "description"), ""),
        severity=reader.choice(table.get("severity", "medium"), SEVERITIES, (*path, "severity")),
        enabled=reader.boolean(table.get("enabled"), (*path, "enabled"), True),
        fields=reader.choices(table.get("fields"), FIELDS, (*path, "fields")) or FIELDS,
        notifiers=reader.names(table.get("notifiers"), (*path, "notifiers")),
        location=reader.location(path),
    )


def _read_condition(reader: SourceReader, table: dict[str, object], path: KeyPath) -> Group:
    """The rule's implicit all-of: its all_of items, then any_of and none_of as groups."""
    problems_before = len(reader.errors)
    items = list(_read_items(reader, table.get("all_of"), (*path, "all_of"), required=False))
    for key in ("any_of", "none_of"):
        group_items = _read_items(reader, table.get(key), (*path, key), required=False)
        if group_items:
            items.append(Group(_GROUP_KEYS[key], group_items))
    condition = Group("all", tuple(items))
    # A broken item is already reported; saying "no positive condition" too would mislead.
    if len(reader.errors) == problems_before and not _has_positive(condition):
        reader.error(path, "rule has no positive condition: give all_of or any_of")
    return condition


def _read_items(
    reader: SourceReader, value: object, path: KeyPath, *, required: bool
) -> tuple[Condition, ...]:
    raw_items = reader.array(value, path, required=required, non_empty=required)
    items = (_read_item(reader, raw, (*path, index)) for index, raw in enumerate(raw_items))
    return tuple(item for item in items if item is not None)


def _read_item(reader: SourceReader, value: object, path: KeyPath) -> Condition | None:
    """A list name, or an inline table holding one group or inline terms."""
    if isinstance(value, str):
        name = reader.name(value, path)
        reader.references.append((name, path))
        return Ref(name)
    if not isinstance(value, dict):
        reader.error(path, f"expected a list name or an inline table, got {type_name(value)}")
        return None
    table: dict[str, object] = value
    reader.check_keys(table, _ITEM_KEYS, path)
    keys = [key for key in table if key in _ITEM_KEYS]
    if len(keys) != 1:
        if len(keys) > 1 or not table:
            reader.error(path, f"give exactly one of {', '.join(_ITEM_KEYS)}")
        return None
    key = keys[0]
    if key == "terms":
        return Terms(reader.terms(table[key], (*path, key)))
    return Group(_GROUP_KEYS[key], _read_items(reader, table[key], (*path, key), required=True))


def _has_positive(condition: Condition) -> bool:
    """True if some leaf must hit, i.e. is not only under a none-of."""
    if isinstance(condition, Group):
        return condition.op != "none" and any(map(_has_positive, condition.items))
    return True


def _in_line_order(reader: SourceReader) -> list[RuleError]:
    return sorted(reader.errors, key=lambda error: (error.location.line or 0, error.location.key))


def _where(location: Location | None) -> str:
    return location.where if location else "another source"


def _last_line(text: str) -> int:
    return max(1, len(text.splitlines()))
