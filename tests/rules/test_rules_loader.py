"""load_ruleset: TOML rule sources into one checked RuleSet, or every problem at once."""

from __future__ import annotations

import pytest

from rules import (
    FIELDS,
    EntityList,
    Entry,
    Group,
    KeywordSet,
    Location,
    Ref,
    Rule,
    RuleSet,
    RuleSetError,
    RuleSource,
    Severity,
    Terms,
    load_ruleset,
)

MAIN_CONFIG = """\
log_level = "info"

[daemon]
poll_interval = 300
database = "wirewatch.db"

[notifiers.slack]
type = "slack"
webhook_url = "https://hooks.example.invalid/T000"

[entities.iran]
kind = "actor"
description = "Iran and its forces"
entries = [
  { name = "Iran", aliases = ["Iranian", "IRGC"] },
  "Quds Force",
]

[keywords.escalation]
terms = ["troops", "air strikes"]
"""

RULE_FILE = """\
[entities.syria]
kind = "place"
entries = [{ name = "Latakia", aliases = ["Lattakia"] }, "Homs"]

[[rules]]
name = "iran-in-syria"
description = "Iranian forces active in Syria"
severity = "high"
all_of = ["iran", "syria"]
any_of = ["escalation", { all_of = [{ terms = ["shelling"] }, "syria"] }]
none_of = ["sport"]
fields = ["title", "summary"]
notifiers = ["slack", "email"]

[keywords.sport]
terms = ["football"]

[[rules]]
name = "any-syria"
enabled = false
any_of = ["syria"]
"""


def load(*texts: str) -> RuleSet:
    return load_ruleset([RuleSource(f"file{index}.toml", text) for index, text in enumerate(texts)])


def problems(*texts: str) -> list[str]:
    """Every problem the loader reports, as the user reads it."""
    with pytest.raises(RuleSetError) as caught:
        load(*texts)
    return [str(error) for error in caught.value.errors]


class TestValidSources:
    def test_lists_and_rules_from_all_sources_are_merged(self) -> None:
        """Lists from the main config and a rule file land in one rule set, in order."""
        ruleset = load_ruleset(
            [RuleSource("wirewatch.toml", MAIN_CONFIG), RuleSource("rules/syria.toml", RULE_FILE)]
        )
        assert ruleset.entities == {
            "iran": EntityList(
                "iran",
                "actor",
                (Entry("Iran", ("Iranian", "IRGC")), Entry("Quds Force")),
                "Iran and its forces",
            ),
            "syria": EntityList("syria", "place", (Entry("Latakia", ("Lattakia",)), Entry("Homs"))),
        }
        assert ruleset.keywords == {
            "escalation": KeywordSet("escalation", ("troops", "air strikes")),
            "sport": KeywordSet("sport", ("football",)),
        }
        assert [rule.name for rule in ruleset.rules] == ["iran-in-syria", "any-syria"]
        assert [rule.name for rule in ruleset.enabled_rules] == ["iran-in-syria"]

    def test_rule_keys_become_one_condition_tree(self) -> None:
        """all_of items, then any_of and none_of groups, nested tables and inline terms."""
        rule = load(MAIN_CONFIG, RULE_FILE).rules[0]
        assert rule == Rule(
            name="iran-in-syria",
            description="Iranian forces active in Syria",
            severity=Severity.HIGH,
            condition=Group(
                "all",
                (
                    Ref("iran"),
                    Ref("syria"),
                    Group(
                        "any",
                        (Ref("escalation"), Group("all", (Terms(("shelling",)), Ref("syria")))),
                    ),
                    Group("none", (Ref("sport"),)),
                ),
            ),
            fields=("title", "summary"),
            notifiers=("slack", "email"),
        )

    def test_optional_keys_take_their_defaults(self) -> None:
        """severity medium, enabled, all three fields, no notifier routes, empty texts."""
        rule = load(MAIN_CONFIG, '[[rules]]\nname = "r"\nall_of = ["iran"]\n').rules[0]
        assert (rule.severity, rule.enabled, rule.fields, rule.notifiers, rule.description) == (
            "medium",
            True,
            FIELDS,
            (),
            "",
        )

    def test_definitions_remember_file_and_line(self) -> None:
        """Each list and rule knows where it is written, for later messages."""
        ruleset = load_ruleset(
            [RuleSource("wirewatch.toml", MAIN_CONFIG), RuleSource("rules/syria.toml", RULE_FILE)]
        )
        assert ruleset.entities["iran"].location == Location("wirewatch.toml", 11, "entities.iran")
        assert ruleset.keywords["sport"].location == Location(
            "rules/syria.toml", 15, "keywords.sport"
        )
        assert ruleset.rules[1].location == Location("rules/syria.toml", 18, "rules[1]")

    def test_daemon_settings_alone_give_an_empty_rule_set(self) -> None:
        """Keys other than entities, keywords and rules are not the rule loader's business."""
        ruleset = load('log_level = "debug"\n[daemon]\nrules = "x"\n[[feeds]]\nurl = "u"\n')
        assert ruleset == load()


