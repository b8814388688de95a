"""JSON Schema (draft 2020-12) of the rule language, for editors that validate TOML.

Built from the loader's own key lists, so a key the loader accepts is a key the
schema offers (tests check both agree, and that the example config and the
bundled packs validate). The loader stays the authority: the schema cannot see
references between lists, duplicate names or term normalisation.
"""

from __future__ import annotations

from typing import Any

from rules._conditions import GROUP_KEYS, MAX_WITHIN
from rules._rules import EXAMPLE_KEYS, EXAMPLE_KINDS, MAX_OUTLETS, MAX_WEIGHT, RULE_KEYS
from rules.loader import ENTITY_KEYS, ENTRY_KEYS, FUZZY_KEYS, KEYWORD_KEYS
from rules.model import ALL_FIELDS, FIELDS, SENTENCE, SEVERITIES
from rules.packs import bundled
from rules.text import MIN_PREFIX

DRAFT = "https://json-schema.org/draft/2020-12/schema"
Schema = dict[str, Any]


def rule_file_schema() -> Schema:
    """The schema of a rule file: ``use``, ``entities``, ``keywords`` and ``rules``."""
    return {
        "$schema": DRAFT,
        "title": "wirewatch rule file",
        "type": "object",
        "properties": rule_properties(),
        "$defs": definitions(),
    }


def rule_properties() -> Schema:
    """The top-level keys of the rule language, to merge into a larger schema."""
    return {
        "use": {
            "description": "Bundled vocabulary packs whose lists this file may refer to.",
            "type": "array",
            "items": {"enum": sorted(bundled())},
            "uniqueItems": True,
        },
        "entities": _table_of("entity_list", "Named lists of actors, places, organisations."),
        "keywords": _table_of("keyword_set", "Named sets of terms."),
        "rules": {
            "description": "Watch rules, one [[rules]] table each.",
            "type": "array",
            "items": {"$ref": "#/$defs/rule"},
        },
    }


def definitions() -> Schema:
    return {
        "term": _term(),
        "terms": {"type": "array", "items": {"$ref": "#/$defs/term"}, "minItems": 1},
        "fuzzy": _fuzzy(),
        "exact": {
            "type": "boolean",
            "description": "Match only the spellings written, not their inflected forms "
            "(Arabic-script and Cyrillic words match their inflected forms by default).",
        },
        "entry": _entry(),
        "entity_list": _closed(
            ENTITY_KEYS,
            {
                "kind": {"type": "string", "description": "actor, place, organisation, ..."},
                "description": {"type": "string"},
                "entries": {"type": "array", "items": {"$ref": "#/$defs/entry"}, "minItems": 1},
                "fuzzy": {"$ref": "#/$defs/fuzzy"},
                "exact": {"$ref": "#/$defs/exact"},
            },
            required=("entries",),
        ),
        "keyword_set": _closed(
            KEYWORD_KEYS,
            {
                "description": {"type": "string"},
                "terms": {"$ref": "#/$defs/terms"},
                "exact": {"$ref": "#/$defs/exact"},
            },
            required=("terms",),
        ),
        "fields": {
            "type": "array",
            "items": {"enum": list(ALL_FIELDS)},
            "minItems": 1,
            "description": f"Where to look; default {', '.join(FIELDS)}.",
        },
        "item": _item(),
        "items": {"type": "array", "items": {"$ref": "#/$defs/item"}, "minItems": 1},
        "example": _example(),
        "rule": _rule(),
    }


def _term() -> Schema:
    return {
        "type": "string",
        "minLength": 1,
        "pattern": r"^[^*]+\*?$",
        "description": "Whole words, case and accents ignored; a final * makes the last word "
        f"a prefix (at least {MIN_PREFIX} letters), e.g. deploy*.",
    }


def _fuzzy() -> Schema:
    return {
        "oneOf": [
            {"const": False},
            _closed(
                FUZZY_KEYS,
                {
                    "threshold": {"type": "number", "minimum": 50, "maximum": 99},
                    "min_length": {"type": "integer", "minimum": 3, "maximum": 100},
                },
                required=FUZZY_KEYS,
            ),
        ],
        "description": "Also match unlisted spellings scoring threshold (rapidfuzz ratio) "
        "in words of at least min_length characters; false turns a list's default off.",
    }


