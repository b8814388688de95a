"""Rules scoped to languages (``languages = ["ar", "fa"]``): loading, checking codes,
matching by the article's language, explaining. Self-written texts."""

from __future__ import annotations

import json

import pytest

from rules import (
    MatchContext,
    Matcher,
    RuleSetError,
    RuleSource,
    compile_rules,
    load_ruleset,
    run_examples,
)
from rules.schema import rule_file_schema

RULE = """\
[keywords.places]
terms = ["Homs", "حمص", "حمس"]

[[rules]]
name = "homs-local-press"
any_of = ["places"]
{scope}
"""


def _matcher(scope: str = 'languages = ["ar", "fa"]') -> Matcher:
    return compile_rules(load_ruleset([RuleSource("t.toml", RULE.format(scope=scope))]))


@pytest.mark.parametrize(
    ("language", "fires"),
    [
        pytest.param("ar", True, id="listed-ar"),
        pytest.param("fa", True, id="listed-fa"),
        pytest.param("en", False, id="other-language"),
        pytest.param("", False, id="unknown-language-matches-no-scoped-rule"),
        pytest.param("AR", False, id="codes-are-lower-case"),
    ],
)
def test_a_language_scoped_rule_fires_only_on_its_languages(language: str, fires: bool) -> None:
    matcher = _matcher()
    found = matcher.match({"title": "قصف في حمص"}, MatchContext(language=language))
    assert bool(found) is fires


@pytest.mark.parametrize("language", ["ar", "en", ""])
def test_a_rule_without_languages_fires_on_every_language(language: str) -> None:
    matcher = _matcher(scope="")
    found = matcher.match({"title": "Shelling in Homs"}, MatchContext(language=language))
    assert [m.rule for m in found] == ["homs-local-press"]


def test_explain_names_the_language_scope() -> None:
    matcher = _matcher()
    (explanation,) = matcher.explain(
        {"title": "Shelling in Homs"}, MatchContext(language="en"), ["homs-local-press"]
    )
    (check,) = [c for c in explanation.checks if c.label == "language scope"]
    assert not check.passed
    assert "'en' is not in languages" in check.detail


def _errors(scope: str) -> list[str]:
    with pytest.raises(RuleSetError) as caught:
        load_ruleset([RuleSource("t.toml", RULE.format(scope=scope))])
    return [str(error) for error in caught.value.errors]


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        pytest.param(
            'languages = ["ara"]',
            "t.toml:7: rules[0].languages[0]: unknown language code 'ara': write 'ar'",
            id="three-letter-for-two",
        ),
        pytest.param(
            'languages = ["pt-BR"]',
            "t.toml:7: rules[0].languages[0]: unknown language code 'pt-BR': write 'pt'",
            id="region-tag",
        ),
        pytest.param(
            'languages = ["Ar"]',
            "t.toml:7: rules[0].languages[0]: unknown language code 'Ar': write 'ar'",
            id="upper-case",
        ),
        pytest.param(
            'languages = ["xq"]',
            "t.toml:7: rules[0].languages[0]: unknown language code 'xq': give an ISO 639-1"
            " code such as 'ar'",
            id="unknown",
        ),
        pytest.param(
            "languages = []", "t.toml:7: rules[0].languages: must not be empty", id="empty"
        ),
        pytest.param(
            'languages = "ar"',
            "t.toml:7: rules[0].languages: expected an array, got a string",
            id="not-an-array",
        ),
    ],
)
def test_unknown_language_codes_are_loader_errors_with_a_hint(scope: str, expected: str) -> None:
    errors = _errors(scope)
    assert len(errors) == 1
    assert errors[0].startswith(expected)


@pytest.mark.parametrize("code", ["ar", "fa", "ckb", "yue", "zh"])
def test_known_codes_load(code: str) -> None:
    ruleset = load_ruleset([RuleSource("t.toml", RULE.format(scope=f'languages = ["{code}"]'))])
    assert ruleset.rules[0].languages == (code,)


def test_examples_of_a_language_scoped_rule_run_in_its_first_language() -> None:
    scope = 'languages = ["ar"]\nexamples.must_match = ["قصف في حمص"]'
    ruleset = load_ruleset([RuleSource("t.toml", RULE.format(scope=scope))])
    assert run_examples(ruleset).failures == ()


def test_the_rule_schema_describes_languages() -> None:
    schema = rule_file_schema()
    languages = json.dumps(schema)
    assert '"languages": {"type": "array", "minItems": 1' in languages
    assert '"pattern": "^[a-z]{2,3}$"' in languages
