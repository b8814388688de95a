"""The traps of news text, table-driven through load_ruleset → compile_rules → match.

Every text here is written for these tests. Each case names a list or inline term
and says whether a rule on it must fire, and (when it fires) which original text
the hit must cover, so offsets are checked through every normalisation.
"""

from __future__ import annotations

import pytest

from rules import Matcher, RuleSource, compile_rules, load_ruleset

LISTS = """\
[entities.hezbollah]
entries = [{ name = "Hezbollah", aliases = ["Hizbollah", "Hizballah"] }]

[entities.iran]
entries = [{ name = "Iran", aliases = ["Iranian", "Tehran", "IRGC"] }]

[entities.places]
entries = [{ name = "Latakia", aliases = ["Lattakia"] }, "Hama", "Homs", "Alép", "Deir ez-Zor"]

[keywords.strikes]
terms = ["air strike*", "airstrike*", "deploy*", "ceasefire", "shelling"]
"""


def matcher(condition: str) -> Matcher:
    rules = f'[[rules]]\nname = "r"\n{condition}\n'
    return compile_rules(load_ruleset([RuleSource("t.toml", LISTS + rules)]))


def covered(condition: str, fields: dict[str, str]) -> list[str] | None:
    """The original text under each hit of the rule, or None when it does not fire."""
    found = matcher(condition).match(fields)
    if not found:
        return None
    return [fields[hit.field][hit.start : hit.end] for hit in found[0].hits]


ANY = 'any_of = ["{}"]'


@pytest.mark.parametrize(
    ("listed", "text", "expected"),
    [
        pytest.param("places", "Shelling reported in Hama overnight", ["Hama"], id="Hama"),
        pytest.param("places", "Hamas officials met in Cairo", None, id="Hama not in Hamas"),
        pytest.param("iran", "The delegation flew on to Tirana", None, id="Iran not in Tirana"),
        pytest.param("iran", "Iran's envoy left early", ["Iran"], id="possessive"),
        pytest.param("iran", "Iran’s envoy left early", ["Iran"], id="curly possessive"),
        pytest.param("iran", "IRAN‘S ENVOY", ["IRAN"], id="reversed curly quote, capitals"),
        pytest.param("iran", "the Iranians' convoy", None, id="plural demonym not listed"),
        pytest.param("hezbollah", "Hezbollah-backed units moved", ["Hezbollah"], id="hyphen"),
        pytest.param("hezbollah", "Hizballah’s fighters", ["Hizballah"], id="transliteration"),
        pytest.param("hezbollah", "pro-Hezbollah—and more", ["Hezbollah"], id="em dash"),
        pytest.param("strikes", "Air-strikes hit the port", ["Air-strikes"], id="air-strikes"),
        pytest.param("strikes", "Airstrikes hit the port", ["Airstrikes"], id="airstrikes"),
        pytest.param("strikes", "an air striker scored", ["air striker"], id="prefix is a prefix"),
        pytest.param("strikes", "fresh air\nstrikes", ["air\nstrikes"], id="across a line break"),
        pytest.param("strikes", "they redeployed", None, id="prefix not mid-word"),
        pytest.param("strikes", "troops were deployed", ["deployed"], id="deploy*"),
        pytest.param("places", "fighting near Alep resumed", ["Alep"], id="accent in term only"),
        pytest.param("places", "fighting near ALÉP resumed", ["ALÉP"], id="accent in both"),
        pytest.param("places", "near Ale\u0301p", ["Ale\u0301p"], id="combining accent"),
        pytest.param("places", "Dëir-ez-Zor", ["Dëir-ez-Zor"], id="multi-word with hyphens"),
        pytest.param("places", "Homs &amp; Hama", ["Homs", "Hama"], id="HTML entity"),
        pytest.param("places", "<p>Lattakia</p><p>port</p>", ["Lattakia"], id="HTML tags"),
        pytest.param("iran", "<b>Iran</b>&#39;s navy", ["Iran"], id="tag and entity possessive"),
        pytest.param("places", "&lt;b&gt;Homs&lt;/b&gt;", ["Homs"], id="double-escaped HTML"),
        pytest.param("places", "Hama\u00a0province", ["Hama"], id="no-break space"),
        pytest.param("places", "Ho\u00adms", ["Ho\u00adms"], id="soft hyphen joins"),
        pytest.param("places", "Homṡ", ["Homṡ"], id="dot above folds away"),
        pytest.param("places", "Ｈｏｍｓ", ["Ｈｏｍｓ"], id="fullwidth"),
        pytest.param("iran", "IRGC.", ["IRGC"], id="acronym before full stop"),
        pytest.param("iran", "", None, id="empty"),
    ],
)
def test_whole_words_through_every_normalisation(
    listed: str, text: str, expected: list[str] | None
) -> None:
    """Case, accents, quotes, hyphens and markup fold away; hits never land inside a word."""
    assert covered(ANY.format(listed), {"title": text}) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"title": "Iranian advisers reach", "summary": "Lattakia on Tuesday"},
            ["Iranian", "Lattakia"],
            id="actor in title, place in summary",
        ),
        pytest.param({"title": "Tehran and Homs"}, ["Tehran", "Homs"], id="both in title"),
        pytest.param({"title": "Iran", "content": "Homs"}, ["Iran", "Homs"], id="content too"),
        pytest.param({"title": "Iran", "feed": "Homs Daily"}, None, id="feed name not read"),
    ],
)
def test_all_of_may_be_satisfied_across_fields(
    fields: dict[str, str], expected: list[str] | None
) -> None:
    """A rule reads title, summary and content by default; its items may hit in any."""
    assert covered('all_of = ["iran", "places"]', fields) == expected


def test_a_phrase_never_spans_two_fields() -> None:
    """ "air" ending the title and "strikes" opening the summary are not "air strikes"."""
    fields = {"title": "Calls for clean air", "summary": "strikes by unions"}
    assert covered('any_of = [{ terms = ["air strikes"] }]', fields) is None
