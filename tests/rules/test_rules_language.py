"""The rule language beyond all/any/none: proximity, field scope, weights and severity bands,
corroboration, feed scope, fuzzy entries, rule metadata. Table-driven, self-written texts."""

from __future__ import annotations

import pytest

from rules import Match, MatchContext, RuleSource, compile_rules, load_ruleset

LISTS = """\
[entities.iran]
entries = [{ name = "Iran", aliases = ["Iranian", "IRGC"] }]

[entities.hezbollah]
fuzzy = { threshold = 85, min_length = 8 }
entries = [{ name = "Hezbollah", aliases = ["Hizbollah"] }]

[entities.places]
entries = ["Homs", "Hama", { name = "Latakia", aliases = ["Lattakia"] }, "Deir ez-Zor"]

[keywords.movement]
terms = ["troops", "reinforcements", "deploy*", "convoy"]

[keywords.strikes]
terms = ["air strike*", "strikes", "shelling", "shelled"]

[keywords.casualties]
terms = ["killed", "wounded", "dead"]

[keywords.noise]
terms = ["football"]
"""

URL = "https://lw.example/rss"


def fire(rule: str, fields: dict[str, str], context: MatchContext | None = None) -> Match | None:
    source = LISTS + f'[[rules]]\nname = "r"\n{rule}\n'
    found = compile_rules(load_ruleset([RuleSource("t.toml", source)])).match(fields, context)
    return found[0] if found else None


@pytest.mark.parametrize(
    ("within", "text", "fires"),
    [
        (1, "Iranian troops", True),
        (1, "Iranian fresh troops", False),
        (2, "Iranian fresh troops", True),
        (3, "troops sent by Iran", True),
        (2, "troops sent by Iran", False),
        (3, "IRGC commander said reinforcements arrived", True),
        (2, "IRGC commander said reinforcements arrived", False),
        (5, "Iran. Then, after a long pause, troops", False),
        (8, "Iran. Then, after a long pause, troops", True),
        ('"sentence"', "Iranian advisers said more troops would come.", True),
        ('"sentence"', "Iran spoke. Troops moved later.", False),
        ('"sentence"', "Mr. Hosseini of Iran spoke and troops moved.", True),
        ('"sentence"', "Iran spoke on the radio\ntroops moved", False),
        ('"sentence"', "Troops moved. Iran spoke. Iran said troops would stay.", True),
    ],
)
def test_near_within_words_or_a_sentence(within: object, text: str, fires: bool) -> None:
    """within N: the later hit starts at most N words after the earlier ends; sentence: one."""
    rule = f'all_of = [{{ near = ["iran", "movement"], within = {within} }}]'
    assert (fire(rule, {"title": text}) is not None) is fires


def test_near_never_pairs_hits_from_two_fields() -> None:
    """Proximity is within one field: the end of the title is not near the summary."""
    rule = 'all_of = [{ near = ["iran", "movement"], within = 3 }]'
    assert fire(rule, {"title": "Talks with Iran", "summary": "troops stay"}) is None


def test_near_accepts_an_any_of_item_and_reports_the_close_hits() -> None:
    """{ any_of = [...] } inside near counts hits of any of its lists."""
    rule = 'all_of = [{ near = ["places", { any_of = ["strikes", "casualties"] }], within = 2 }]'
    match = fire(rule, {"title": "Homs: three killed, and far later Hama strikes"})
    assert match is not None
    assert [hit.term for hit in match.hits] == ["Homs", "killed"]


@pytest.mark.parametrize(
    ("rule", "fields", "fires"),
    [
        ('all_of = ["iran"]\nfields = ["title"]', {"summary": "Iran"}, False),
        ('all_of = ["iran"]\nfields = ["summary"]', {"summary": "Iran"}, True),
        ('all_of = ["iran"]\nfields = ["content"]', {"content": "<p>Iran</p>"}, True),
        ('all_of = ["iran"]\nfields = ["feed"]', {"feed": "Iran Wire"}, True),
        ('all_of = ["iran"]', {"feed": "Iran Wire"}, False),
        (
            'all_of = ["places", { any_of = ["iran"], fields = ["title"] }]',
            {"title": "Homs", "summary": "Iran"},
            False,
        ),
        (
            'all_of = ["places", { any_of = ["iran"], fields = ["title"] }]',
            {"title": "Iran", "summary": "Homs"},
            True,
        ),
        (
            'all_of = [{ terms = ["Homs"], fields = ["summary"] }]',
            {"title": "Homs", "summary": "x"},
            False,
        ),
    ],
)
def test_fields_scope_where_a_rule_or_an_item_looks(
    rule: str, fields: dict[str, str], fires: bool
) -> None:
    """A rule reads its fields; an item with its own fields reads those instead."""
    assert (fire(rule, fields) is not None) is fires


@pytest.mark.parametrize(
    ("field", "term", "context", "fires"),
    [
        ("feed", "Al Jazeera", MatchContext(feed_name="Al Jazeera English"), True),
        ("tags", "middle east", MatchContext(feed_tags=("world", "middle-east")), True),
        ("domain", "bbc.co.uk", MatchContext(link="https://www.bbc.co.uk/news/1"), True),
        ("domain", "bbc.co.uk", MatchContext(link="https://notbbc.co.uk.example/"), False),
        ("domain", "bbc", MatchContext(link="not a link"), False),
    ],
)
def test_feed_name_tags_and_link_domain_come_from_the_context(
    field: str, term: str, context: MatchContext, fires: bool
) -> None:
    rule = f'all_of = [{{ terms = ["{term}"] }}]\nfields = ["{field}"]'
    assert (fire(rule, {"title": "x"}, context) is not None) is fires