MANY_MISTAKES = """\
[daemon]
any_off = "daemon keys are never checked here"

[entities.iran]
kind = 7
entries = ["Iran", { name = "IRGC", alias = ["Guard"] }]

[entities.empty]
entries = []

[keywords.iran]
terms = ["—", ""]

[[rules]]
name = "iran-in-syria"
severity = "urgent"
all_of = ["iran", "syrai"]
any_off = ["iran"]
fields = ["title", "page"]

[[rules]]
name = "iran-in-syria"
enabled = "yes"
none_of = ["iran"]

[[rules]]
description = "no name"
any_of = [{ any_of = [] }, { terms = ["x"], all_of = ["iran"] }, 3]
notifiers = [""]
"""


def test_every_mistake_is_reported_with_file_line_and_key() -> None:
    """One load reports all problems, each at its own line and key, in file order."""
    assert problems(MANY_MISTAKES) == [
        "file0.toml:5: entities.iran.kind: expected a string, got an integer",
        "file0.toml:6: entities.iran.entries[1].alias: unknown key 'alias'"
        " (did you mean 'aliases'?)",
        "file0.toml:9: entities.empty.entries: must not be empty",
        "file0.toml:11: keywords.iran: 'iran' is already defined at file0.toml:4",
        "file0.toml:12: keywords.iran.terms[0]: '—' has no letters or digits",
        "file0.toml:12: keywords.iran.terms[1]: term is empty",
        "file0.toml:16: rules[0].severity: 'urgent' is not one of low, medium, high, critical",
        "file0.toml:17: rules[0].all_of[1]: no entity list or keyword set is called 'syrai'",
        "file0.toml:18: rules[0].any_off: unknown key 'any_off' (did you mean 'any_of'?)",
        "file0.toml:19: rules[0].fields[1]: 'page' is not one of title, summary, content,"
        " body, feed, tags, domain",
        "file0.toml:21: rules[1]: rule has no positive condition: give all_of, any_of or weights",
        "file0.toml:22: rules[1].name: rule 'iran-in-syria' is already defined at file0.toml:14",
        "file0.toml:23: rules[1].enabled: expected a boolean, got a string",
        "file0.toml:26: rules[2].name: required key is missing",
        "file0.toml:28: rules[2].any_of[0].any_of: must not be empty",
        "file0.toml:28: rules[2].any_of[1]:"
        " give exactly one of all_of, any_of, none_of, terms, near",
        "file0.toml:28: rules[2].any_of[2]:"
        " expected a list name or an inline table, got an integer",
        "file0.toml:29: rules[2].notifiers[0]: name must not be empty",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '[entities.x]\nentries = "Iran"\n',
            "file0.toml:2: entities.x.entries: expected an array, got a string",
            id="entries not an array",
        ),
        pytest.param(
            "[entities.x]\nkind = 'place'\n",
            "file0.toml:1: entities.x.entries: required key is missing",
            id="entries missing",
        ),
        pytest.param(
            "[entities.x]\nentries = [{ aliases = ['a'] }]\n",
            "file0.toml:2: entities.x.entries[0].name: required key is missing",
            id="entry without name",
        ),
        pytest.param(
            'entities = ["Iran"]\n',
            "file0.toml:1: entities: expected a table, got an array",
            id="entities not a table",
        ),
        pytest.param(
            '[rules]\nname = "r"\n',
            "file0.toml:1: rules: expected an array, got a table",
            id="[rules] instead of [[rules]]",
        ),
        pytest.param(
            '[[rules]]\nname = "r"\nall_of = "iran"\n',
            "file0.toml:3: rules[0].all_of: expected an array, got a string",
            id="all_of not an array",
        ),
        pytest.param(
            '[[rules]]\nname = "r"\nall_of = [{ terms = [] }]\n',
            "file0.toml:3: rules[0].all_of[0].terms: must not be empty",
            id="empty inline terms",
        ),
        pytest.param(
            '[[rules]]\nname = "r"\nall_of = [{ none_of = [{ terms = ["x"] }] }]\n',
            "file0.toml:1: rules[0]:"
            " rule has no positive condition: give all_of, any_of or weights",
            id="only negative nested",
        ),
        pytest.param(
            'rules = [\n  { name = "r", severity = "urgent", all_of = [{ terms = ["x"] }] },\n]\n',
            "file0.toml:2: rules[0].severity: 'urgent' is not one of low, medium, high, critical",
            id="inline array of rules",
        ),
        pytest.param(
            '[[rules]]\nname = "  "\nall_of = [{ terms = ["x"] }]\n',
            "file0.toml:2: rules[0].name: name must not be empty",
            id="blank rule name",
        ),
        pytest.param(
            '[[rules]]\nname = "surge:name:kyiv"\nall_of = [{ terms = ["x"] }]\n',
            "file0.toml:2: rules[0].name: rule names 'surge' and 'surge:…' are reserved for "
            "surge alerts",
            id="a surge alert's rule name",
        ),
        pytest.param(
            '[[rules]]\nname = "r"\nall_of = [{ terms = ["x"] }]\nfields = []\n',
            "file0.toml:4: rules[0].fields: must not be empty",
            id="empty fields",
        ),
        pytest.param(
            '[[rules]]\nname = "r"\nseverity = "High"\nall_of = [{ terms = ["x"] }]\n',
            "file0.toml:3: rules[0].severity: 'High' is not one of low, medium, high, critical",
            id="severity is case-sensitive",
        ),
    ],
)
def test_single_mistake_message(text: str, expected: str) -> None:
    """Each kind of mistake gets one message naming file, line and key."""
    assert problems(text) == [expected]


