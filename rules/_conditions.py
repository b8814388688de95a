"""Reading condition items: list names, inline terms, nested groups and proximity.

An item is a list name (``"iran"``) or an inline table holding exactly one of
``all_of``, ``any_of``, ``none_of``, ``terms`` or ``near``; a table may add
``fields`` to read other fields than its rule, and ``near`` takes ``within``
(a number of words, or ``"sentence"``).
"""

from __future__ import annotations

from rules._locate import KeyPath
from rules._reader import SourceReader, type_name
from rules.model import ALL_FIELDS, SENTENCE, Condition, Group, GroupOp, Near, Ref, Terms

GROUP_KEYS: dict[str, GroupOp] = {"all_of": "all", "any_of": "any", "none_of": "none"}
KINDS = (*GROUP_KEYS, "terms", "near")
ITEM_KEYS = (*KINDS, "within", "fields")
MAX_WITHIN = 1000


def read_items(
    reader: SourceReader, value: object, path: KeyPath, *, required: bool
) -> tuple[Condition, ...]:
    raw_items = reader.array(value, path, required=required, non_empty=True)
    items = (read_item(reader, raw, (*path, index)) for index, raw in enumerate(raw_items))
    return tuple(item for item in items if item is not None)


def read_item(reader: SourceReader, value: object, path: KeyPath) -> Condition | None:
    """A list name, or an inline table holding one group, inline terms or a proximity test."""
    if isinstance(value, str):
        name = reader.name(value, path)
        reader.references.append((name, path))
        return Ref(name)
    if not isinstance(value, dict):
        reader.error(path, f"expected a list name or an inline table, got {type_name(value)}")
        return None
    table: dict[str, object] = value
    reader.check_keys(table, ITEM_KEYS, path)
    kinds = [key for key in table if key in KINDS]
    if len(kinds) != 1:
        if len(kinds) > 1 or not table:
            reader.error(path, f"give exactly one of {', '.join(KINDS)}")
        return None
    kind = kinds[0]
    if "within" in table and kind != "near":
        reader.error((*path, "within"), "within belongs to near = [...]")
    fields = reader.choices(table.get("fields"), ALL_FIELDS, (*path, "fields"))
    if kind == "near":
        return _read_near(reader, table, path, fields)
    if kind == "terms":
        terms = Terms(reader.terms(table[kind], (*path, kind)))
        return Group("all", (terms,), fields) if fields else terms
    items = read_items(reader, table[kind], (*path, kind), required=True)
    return Group(GROUP_KEYS[kind], items, fields)


def _read_near(
    reader: SourceReader, table: dict[str, object], path: KeyPath, fields: tuple[str, ...]
) -> Near:
    items_path = (*path, "near")
    items = read_items(reader, table["near"], items_path, required=True)
    if len(reader.array(table["near"], items_path)) == 1:
        reader.error(items_path, "near needs at least two items")
    for index, item in enumerate(items):
        if not _near_item(item):
            reader.error(
                (*items_path, index),
                "near items must be list names, { terms = [...] } or { any_of = [...] } of those",
            )
    return Near(items, _read_within(reader, table.get("within"), (*path, "within")), fields)


def _read_within(reader: SourceReader, value: object, path: KeyPath) -> int | str:
    if value is None:
        reader.error(
            path, f"near needs within: a number of words (1 to {MAX_WITHIN}) or 'sentence'"
        )
        return SENTENCE
    if isinstance(value, str):
        if value != SENTENCE:
            reader.error(path, f"{value!r} is not a number of words or 'sentence'")
        return SENTENCE
    return reader.integer(value, path, 1, MAX_WITHIN, 1)


def _near_item(item: Condition) -> bool:
    if isinstance(item, Group):
        return item.op == "any" and all(map(_near_item, item.items))
    return not isinstance(item, Near)
