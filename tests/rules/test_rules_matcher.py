"""compile_rules / Matcher.match: which rules fire on an article, and on which words."""

from __future__ import annotations

import pytest

from rules import (
    Group,
    Matcher,
    Ref,
    Rule,
    RuleSet,
    RuleSource,
    Terms,
    compile_rules,
    load_ruleset,
)
from rules.scan import MAX_HITS_PER_TERM as _MAX_HITS_PER_TERM

LISTS = """\
[entities.iran]
kind = "actor"
entries = [
  { name = "Iran", aliases = ["Iranian", "Iranians", "IRGC", "Islamic Revolutionary Guard Corps"] },
  "Quds Force",
]

[entities.syria]
kind = "place"
entries = [{ name = "Latakia", aliases = ["Lattakia"] }, "Homs", "Hama", "Aleppo", "Syria"]

[keywords.escalation]
terms = ["troops", "air strike", "air strikes", "offensive", "deployed"]

[keywords.sport]
terms = ["football", "league"]
"""

IRAN_IN_SYRIA = """\
[[rules]]
name = "iran-in-syria"
description = "Iranian forces active in Syria"
severity = "high"
all_of = ["iran", "syria"]
any_of = ["escalation"]
none_of = ["sport"]
notifiers = ["slack", "email"]
"""


def matcher_for(rules_toml: str) -> Matcher:
    sources = [RuleSource("lists.toml", LISTS), RuleSource("rules.toml", rules_toml)]
    return compile_rules(load_ruleset(sources))


def term_matcher(term: str) -> Matcher:
    """A matcher with one rule that fires on one inline term."""
    rule = Rule("term", Group("all", (Terms((term,)),)))
    return compile_rules(RuleSet({}, {}, (rule,)))


@pytest.mark.parametrize(
    ("term", "text", "fires"),
    [
        pytest.param("Hama", "Shelling reported in Hama overnight", True, id="Hama"),
        pytest.param("Hama", "Hamas officials denied the claim", False, id="Hama not in Hamas"),
        pytest.param("Iran", "The delegation flew on to Tirana", False, id="Iran not in Tirana"),
        pytest.param("Iran", "Iranian officials", False, id="Iran not in Iranian"),
        pytest.param("Iran", "Iran's envoy left early", True, id="possessive"),
        pytest.param("Iran", "Iran’s envoy left early", True, id="curly possessive"),
        pytest.param("Hezbollah", "Hezbollah-backed units moved", True, id="hyphenated"),
        pytest.param("troop", "troops massed at the border", False, id="no plural stemming"),
        pytest.param("air strikes", "fresh air strikes were reported", True, id="multi-word"),
        pytest.param("air strikes", "an air strike was reported", False, id="multi-word plural"),
        pytest.param("air strikes", "air defence strikes", False, id="words must be adjacent"),
        pytest.param(
            "Islamic Revolutionary Guard Corps",
            "the Islamic Revolutionary\nGuard  Corps said",
            True,
            id="long multi-word across whitespace",
        ),
        pytest.param("Islamic Revolutionary Guard Corps", "Revolutionary Guard", False, id="part"),
        pytest.param("iran", "IRAN SAYS TALKS OVER", True, id="case-insensitive"),
        pytest.param("Alep", "fighting near Alép resumed", True, id="diacritic in text"),
        pytest.param("Alép", "fighting near Alep resumed", True, id="diacritic in term"),
        pytest.param("Iran", "ＩＲＡＮ", True, id="fullwidth"),
        pytest.param("Iran", "", False, id="empty text"),
    ],
)
def test_terms_match_whole_words_only(term: str, text: str, fires: bool) -> None:
    """A term hits only as complete, consecutive normalised words."""
    assert bool(term_matcher(term).match({"title": text})) is fires


@pytest.mark.parametrize(
    ("condition", "text", "fires"),
    [
        pytest.param('all_of = ["iran", "syria"]', "Iran in Homs", True, id="all: both"),
        pytest.param('all_of = ["iran", "syria"]', "Iran only", False, id="all: one missing"),
        pytest.param('any_of = ["iran", "syria"]', "Homs only", True, id="any: one"),
        pytest.param('any_of = ["iran", "syria"]', "nothing here", False, id="any: none"),
        pytest.param(
            'all_of = ["iran"]\nnone_of = ["sport"]', "Iran league", False, id="none: vetoes"
        ),
        pytest.param(
            'all_of = ["iran"]\nnone_of = ["sport"]', "Iran talks", True, id="none: absent"
        ),
        pytest.param(
            'all_of = ["iran", { any_of = ["syria", { terms = ["Baghdad"] }] }]',
            "Iran sends envoy to Baghdad",
            True,
            id="nested any with inline terms",
        ),
        pytest.param(
            'all_of = ["iran", { any_of = ["syria", { terms = ["Baghdad"] }] }]',
            "Iran sends envoy to Beirut",
            False,
            id="nested any unmet",
        ),
        pytest.param(
            'any_of = [{ all_of = ["iran", { none_of = ["escalation"] }] }]',
            "Iran holds talks",
            True,
            id="nested none met",
        ),
        pytest.param(
            'any_of = [{ all_of = ["iran", { none_of = ["escalation"] }] }]',
            "Iran deployed troops",
            False,
            id="nested none vetoes its group",
        ),
        pytest.param(
            'all_of = [{ terms = ["Quds Force"] }, { terms = ["shelling", "rockets"] }]',
            "Quds Force rockets",
            True,
            id="inline terms only",
        ),
    ],
)
def test_condition_semantics(condition: str, text: str, fires: bool) -> None:
    """all_of needs every item, any_of one, none_of none; groups nest."""
    matcher = matcher_for(f'[[rules]]\nname = "r"\n{condition}\n')
    assert bool(matcher.match({"title": text})) is fires


