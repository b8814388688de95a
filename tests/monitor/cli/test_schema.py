"""`wirewatch schema`: the JSON Schema editors use; the example config and packs validate."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from monitor.cli.main import main
from monitor.cli.schema import config_schema
from rules.packs import bundled
from rules.schema import rule_file_schema

EXAMPLE = Path(__file__).resolve().parents[3] / "config.example.toml"


def errors(schema: dict[str, object], document: Mapping[str, object]) -> list[str]:
    validator = Draft202012Validator(schema)
    return sorted(
        "/".join(map(str, error.absolute_path)) for error in validator.iter_errors(document)
    )


def test_schema_command_prints_a_valid_schema_that_accepts_the_example_config(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    Draft202012Validator.check_schema(schema)
    assert errors(schema, tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("name", sorted(bundled()))
def test_every_bundled_pack_is_a_valid_rule_file(name: str) -> None:
    assert errors(rule_file_schema(), tomllib.loads(bundled()[name])) == []


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"daemon": {"concurrency": 0}}, "daemon/concurrency"),
        ({"daemon": {"concurency": 4}}, "daemon"),
        ({"use": ["syria-gazeteer"]}, "use/0"),
        ({"notifiers": {"s": {"type": "slack", "webhook_url": 3}}}, "notifiers/s"),
        ({"notifiers": {"s": {"type": "pager"}}}, "notifiers/s"),
        ({"keywords": {"k": {"terms": ["*x"]}}}, "keywords/k/terms/0"),
        ({"rules": [{"name": "r", "all_of": ["a"], "severity": "urgent"}]}, "rules/0/severity"),
        ({"rules": [{"name": "r", "al_of": ["a"]}]}, "rules/0"),
        ({"rules": [{"name": "r", "all_of": [{"near": ["a", "b"]}]}]}, "rules/0/all_of/0"),
        ({"rules": [{"name": "r", "weights": {"a": 2}, "min_outlets": 0}]}, "rules/0/min_outlets"),
    ],
)
def test_schema_flags_what_an_editor_should_underline(
    document: dict[str, object], where: str
) -> None:
    assert where in errors(config_schema(), document)


def test_a_disabled_notifier_needs_only_its_type() -> None:
    document = {"notifiers": {"email": {"type": "email", "enabled": False}}}
    assert errors(config_schema(), document) == []


def test_rule_file_schema_is_printed_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--rule-file"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert set(schema["properties"]) == {"use", "entities", "keywords", "rules"}