def test_toml_syntax_error_reports_its_line_and_other_files_still_checked() -> None:
    """A broken file is reported at tomllib's line; the other sources are still read."""
    broken = '[[rules]]\nname = "r"\nall_of = ["iran",\n\nseverity = "high"\n'
    assert problems(MAIN_CONFIG, broken, '[[rules]]\nname = "x"\nseverity = "urgent"\n') == [
        "file1.toml:5: invalid TOML: Invalid value",
        "file2.toml:1: rules[0]: rule has no positive condition: give all_of, any_of or weights",
        "file2.toml:3: rules[0].severity: 'urgent' is not one of low, medium, high, critical",
    ]


def test_toml_error_at_end_of_document_points_at_the_last_line() -> None:
    """tomllib gives no line for errors at the very end; the last line stands in."""
    assert problems('[[rules]]\nname = "r"\ndescription = "open') == [
        "file0.toml:3: invalid TOML: Unterminated string"
    ]


def test_names_are_shared_across_sources_and_duplicates_name_the_first() -> None:
    """A rule file may use lists from the main config; redefining one is an error."""
    rule_file = '[keywords.iran]\nterms = ["x"]\n[[rules]]\nname = "r"\nall_of = ["escalation"]\n'
    assert problems(MAIN_CONFIG, rule_file) == [
        "file1.toml:1: keywords.iran: 'iran' is already defined at file0.toml:11"
    ]


def test_rule_set_error_message_lists_every_problem() -> None:
    """str(RuleSetError) is a count followed by one indented line per problem."""
    with pytest.raises(RuleSetError) as caught:
        load('[[rules]]\nname = ""\n')
    assert str(caught.value) == (
        "2 problems in the rules:\n"
        "  file0.toml:1: rules[0]: rule has no positive condition: give all_of, any_of or weights\n"
        "  file0.toml:2: rules[0].name: name must not be empty"
    )


@pytest.mark.parametrize(
    ("notifiers", "expected"),
    [
        (None, []),  # not given: the caller checks nothing
        ({"console", "slack"}, ["file1.toml:4: rules[0].notifiers[1]: unknown notifier 'slak'"
                                " (did you mean 'slack'?)"]),
        ({"console"}, ["file1.toml:4: rules[0].notifiers[1]: unknown notifier 'slak'"
                       " (known: console)"]),
        (set(), ["file1.toml:4: rules[0].notifiers[0]: unknown notifier 'console'"
                 " (no notifier is defined)",
                 "file1.toml:4: rules[0].notifiers[1]: unknown notifier 'slak'"
                 " (no notifier is defined)"]),
    ],
    ids=["not checked", "misspelt", "no close name", "none defined"],
)  # fmt: skip
def test_rule_notifiers_are_checked_against_the_names_given(
    notifiers: set[str] | None, expected: list[str]
) -> None:
    """Each at its own line, with the rule set's other problems, and the rules read named."""
    rule_file = '[[rules]]\nname = "r"\nall_of = ["escalation"]\nnotifiers = ["console", "slak"]\n'
    sources = [RuleSource("file0.toml", MAIN_CONFIG), RuleSource("file1.toml", rule_file)]
    if not expected:
        assert load_ruleset(sources, notifiers=notifiers).rules[-1].notifiers == ("console", "slak")
        return
    with pytest.raises(RuleSetError) as caught:
        load_ruleset(sources, notifiers=notifiers)
    assert [str(error) for error in caught.value.errors] == expected
    assert caught.value.rule_names[-1] == "r"
