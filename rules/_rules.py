"""Reading one ``[[rules]]`` table: its condition, score, scope and examples."""

from __future__ import annotations

from itertools import pairwise

from rules._conditions import GROUP_KEYS, read_items
from rules._locate import KeyPath
from rules._reader import SourceReader
from rules.languages import language_problem
from rules.model import (
    ALL_FIELDS,
    FIELDS,
    SEVERITIES,
    Condition,
    Example,
    Group,
    Rule,
    Severity,
    needs_a_hit,
)

RULE_KEYS = (
    "name", "description", "enabled", "severity", *GROUP_KEYS, "fields", "notifiers",
    "weights", "threshold", "min_outlets", "feeds", "feed_tags", "languages",
    "examples",
)  # fmt: skip
EXAMPLE_KINDS = {"must_match": True, "must_not_match": False}
EXAMPLE_KEYS = ("title", "summary", "content", "body", "feed", "tags", "link", "outlets")
MAX_WEIGHT = 1000.0
MAX_OUTLETS = 1000
RESERVED_RULE = "surge"  # surge alerts are filed under "surge:<kind>:<key>"


def _read_rule_name(reader: SourceReader, value: object, path: KeyPath) -> str:
    """A rule's name; ``surge`` and ``surge:…`` are the surge alerts' (a silence of
    ``surge`` covers them all, so a rule of that name would be silenced with them)."""
    name = reader.name(value, path)
    if name == RESERVED_RULE or name.startswith(RESERVED_RULE + ":"):
        reader.error(path, f"rule names {RESERVED_RULE!r} and {RESERVED_RULE + ':…'!r} are "
                     "reserved for surge alerts")  # fmt: skip
    return name


def read_rule(reader: SourceReader, path: KeyPath, value: object) -> Rule | None:
    table = reader.table(value, path)
    if table is None:
        return None
    reader.check_keys(table, RULE_KEYS, path)
    weights = _read_weights(reader, table.get("weights"), (*path, "weights"))
    severity, bands = _read_severity(reader, table.get("severity", "medium"), (*path, "severity"))
    notifiers = reader.names(table.get("notifiers"), (*path, "notifiers"))
    reader.notifier_references.extend(
        (name, (*path, "notifiers", index)) for index, name in enumerate(notifiers)
    )
    return Rule(
        name=_read_rule_name(reader, table.get("name"), (*path, "name")),
        condition=_read_condition(reader, table, path, scored=bool(weights)),
        description=reader.string(table.get("description"), (*path, "description"), ""),
        severity=severity,
        enabled=reader.boolean(table.get("enabled"), (*path, "enabled"), True),
        fields=reader.choices(table.get("fields"), ALL_FIELDS, (*path, "fields")) or FIELDS,
        notifiers=notifiers,
        location=reader.location(path),
        weights=weights,
        threshold=_read_threshold(reader, table, path, weights, bands),
        bands=bands,
        min_outlets=reader.integer(
            table.get("min_outlets"), (*path, "min_outlets"), 1, MAX_OUTLETS, 1
        ),
        feeds=reader.names(table.get("feeds"), (*path, "feeds")),
        feed_tags=reader.names(table.get("feed_tags"), (*path, "feed_tags")),
        languages=_read_languages(reader, table.get("languages"), (*path, "languages")),
        examples=_read_examples(reader, table.get("examples"), (*path, "examples")),
    )


def _read_languages(reader: SourceReader, value: object, path: KeyPath) -> tuple[str, ...]:
    """Language codes, each checked (rules.languages); an unknown one is an error."""
    items = reader.array(value, path, non_empty=True)
    codes = [reader.string(item, (*path, index)) for index, item in enumerate(items)]
    for index, code in enumerate(codes):
        problem = language_problem(code) if isinstance(items[index], str) else None
        if problem:
            reader.error((*path, index), problem)
    return tuple(dict.fromkeys(codes))


def _read_condition(
    reader: SourceReader, table: dict[str, object], path: KeyPath, *, scored: bool
) -> Group:
    """The rule's implicit all-of: its all_of items, then any_of and none_of as groups."""
    problems_before = len(reader.errors)
    items: list[Condition] = list(
        read_items(reader, table.get("all_of"), (*path, "all_of"), required=False)
    )
    for key in ("any_of", "none_of"):
        group_items = read_items(reader, table.get(key), (*path, key), required=False)
        if group_items:
            items.append(Group(GROUP_KEYS[key], group_items))
    condition = Group("all", tuple(items))
    # A broken item is already reported; saying "no positive condition" too would mislead.
    if len(reader.errors) == problems_before and not scored and not needs_a_hit(condition):
        reader.error(path, _no_positive(condition))
    return condition


