"""Mistakes an analyst makes in the new parts of the language, each reported with file, line,
key and a way to fix it; all of them in one load."""

from __future__ import annotations

import pytest

from rules import RuleSetError, RuleSource, load_ruleset

LISTS = """\
[entities.hezbollah]
entries = ["Hezbollah"]

[keywords.strikes]
terms = ["shelling"]
"""


def problems(text: str, vocabulary: dict[str, str] | None = None) -> list[str]:
    """Problems of ``text`` after LISTS (or before them when it starts with ``use``)."""
    source = text + LISTS if text.startswith("use") else LISTS + text
    with pytest.raises(RuleSetError) as caught:
        load_ruleset([RuleSource("f.toml", source)], vocabulary=vocabulary)
    return [str(error) for error in caught.value.errors]


RULE = '[[rules]]\nname = "r"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (RULE + 'all_of = ["hezbolah"]\n',
         "f.toml:8: rules[0].all_of[0]: no entity list or keyword set is called 'hezbolah'"
         " (did you mean 'hezbollah'?)"),
        (RULE + 'all_of = ["hezbollah"]\nany_of = []\n',
         "f.toml:9: rules[0].any_of: must not be empty"),
        (RULE + 'all_of = [{ any_of = [] }]\n',
         "f.toml:8: rules[0].all_of[0].any_of: must not be empty"),
        ('[keywords.k]\nterms = ["*deploy"]\n',
         "f.toml:7: keywords.k.terms[0]: '*deploy': '*' may only end a term, once"
         " (e.g. 'deploy*' or 'air strike*')"),
        ('[keywords.k]\nterms = ["de*ploy"]\n',
         "f.toml:7: keywords.k.terms[0]: 'de*ploy': '*' may only end a term, once"
         " (e.g. 'deploy*' or 'air strike*')"),
        ('[keywords.k]\nterms = ["de*"]\n',
         "f.toml:7: keywords.k.terms[0]: 'de*': a prefix needs at least 3 letters before '*'"),
        ('[keywords.k]\nterms = ["air *"]\n',
         "f.toml:7: keywords.k.terms[0]: 'air *': '*' must follow a letter or digit"
         " (e.g. 'deploy*' or 'air strike*')"),
        (RULE + 'all_of = [{ near = ["hezbollah", "strikes"] }]\n',
         "f.toml:8: rules[0].all_of[0].within: near needs within: a number of words"
         " (1 to 1000) or 'sentence'"),
        (RULE + 'all_of = [{ near = ["hezbollah", "strikes"], within = 0 }]\n',
         "f.toml:8: rules[0].all_of[0].within: 0 is out of range: give 1 to 1000"),
        (RULE + 'all_of = [{ near = ["hezbollah", "strikes"], within = "paragraph" }]\n',
         "f.toml:8: rules[0].all_of[0].within: 'paragraph' is not a number of words or 'sentence'"),
        (RULE + 'all_of = [{ near = ["hezbollah"], within = 3 }]\n',
         "f.toml:8: rules[0].all_of[0].near: near needs at least two items"),
        (RULE + 'all_of = [{ near = ["hezbollah", { none_of = ["strikes"] }], within = 3 }]\n',
         "f.toml:8: rules[0].all_of[0].near[1]: near items must be list names,"
         " { terms = [...] } or { any_of = [...] } of those"),
        (RULE + 'all_of = [{ terms = ["x"], within = 3 }]\n',
         "f.toml:8: rules[0].all_of[0].within: within belongs to near = [...]"),
        (RULE + 'all_of = ["hezbollah"]\nfields = ["page"]\n',
         "f.toml:9: rules[0].fields[0]: 'page' is not one of title, summary, content, body,"
         " feed, tags, domain"),
        (RULE + 'weights = { strikes = 2 }\n',
         "f.toml:6: rules[0].threshold: weights need a threshold: the score a match must reach"),
        (RULE + 'weights = { strikes = 2 }\nthreshold = 0\n',
         "f.toml:9: rules[0].threshold: 0 is out of range: give 1e-09 to 1e+06"),
        (RULE + 'weights = { strike = 2 }\nthreshold = 1\n',
         "f.toml:8: rules[0].weights.strike: no entity list or keyword set is called 'strike'"
         " (did you mean 'strikes'?)"),
        (RULE + 'weights = { strikes = 0 }\nthreshold = 1\n',
         "f.toml:8: rules[0].weights.strikes: a weight of 0 changes nothing:"
         " remove it or give another"),
        (RULE + 'weights = { strikes = "high" }\nthreshold = 1\n',
         "f.toml:8: rules[0].weights.strikes: expected a number, got a string"),
        (RULE + 'all_of = ["hezbollah"]\nthreshold = 3\n',
         "f.toml:9: rules[0].threshold: threshold needs weights: the score is the sum of weights"),
        (RULE + 'weights = { strikes = 2 }\nseverity = { high = 2, medium = 5 }\n',
         "f.toml:9: rules[0].severity.high: bands must rise with severity: high = 2 is not"
         " above medium = 5"),
        (RULE + 'weights = { strikes = 2 }\nthreshold = 1\nseverity = { urgent = 2 }\n',
         "f.toml:10: rules[0].severity.urgent: 'urgent' is not one of low, medium, high, critical"),
        (RULE + 'all_of = ["hezbollah"]\nseverity = { high = 2 }\n',
         "f.toml:9: rules[0].severity: severity bands need weights: they grade the score"),
        (RULE + 'all_of = ["hezbollah"]\nmin_outlets = 0\n',
         "f.toml:9: rules[0].min_outlets: 0 is out of range: give 1 to 1000"),
        (RULE + 'all_of = ["hezbollah"]\nfeeds = [""]\n',
         "f.toml:9: rules[0].feeds[0]: name must not be empty"),
        (RULE + 'any_of = ["hezbollah", { none_of = ["strikes"] }]\n',
         "f.toml:6: rules[0]: rule could fire on an article that mentions nothing:"
         " a none_of inside an any_of"),
        ('[entities.e]\nentries = [{ name = "Hezbollah",'
         ' fuzzy = { threshold = 120, min_length = 6 } }]\n',
         "f.toml:7: entities.e.entries[0].fuzzy.threshold: 120 is out of range: give 50 to 99"),
        ('[entities.e]\nentries = [{ name = "Hezbollah", fuzzy = { threshold = 85 } }]\n',
         "f.toml:7: entities.e.entries[0].fuzzy.min_length: required key is missing (short words"
         " are where near-misses are other words: 'Hama' and 'Hamas' score 89)"),
        ('[entities.e]\nfuzzy = { threshold = 85, min_length = 1 }\nentries = ["Hezbollah"]\n',
         "f.toml:7: entities.e.fuzzy.min_length: 1 is out of range: give 3 to 100"),
        (RULE + 'all_of = ["hezbollah"]\nexamples = { must_match = [{ summary = "" }] }\n',
         "f.toml:9: rules[0].examples.must_match[0]: an example needs a title, summary,"
         " content or body"),
        (RULE + 'all_of = ["hezbollah"]\nexamples = { should_match = ["x"] }\n',
         "f.toml:9: rules[0].examples.should_match: unknown key 'should_match'"
         " (did you mean 'must_match'?)"),
    ],
)  # fmt: skip
def test_each_mistake_names_file_line_key_and_a_fix(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_a_duplicate_name_in_another_file_names_the_first() -> None:
    with pytest.raises(RuleSetError) as caught:
        load_ruleset(
            [
                RuleSource("a.toml", LISTS),
                RuleSource("b.toml", '[keywords.strikes]\nterms = ["x"]\n'),
            ]
        )
    assert [str(e) for e in caught.value.errors] == [
        "b.toml:1: keywords.strikes: 'strikes' is already defined at a.toml:4"
    ]


def test_unknown_pack_is_reported_with_a_suggestion() -> None:
    assert problems('use = ["syria-gazeteer"]\n') == [
        "f.toml:1: use[0]: no vocabulary pack is called 'syria-gazeteer'"
        " (did you mean 'syria-gazetteer'?)"
    ]


def test_a_list_that_clashes_with_a_pack_names_the_pack_line() -> None:
    """Pack lists share the namespace; redefining one points at the pack."""
    pack = '[entities.iran]\nentries = ["Iran"]\n'
    text = 'use = ["mine"]\n[entities.iran]\nentries = ["Persia"]\n'
    assert problems(text, vocabulary={"mine": pack}) == [
        "f.toml:2: entities.iran: 'iran' is already defined at pack:mine:1"
    ]


def test_a_pack_may_hold_only_lists() -> None:
    pack = '[[rules]]\nname = "r"\nall_of = [{ terms = ["x"] }]\n'
    assert problems('use = ["bad"]\n', vocabulary={"bad": pack}) == [
        "pack:bad:1: rules: a vocabulary pack holds only entities and keywords"
    ]


def test_many_new_mistakes_are_all_reported_in_one_load() -> None:
    text = (
        RULE + 'all_of = [{ near = ["hezbolah", "strikes"], within = 0 }]\nmin_outlets = -1\n'
        '[keywords.k]\nterms = ["*x"]\n'
    )
    assert len(problems(text)) == 4