@pytest.mark.parametrize(
    ("scope", "context", "fires"),
    [
        ('feeds = ["Levant Wire"]', MatchContext(feed_name="levant wire"), True),
        ('feeds = ["Levant Wire"]', MatchContext(feed_name="Gulf Dispatch"), False),
        (f'feeds = ["{URL}"]', MatchContext(feed_url=URL), True),
        (f'feeds = ["{URL}"]', MatchContext(feed_url=URL + "2", feed_name="Levant Wire"), False),
        ('feed_tags = ["syria"]', MatchContext(feed_tags=("world", "Syria")), True),
        ('feed_tags = ["syria"]', MatchContext(feed_tags=("world",)), False),
        ('feed_tags = ["syria"]', None, False),
        ("min_outlets = 3", MatchContext(outlets=2), False),
        ("min_outlets = 3", MatchContext(outlets=3), True),
        ("min_outlets = 3", None, False),
    ],
)  # fmt: skip
def test_feed_scope_and_corroboration_gate_a_rule(
    scope: str, context: MatchContext | None, fires: bool
) -> None:
    """feeds / feed_tags limit the feeds a rule hears; min_outlets waits for N outlets."""
    rule = f'all_of = ["iran"]\n{scope}'
    assert (fire(rule, {"title": "Iran"}, context) is not None) is fires


SCORED = """\
weights = { strikes = 2, casualties = 3, movement = 1, noise = -10 }
threshold = 4
severity = { medium = 4, high = 6, critical = 9 }
"""


@pytest.mark.parametrize(
    ("text", "score", "severity"),
    [
        ("Shelling in Homs", None, None),
        ("Shelling in Homs, two killed", 5.0, "medium"),
        ("Air strikes and shelling in Homs, two killed", 7.0, "high"),
        ("Air strikes, shelling, troops; killed and wounded", 11.0, "critical"),
        ("Shelling; killed; killed; killed", 5.0, "medium"),
        ("Shelling and killed at the football", None, None),
        ("air strikes", None, None),
    ],
)
def test_weights_score_distinct_terms_and_bands_grade_severity(
    text: str, score: float | None, severity: str | None
) -> None:
    """Each list adds its weight per distinct term (overlaps count once); bands grade it."""
    match = fire(SCORED, {"title": text})
    assert ((match.score, match.severity) if match else (None, None)) == (score, severity)


def test_weights_count_an_entity_once_whatever_its_spelling() -> None:
    """Aliases of one entry are one entity: "Iran" and "Iranian" add its weight once."""
    rule = "weights = { iran = 3, places = 1 }\nthreshold = 3"
    match = fire(rule, {"title": "Iran and Iranian forces near Homs and Hama"})
    assert match is not None and match.score == 5.0


def test_a_scored_rule_still_needs_its_conditions() -> None:
    """all_of gates a weighted rule: the score alone is not enough."""
    rule = 'all_of = ["places"]\n' + SCORED
    assert fire(rule, {"title": "Shelling, two killed"}) is None
    assert fire(rule, {"title": "Shelling in Hama, two killed"}) is not None


def test_severity_set_directly_and_metadata_travel_with_the_match() -> None:
    rule = (
        'description = "Iran, briefly"\nseverity = "critical"\nall_of = ["iran"]\n'
        'notifiers = ["slack"]'
    )
    match = fire(rule, {"title": "Iran"})
    assert match is not None
    assert (match.severity, match.description, match.notifiers, match.score) == (
        "critical", "Iran, briefly", ("slack",), None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "similarity"),
    [
        ("Hizbolah fighters crossed", 94.1),
        ("Hezbolla fighters crossed", 94.1),
        ("Hezbollah fighters crossed", None),
        ("Hezb fighters crossed", "none"),
        ("Hamas fighters crossed", "none"),
    ],
)
def test_fuzzy_entries_catch_unlisted_spellings_of_long_words(
    text: str, similarity: float | str | None
) -> None:
    """An entry with fuzzy also hits close spellings at least min_length long."""
    match = fire('all_of = ["hezbollah"]', {"title": text})
    if similarity == "none":
        assert match is None
    else:
        assert match is not None
        assert match.hits[0].similarity == similarity
        assert text[match.hits[0].start : match.hits[0].end] == text.split(maxsplit=1)[0]


def test_fuzzy_minimum_length_keeps_short_names_apart() -> None:
    """Hama and Hamas score 89; with min_length 5 the four-letter Hama is never compared."""
    lists = (
        '[entities.p]\nentries = [{ name = "Hamas", fuzzy = { threshold = 85, min_length = 5 } }]\n'
    )
    source = lists + '[[rules]]\nname = "r"\nall_of = ["p"]\n'
    matcher = compile_rules(load_ruleset([RuleSource("t.toml", source)]))
    assert matcher.match({"title": "Shelling in Hama"}) == []
    assert matcher.match({"title": "Hammas leaders"})[0].hits[0].similarity is not None


def test_disabled_rules_are_skipped_unless_asked_for() -> None:
    source = LISTS + '[[rules]]\nname = "off"\nenabled = false\nall_of = ["iran"]\n'
    ruleset = load_ruleset([RuleSource("t.toml", source)])
    assert compile_rules(ruleset).match({"title": "Iran"}) == []
    assert [
        m.rule for m in compile_rules(ruleset, include_disabled=True).match({"title": "Iran"})
    ] == ["off"]
