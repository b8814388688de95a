"""``wirewatch schema``: the JSON Schema of the whole config file, from the models.

Daemon settings come from the pydantic models in ``monitor.config.settings``, each
notifier table from its plugin's ``Config`` model (chosen by ``type``; a table
with ``enabled = false`` needs only its type, as ``check`` does), and the rule
keys from ``rules.schema``. Any key may also be set from the environment
(``WIREWATCH_*``), so notifier keys are never required here.

Editors read it through a ``#:schema ./wirewatch.schema.json`` first line (Taplo,
Even Better TOML, Tombi); see the README.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

import notifiers
from monitor.config import Settings
from rules.schema import DRAFT, definitions, rule_file_schema, rule_properties

Schema = dict[str, Any]
_REF = "#/$defs/{model}"


def config_schema() -> Schema:
    """The schema of a wirewatch config file."""
    types = notifiers.notifier_types()
    models: list[type[BaseModel]] = [Settings, *(kind.Config for kind in types.values())]
    mapping, top = models_json_schema([(model, "validation") for model in models],
                                      ref_template=_REF)  # fmt: skip
    defs: Schema = top.get("$defs", {})
    settings = defs.pop(_name(mapping[(Settings, "validation")]))
    settings["properties"].update(rule_properties())
    settings["properties"]["notifiers"] = _notifiers(types, mapping, defs)
    settings["properties"]["include"]["description"] = "Rule files to merge (globs)."
    defs.update(definitions())
    settings["title"] = "wirewatch configuration"
    return {"$schema": DRAFT, **settings, "$defs": defs}


def _notifiers(types: dict[str, Any], mapping: dict[Any, Schema], defs: Schema) -> Schema:
    choices: list[Schema] = [
        {
            "type": "object",
            "properties": {"type": {"enum": sorted(types)}, "enabled": {"const": False}},
            "required": ["type", "enabled"],
            "description": "A disabled notifier: only its type is checked.",
        }
    ]
    for name, kind in sorted(types.items()):
        model = defs[_name(mapping[(kind.Config, "validation")])]
        model["properties"]["type"] = {"const": name}
        model["required"] = ["type"]  # anything else may come from the environment
        choices.append({"$ref": mapping[(kind.Config, "validation")]["$ref"]})
    return {
        "description": "Notifier tables; rules route to them by name.",
        "type": "object",
        "additionalProperties": {"anyOf": choices},
    }


def _name(reference: Schema) -> str:
    return str(reference["$ref"]).rsplit("/", 1)[-1]


__all__ = ["config_schema", "rule_file_schema"]
