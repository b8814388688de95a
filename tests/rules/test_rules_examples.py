"""Rule examples (must_match / must_not_match) as tests, and explanations that agree with
matching."""

from __future__ import annotations

import pytest

from rules import (
    MatchContext,
    RuleSource,
    compile_rules,
    highlight,
    load_ruleset,
    render_explanation,
    run_examples,
)

RULES = """\
[entities.iran]
entries = [{ name = "Iran", aliases = ["Iranian"] }]

[entities.syria]
entries = ["Homs", "Latakia"]

[keywords.movement]
terms = ["troops", "deploy*"]

[[rules]]
name = "iran-in-syria"
all_of = ["iran", "syria"]
any_of = ["movement"]
min_outlets = 2
feed_tags = ["levant"]

[rules.examples]
must_match = [
  "Iranian troops reach Homs",
  { title = "Iran deploys", summary = "The units arrived in Latakia." },
  { title = "Iranian troops reach Homs", outlets = 1 },
]
must_not_match = [
  "Tirana troops reach Homs",
  { title = "Iranian troops reach Homs", tags = ["sport"] },
]
"""


def test_examples_run_with_a_context_that_satisfies_the_rules_scope() -> None:
    """Unset outlets and tags default to the rule's own; set ones are used as given."""
    report = run_examples(load_ruleset([RuleSource("rules.toml", RULES)]))
    assert report.ran == 5
    assert not report.passed
    (failure,) = report.failures
    assert failure.rule == "iran-in-syria"
    assert failure.example.outlets == 1


def test_a_failure_reads_as_a_diff_with_location_text_and_reasons() -> None:
    report = run_examples(load_ruleset([RuleSource("rules.toml", RULES)]))
    assert report.failures[0].report().splitlines() == [
        "--- rules.toml:21: rules[0].examples.must_match[2]",
        "+++ rule iran-in-syria",
        "  title: Iranian troops reach Homs",
        "- expected: match",
        "+ got:      no match",
        "    ✓ feed scope (the feed is in scope)",
        "    ✗ min_outlets (1 of 2 outlets)",
        "    ✓ iran: Iranian (title 0-7)",
        "    ✓ syria: Homs (title 21-25)",
        "    ✓ any_of",
        "      ✓ movement: troops (title 8-14)",
    ]


def test_disabled_rules_have_their_examples_run_too() -> None:
    text = RULES.replace("min_outlets = 2", "enabled = false\nmin_outlets = 2")
    assert len(run_examples(load_ruleset([RuleSource("r.toml", text)])).failures) == 1


CASES = [
    ("Iranian troops reach Homs", MatchContext(outlets=2, feed_tags=("levant",))),
    ("Iranian troops reach Homs", MatchContext(outlets=1, feed_tags=("levant",))),
    ("Iranian troops reach Homs", MatchContext(outlets=3)),
    ("Iranian advisers reach Homs", MatchContext(outlets=2, feed_tags=("levant",))),
    ("Tirana troops reach Homs", MatchContext(outlets=2, feed_tags=("levant",))),
]


@pytest.mark.parametrize(("text", "context"), CASES)
def test_explain_agrees_with_match(text: str, context: MatchContext) -> None:
    """explain() reaches the same verdict and the same match as match()."""
    matcher = compile_rules(load_ruleset([RuleSource("r.toml", RULES)]))
    matches = matcher.match({"title": text}, context)
    (explanation,) = matcher.explain({"title": text}, context)
    assert explanation.fired is bool(matches)
    assert explanation.match == (matches[0] if matches else None)


def test_rendered_explanation_marks_hits_and_never_passes_control_characters() -> None:
    matcher = compile_rules(load_ruleset([RuleSource("r.toml", RULES)]))
    text = "Iranian\x1b[2J troops reach Homs"
    context = MatchContext(outlets=2, feed_tags=("levant",))
    (explanation,) = matcher.explain({"title": text}, context)
    rendered = render_explanation(explanation, {"title": text})
    assert rendered.splitlines()[0] == "iran-in-syria: FIRES (severity medium)"
    assert rendered.splitlines()[-1] == "  title: [Iranian]?[2J [troops] reach [Homs]"
    coloured = render_explanation(explanation, {"title": text}, color=True)
    assert "\x1b[1;30;43mHoms\x1b[0m" in coloured and "\x1b[2J" not in coloured


def test_overlapping_hits_are_marked_once() -> None:
    matcher = compile_rules(load_ruleset([RuleSource("r.toml", RULES.replace(
        'terms = ["troops", "deploy*"]', 'terms = ["troops", "Iranian troops"]'))]))  # fmt: skip
    context = MatchContext(outlets=2, feed_tags=("levant",))
    (match,) = matcher.match({"title": "Iranian troops reach Homs"}, context)
    assert highlight("Iranian troops reach Homs", match.hits, "title") == (
        "[Iranian troops] reach [Homs]"
    )