def _no_positive(condition: Group) -> str:
    if any(isinstance(item, Group) and item.op != "none" for item in condition.items):
        return "rule could fire on an article that mentions nothing: a none_of inside an any_of"
    return "rule has no positive condition: give all_of, any_of or weights"


def _read_weights(
    reader: SourceReader, value: object, path: KeyPath
) -> tuple[tuple[str, float], ...]:
    table = reader.table(value, path) if value is not None else {}
    weights = []
    for name, weight in (table or {}).items():
        key = (*path, name)
        reader.references.append((name, key))
        number = reader.number(weight, key, -MAX_WEIGHT, MAX_WEIGHT)
        if number == 0:
            reader.error(key, "a weight of 0 changes nothing: remove it or give another")
        weights.append((name, number))
    if table == {} and value is not None:
        reader.error(path, "must not be empty")
    return tuple(weights)


def _read_severity(
    reader: SourceReader, value: object, path: KeyPath
) -> tuple[Severity, tuple[tuple[Severity, float], ...]]:
    """A fixed severity, or bands ``{ medium = 5, high = 8 }`` (the floor is then low)."""
    if not isinstance(value, dict):
        chosen = reader.choice(value, SEVERITIES, path)
        return Severity(chosen) if chosen in SEVERITIES else Severity.MEDIUM, ()
    bands = []
    for name, lowest in value.items():
        if name not in SEVERITIES:
            reader.error((*path, name), f"{name!r} is not one of {', '.join(SEVERITIES)}")
            continue
        bands.append((Severity(name), reader.number(lowest, (*path, name), 0, 1e6)))
    bands.sort(key=lambda band: band[0].rank)
    for (lower, low_score), (higher, high_score) in pairwise(bands):
        if high_score <= low_score:
            message = f"bands must rise with severity: {higher} = {high_score:g} is not above"
            reader.error((*path, higher), f"{message} {lower} = {low_score:g}")
    if not value:
        reader.error(path, "give a severity name or bands such as { medium = 5, high = 8 }")
    return Severity.LOW, tuple(bands)


def _read_threshold(
    reader: SourceReader,
    table: dict[str, object],
    path: KeyPath,
    weights: tuple[tuple[str, float], ...],
    bands: tuple[tuple[str, float], ...],
) -> float | None:
    value = table.get("threshold")
    key = (*path, "threshold")
    if not weights:
        if value is not None:
            reader.error(key, "threshold needs weights: the score is the sum of weights")
        if bands:
            reader.error((*path, "severity"), "severity bands need weights: they grade the score")
        return None
    if value is None and not bands:
        reader.error(key, "weights need a threshold: the score a match must reach")
        return None
    if value is None:
        return bands[0][1]
    return reader.number(value, key, 1e-9, 1e6)


def _read_examples(reader: SourceReader, value: object, path: KeyPath) -> tuple[Example, ...]:
    table = reader.table(value, path) if value is not None else None
    if table is None:
        return ()
    reader.check_keys(table, tuple(EXAMPLE_KINDS), path)
    examples = []
    for kind, expect in EXAMPLE_KINDS.items():
        for index, raw in enumerate(reader.array(table.get(kind), (*path, kind))):
            example = _read_example(reader, raw, (*path, kind, index), expect=expect)
            if example is not None:
                examples.append(example)
    return tuple(examples)


def _read_example(
    reader: SourceReader, value: object, path: KeyPath, *, expect: bool
) -> Example | None:
    location = reader.location(path)
    if isinstance(value, str):
        return Example(expect, title=value, location=location)
    table = reader.table(value, path)
    if table is None:
        return None
    reader.check_keys(table, EXAMPLE_KEYS, path)
    texts = {key: reader.string(table.get(key), (*path, key), "") for key in EXAMPLE_KEYS[:4]}
    if not any(texts.values()):
        reader.error(path, "an example needs a title, summary, content or body")
    feed = table.get("feed")
    tags = table.get("tags")
    return Example(
        expect,
        **texts,
        feed=reader.string(feed, (*path, "feed")) if feed is not None else None,
        tags=reader.names(tags, (*path, "tags")) if tags is not None else None,
        link=reader.string(table.get("link"), (*path, "link"), ""),
        outlets=reader.integer(table.get("outlets"), (*path, "outlets"), 1, MAX_OUTLETS, 0) or None,
        location=location,
    )