def test_realistic_headline_fires_the_iran_in_syria_rule() -> None:
    """A headline naming the actor, a place and an escalation word fires with its terms."""
    headline = "Iranian troops land at Lattakia airfield to bolster a push on rebel-held Hama"
    summary = "Officials in Homs said the offensive began after IRGC advisers arrived."
    matches = matcher_for(IRAN_IN_SYRIA).match({"title": headline, "summary": summary})
    assert [(m.rule, m.severity, m.notifiers, m.description) for m in matches] == [
        ("iran-in-syria", "high", ("slack", "email"), "Iranian forces active in Syria")
    ]
    assert matches[0].terms == (
        "Iranian",
        "troops",
        "Lattakia",
        "Hama",
        "Homs",
        "offensive",
        "IRGC",
    )


def test_hits_give_term_list_field_and_offsets_into_the_original() -> None:
    """Each hit names the term as written, its list (None when inline) and an exact span."""
    title = "Iran’s IRGC and the Islamic Revolutionary Guard Corps near ALEP"
    rules = '[[rules]]\nname = "r"\nall_of = ["iran", { terms = ["Alép"] }]\n'
    (match,) = matcher_for(rules).match({"title": title})
    assert [(hit.term, hit.ref, title[hit.start : hit.end]) for hit in match.hits] == [
        ("Iran", "iran", "Iran"),
        ("IRGC", "iran", "IRGC"),
        ("Islamic Revolutionary Guard Corps", "iran", "Islamic Revolutionary Guard Corps"),
        ("Alép", None, "ALEP"),
    ]
    assert {hit.field for hit in match.hits} == {"title"}


def test_hits_are_ordered_by_field_then_position() -> None:
    """Hits follow the rule's field order and the text order; terms list each once."""
    fields = {"content": "Homs then Iran", "title": "Iran and Iran", "summary": "Hama"}
    (match,) = matcher_for('[[rules]]\nname = "r"\nall_of = ["iran", "syria"]\n').match(fields)
    assert [(hit.field, hit.term, hit.start) for hit in match.hits] == [
        ("title", "Iran", 0),
        ("title", "Iran", 9),
        ("summary", "Hama", 0),
        ("content", "Homs", 0),
        ("content", "Iran", 10),
    ]
    assert match.terms == ("Iran", "Hama", "Homs")


def test_rule_fields_limit_where_terms_count() -> None:
    """A rule scoped to the title ignores hits in summary and content."""
    rules = '[[rules]]\nname = "r"\nall_of = ["iran", "syria"]\nfields = ["title"]\n'
    matcher = matcher_for(rules)
    assert matcher.match({"title": "Iran", "summary": "Homs", "content": "Homs"}) == []
    assert [m.rule for m in matcher.match({"title": "Iran in Homs", "summary": "x"})] == ["r"]


def test_disabled_rules_never_fire_and_are_not_compiled() -> None:
    """enabled = false keeps a rule out of the matcher entirely."""
    rules = (
        '[[rules]]\nname = "off"\nenabled = false\nall_of = ["iran"]\n'
        '[[rules]]\nname = "on"\nall_of = ["syria"]\n'
    )
    matcher = matcher_for(rules)
    assert matcher.rule_names == ("on",)
    assert matcher.match({"title": "Iran and Syria"})[0].rule == "on"
    assert len(matcher.match({"title": "Iran and Syria"})) == 1


def test_results_follow_rule_order_and_extra_fields_are_ignored() -> None:
    """Every firing rule is returned once, in rule order; unknown field keys are skipped."""
    rules = "".join(
        f'[[rules]]\nname = "{name}"\nany_of = ["{ref}"]\n'
        for name, ref in [("b", "syria"), ("a", "iran"), ("c", "sport")]
    )
    matches = matcher_for(rules).match({"title": "Iran strikes Homs", "link": "football"})
    assert [m.rule for m in matches] == ["b", "a"]


def test_repeated_term_in_hostile_text_gives_bounded_hits() -> None:
    """An article repeating a term thousands of times still fires, with capped hits."""
    (match,) = term_matcher("Iran").match({"content": "Iran " * 10_000})
    assert len(match.hits) == _MAX_HITS_PER_TERM
    assert match.terms == ("Iran",)


def test_compile_rejects_a_reference_to_an_unknown_list() -> None:
    """A hand-built rule set naming a missing list fails at compile time, naming it."""
    ruleset = RuleSet({}, {}, (Rule("r", Group("all", (Ref("nowhere"),))),))
    with pytest.raises(ValueError, match="'nowhere'"):
        compile_rules(ruleset)
