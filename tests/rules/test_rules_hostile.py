"""Hostile rule files and article text: refused or bounded, never a crash."""

from __future__ import annotations

import sys

import pytest

from rules import Matcher, RuleSetError, RuleSource, compile_rules, load_ruleset
from rules.scan import MAX_HITS_PER_TERM

RULE = '[[rules]]\nname = "r"\nall_of = [{ terms = ["Homs"] }, { terms = ["shell*"] }]\n'


def matcher() -> Matcher:
    return compile_rules(load_ruleset([RuleSource("r.toml", RULE)]))


def test_a_rule_file_nested_beyond_tomllib_is_one_error() -> None:
    depth = 2_000
    text = "x = " + "[" * depth + "]" * depth + "\n"
    with pytest.raises(RuleSetError) as caught:
        load_ruleset([RuleSource("deep.toml", text)])
    assert [str(e) for e in caught.value.errors] == [
        "deep.toml:1: invalid TOML: arrays or tables nested too deeply"
    ]


def test_a_number_longer_than_python_reads_is_one_error() -> None:
    limit = sys.get_int_max_str_digits()
    text = f"x = {'9' * (limit + 1)}\n"
    with pytest.raises(RuleSetError) as caught:
        load_ruleset([RuleSource("long.toml", text)])
    assert [str(e) for e in caught.value.errors] == [
        f"long.toml:1: invalid TOML: a number of more than {limit} digits"
    ]


def test_deeply_nested_groups_that_tomllib_reads_still_work() -> None:
    depth = 40
    nested = "[{ any_of = " * depth + '["x"]' + " }]" * depth
    source = f'[keywords.x]\nterms = ["Homs"]\n[[rules]]\nname = "r"\nall_of = {nested}\n'
    assert compile_rules(load_ruleset([RuleSource("r.toml", source)])).match({"title": "Homs"})


@pytest.mark.parametrize(
    "text",
    [
        "Homs shelled " * 50_000,
        "<b>" * 50_000 + "Homs shelled",
        "&amp;" * 50_000 + " Homs shelled",
        " " * 100_000 + "Homs" + "," * 100_000 + "shelled",
        "'s" * 50_000 + " Homs shelled",
        "\x00\x1b[2J\u202e" * 10_000 + " Homs shelled",
        "é" * 100_000 + " Homs shelled",
    ],
    ids=["repeats", "tags", "entities", "separators", "apostrophes", "controls", "accents"],
)
def test_hostile_text_still_matches_with_bounded_hits(text: str) -> None:
    (match,) = matcher().match({"title": text, "summary": text})
    assert len(match.hits) <= 2 * 2 * MAX_HITS_PER_TERM
    assert {hit.term for hit in match.hits} == {"Homs", "shell*"}
