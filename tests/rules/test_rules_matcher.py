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
    normalise,
)
from rules.compiler import required as required_leaves
from rules.evaluate import GroupNode, LeafNode, NearNode
from rules.field import TermInfo
from rules.scan import MAX_HITS_PER_TERM as _MAX_HITS_PER_TERM
from rules.scan import Scanner
from rules.text import FIELD_BREAK, JOINER, fold_joined

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


EVERY_LIST = """\
[[rules]]
name = "any"
any_of = ["iran", "syria", "escalation"]
fields = ["title", "summary", "content", "tags"]
"""

# Same words, each article once on the fast path (plain ASCII fields folded together)
# and once pushed off it by a third field: an accent, an apostrophe, markup.
_ARTICLES = [
    pytest.param({"title": "Iran, Homs.", "summary": "Air strike near Hama - troops deployed"},
                 id="punctuation"),
    pytest.param({"title": "IRGC  —  Quds Force", "summary": "air, strike; Latakia..."},
                 id="dashes and runs of separators"),
    pytest.param({"title": "Troops hit by air", "summary": "strike on Homs"},
                 id="no term across fields"),
    pytest.param({"title": "Iran", "summary": "Iran Iran", "content": "Homs  Hama"},
                 id="three fields"),
    pytest.param({"title": "“Iran” – Homs", "summary": "air\u00a0strikes"},
                 id="typographic punctuation"),
]  # fmt: skip
_OFF_THE_FAST_PATH = [
    pytest.param("Alép", id="accent"),
    pytest.param("it's", id="apostrophe"),
    pytest.param("<b>x</b>", id="markup"),
]


def _hits(matcher: Matcher, fields: dict[str, str]) -> set[tuple[str, str, int, int]]:
    return {(h.field, h.term, h.start, h.end) for m in matcher.match(fields) for h in m.hits}


@pytest.mark.parametrize("extra", _OFF_THE_FAST_PATH)
@pytest.mark.parametrize("fields", _ARTICLES)
def test_fast_and_slow_folding_find_the_same_hits(fields: dict[str, str], extra: str) -> None:
    """Hits do not depend on which fold an article takes: each field keeps its offsets."""
    matcher = matcher_for(EVERY_LIST)
    assert fold_joined(JOINER.join(fields.values()), list(fields.values())) is not None
    slow = _hits(matcher, {**fields, "tags": extra})
    assert _hits(matcher, fields) == {hit for hit in slow if hit[0] in fields}


@pytest.mark.parametrize("fields", _ARTICLES)
def test_each_field_hits_as_it_would_alone(fields: dict[str, str]) -> None:
    """Folding fields together changes nothing: the hits are those of each field alone."""
    matcher = matcher_for(EVERY_LIST)
    alone = set().union(*(_hits(matcher, {name: text}) for name, text in fields.items()))
    assert _hits(matcher, fields) == alone
    for field, term, start, end in alone:
        assert normalise(fields[field][start:end]) == normalise(term)


@pytest.mark.parametrize(
    ("condition", "required"),
    [
        pytest.param('all_of = ["iran", "syria"]', ["iran", "syria"], id="all: each"),
        pytest.param('any_of = ["iran", "syria"]', [], id="any: none required"),
        pytest.param('all_of = ["iran"]\nany_of = ["escalation"]', ["iran", "escalation"],
                     id="all and a one-item any"),
        pytest.param('all_of = ["iran"]\nnone_of = ["sport"]', ["iran"], id="none: not required"),
        pytest.param('any_of = [{ all_of = ["iran", "syria"] }, { all_of = ["sport", "iran"] }]',
                     ["iran"], id="any: what every item requires"),
        pytest.param('all_of = [{ near = ["iran", "syria"], within = 3 }]', ["iran", "syria"],
                     id="near: each"),
    ],
)  # fmt: skip
def test_rules_are_evaluated_only_when_their_required_lists_hit(
    condition: str, required: list[str]
) -> None:
    """A rule is looked at only for articles hitting every list it cannot fire without."""
    matcher = matcher_for(f'[[rules]]\nname = "r"\n{condition}\n')
    (compiled,) = matcher._rules
    labels = _leaf_labels(compiled.condition)
    assert [labels[leaf] for leaf in required_leaves(compiled.condition)] == required
    assert {labels[leaf] for leaf in compiled.required} == set(required)


def _leaf_labels(node: object) -> dict[int, str]:
    if isinstance(node, LeafNode):
        return {node.leaf: node.label}
    assert isinstance(node, GroupNode | NearNode)
    return {leaf: label for item in node.items for leaf, label in _leaf_labels(item).items()}


def test_stray_hits_of_a_rule_s_other_lists_fire_nothing() -> None:
    """Hits of a list the rule needs with another list fire nothing, in any field."""
    matcher = matcher_for(IRAN_IN_SYRIA)
    assert matcher.match({"title": "troops", "summary": "Homs offensive", "content": "x"}) == []
    fields = {"title": "troops", "summary": "Homs offensive", "content": "Iran"}
    assert [m.rule for m in matcher.match(fields)] == ["iran-in-syria"]


def test_hits_that_can_fire_nothing_are_still_explained() -> None:
    """Matching skips the hits of lists no rule is indexed under; explanations show them."""
    matcher = matcher_for(IRAN_IN_SYRIA)
    fields = {"title": "troops in Homs"}
    assert matcher.match(fields) == []
    (explanation,) = matcher.explain(fields)
    assert [(check.label, check.passed) for check in explanation.checks] == [
        ("iran", False),
        ("syria", True),
        ("any_of", True),
        ("none_of", True),
    ]
    assert [hit.term for hit in explanation.checks[2].children[0].hits] == ["troops"]


@pytest.mark.parametrize(
    ("triggers", "text", "leaves"),
    [
        pytest.param(None, " iran ¶ homs ", {0, 1}, id="every leaf triggers"),
        pytest.param({0}, " iran ¶ homs ", {0, 1}, id="a trigger hit: every hit"),
        pytest.param({0}, " homs ¶ homs ", set(), id="no trigger hit: none"),
        pytest.param(set(), " iran ", set(), id="no triggers"),
    ],
)
def test_scanner_skips_articles_whose_hits_trigger_nothing(
    triggers: set[int] | None, text: str, leaves: set[int]
) -> None:
    terms = [TermInfo(0, "Iran", None, 0, 1, False), TermInfo(1, "Homs", None, 0, 1, False)]
    scanner = Scanner(terms, triggers=triggers)
    names = ["title", "summary"][: text.count(FIELD_BREAK) + 1]
    assert set(scanner.scan(text, names, every=False)) == leaves
    every = {index for index, word in enumerate(("iran", "homs")) if word in text}
    assert set(scanner.scan(text, names)) == every