def _entry() -> Schema:
    table = _closed(
        ENTRY_KEYS,
        {
            "name": {"$ref": "#/$defs/term"},
            "aliases": {"type": "array", "items": {"$ref": "#/$defs/term"}},
            "fuzzy": {"$ref": "#/$defs/fuzzy"},
            "exact": {"$ref": "#/$defs/exact"},
        },
        required=("name",),
    )
    return {"oneOf": [{"$ref": "#/$defs/term"}, table]}


def _item() -> Schema:
    fields = {"fields": {"$ref": "#/$defs/fields"}}
    groups = [
        _closed((key, "fields"), {key: {"$ref": "#/$defs/items"}, **fields}, required=(key,))
        for key in GROUP_KEYS
    ]
    terms = _closed(("terms", "fields"), {"terms": {"$ref": "#/$defs/terms"}, **fields},
                    required=("terms",))  # fmt: skip
    within = {
        "oneOf": [{"type": "integer", "minimum": 1, "maximum": MAX_WITHIN}, {"const": SENTENCE}],
        "description": "At most this many words apart, or 'sentence'.",
    }
    near = _closed(
        ("near", "within", "fields"),
        {"near": {"$ref": "#/$defs/items"}, "within": within, **fields},
        required=("near", "within"),
    )
    name = {"type": "string", "minLength": 1, "description": "An entity list or keyword set."}
    return {"oneOf": [name, *groups, terms, near]}


def _example() -> Schema:
    properties: Schema = {key: {"type": "string"} for key in EXAMPLE_KEYS}
    properties["tags"] = {"type": "array", "items": {"type": "string"}}
    properties["outlets"] = {"type": "integer", "minimum": 1, "maximum": MAX_OUTLETS}
    return {"oneOf": [{"type": "string", "minLength": 1}, _closed(EXAMPLE_KEYS, properties)]}


def _rule() -> Schema:
    examples = {kind: {"type": "array", "items": {"$ref": "#/$defs/example"}}
                for kind in EXAMPLE_KINDS}  # fmt: skip
    bands = {"type": "object", "properties": {s: {"type": "number", "minimum": 0}
             for s in SEVERITIES}, "additionalProperties": False, "minProperties": 1}  # fmt: skip
    properties: Schema = {
        "name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "enabled": {"type": "boolean"},
        "severity": {"oneOf": [{"enum": list(SEVERITIES)}, bands],
                     "description": "A severity, or score bands: { medium = 5, high = 8 }."},
        **{key: {"$ref": "#/$defs/items"} for key in GROUP_KEYS},
        "fields": {"$ref": "#/$defs/fields"},
        "notifiers": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "weights": {"type": "object", "minProperties": 1, "additionalProperties": {
            "type": "number", "minimum": -MAX_WEIGHT, "maximum": MAX_WEIGHT}},
        "threshold": {"type": "number", "exclusiveMinimum": 0},
        "min_outlets": {"type": "integer", "minimum": 1, "maximum": MAX_OUTLETS},
        "feeds": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "feed_tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "languages": {"type": "array", "minItems": 1, "uniqueItems": True,
                      "items": {"type": "string", "pattern": "^[a-z]{2,3}$"},
                      "description": "ISO 639-1 codes (ISO 639-3 where none): the rule applies "
                                     "only to articles identified as one of these languages."},
        "examples": _closed(tuple(EXAMPLE_KINDS), examples),
    }  # fmt: skip
    return _closed(RULE_KEYS, properties, required=("name",))


def _closed(keys: tuple[str, ...], properties: Schema, required: tuple[str, ...] = ()) -> Schema:
    assert set(properties) == set(keys), f"schema and loader disagree: {keys}"
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def _table_of(definition: str, description: str) -> Schema:
    return {
        "description": description,
        "type": "object",
        "additionalProperties": {"$ref": f"#/$defs/{definition}"},
    }
