"""Which words of an article the story page marks: the rule engine's hits of the terms of
the rules that alerted on the story, in any script, never a veto's."""

from __future__ import annotations

import pytest

import rules
from monitor.web.story_marks import story_hits

RULES = """
[entities.hezbollah]
entries = [{ name = "Hezbollah", aliases = ["حزب الله", "Хезболла"] }]

[entities.syria]
entries = [{ name = "Latakia", aliases = ["اللاذقية", "Латакия"] }]

[[rules]]
name = "hezbollah-in-syria"
all_of = ["hezbollah", "syria"]
none_of = [{ terms = ["exercise"] }]

[[rules]]
name = "other"
all_of = [{ terms = ["convoy"] }]
"""
MATCHER = rules.compile_rules(rules.load_ruleset([rules.RuleSource("rules.toml", RULES)]))
ALERTED = {"hezbollah-in-syria": ["Hezbollah", "Latakia"]}


def _marked(title: str, language: str, alerted: dict[str, list[str]],
            matcher: rules.Matcher | None = MATCHER) -> list[str]:  # fmt: skip
    context = rules.MatchContext(language=language)
    hits = story_hits({"title": title}, context, matcher, alerted)
    return [title[hit.start : hit.end] for hit in sorted(hits, key=lambda hit: hit.start)]


@pytest.mark.parametrize(
    ("title", "language", "marked"),
    [
        ("Hezbollah convoy near Latakia", "en", ["Hezbollah", "Latakia"]),
        ("مقاتلون من حزب الله قرب اللاذقية", "ar", ["حزب الله", "اللاذقية"]),
        # inflected forms, as the matcher finds them: not the aliases' spelling
        ("Боевики «Хезболлы» замечены под Латакией", "ru", ["Хезболлы", "Латакией"]),
        # whole words only: no mark inside another word
        ("Hezbollahstan Latakiaville", "en", []),
        # only the rules that alerted: "convoy" is the other rule's term
        ("A convoy, not an exercise, near Latakia", "en", ["Latakia"]),
    ],
)
def test_marks_are_the_alerted_rules_hits_in_any_script(
    title: str, language: str, marked: list[str]
) -> None:
    assert _marked(title, language, ALERTED) == marked


def test_a_vetoing_term_is_never_marked() -> None:
    assert "exercise" not in _marked("Hezbollah exercise near Latakia", "en", ALERTED)


@pytest.mark.parametrize("matcher", [MATCHER, None], ids=["rule-gone", "no-rules-loaded"])
def test_a_rule_no_longer_configured_marks_its_recorded_terms(
    matcher: rules.Matcher | None,
) -> None:
    alerted = {"renamed-rule": ["Хезболла"]}
    assert _marked("Боевики «Хезболлы» у Латакии", "ru", alerted, matcher) == ["Хезболлы"]
