"""The bundled vocabulary packs: they load, every term is valid, and they hold what the
Syria watch set needs, spellings included."""

from __future__ import annotations

import pytest

from rules import RuleSource, compile_rules, load_ruleset
from rules.packs import bundled

PACKS = ("conflict-escalation", "syria-gazetteer")


def test_both_packs_ship_and_load_without_a_single_problem() -> None:
    assert set(PACKS) <= set(bundled())
    ruleset = load_ruleset([RuleSource("w.toml", f"use = {list(PACKS)!r}\n".replace("'", '"'))])
    assert ruleset.packs == PACKS
    assert set(ruleset.keywords) >= {
        "military_movement", "strikes", "casualties", "sieges", "ceasefire_breakdown",
        "mobilisation",
    }  # fmt: skip
    assert set(ruleset.entities) >= {"syria", "iran", "russia", "hezbollah", "isil", "hts"}


@pytest.mark.parametrize(
    ("listed", "text"),
    [
        ("hezbollah", "Hezbollah"), ("hezbollah", "Hizbollah"), ("hezbollah", "Hizballah"),
        ("syria", "Latakia"), ("syria", "Lattakia"), ("syria", "Deir el-Zour"),
        ("iran", "Iran"), ("iran", "Iranian"), ("iran", "Tehran"), ("iran", "IRGC"),
        ("turkey", "Türkiye"), ("us_coalition", "U.S."), ("isil", "Daesh"),
        ("military_movement", "redeployed"), ("strikes", "air-strikes"),
        ("strikes", "airstrikes"), ("sieges", "besieged"), ("casualties", "casualties"),
        ("ceasefire_breakdown", "truce violations"), ("mobilisation", "mobilised"),
    ],
)  # fmt: skip
def test_packs_know_the_spellings_of_the_news(listed: str, text: str) -> None:
    source = f'use = {list(PACKS)!r}\n[[rules]]\nname = "r"\nall_of = ["{listed}"]\n'
    matcher = compile_rules(load_ruleset([RuleSource("w.toml", source.replace("'", '"'))]))
    assert matcher.match({"title": f"Reports: {text} today"})


@pytest.mark.parametrize("text", ["Officials met us in Tirana", "US markets rose"])
def test_the_gazetteer_leaves_out_spellings_that_are_english_words(text: str) -> None:
    """ "US" would fold to "us": the U.S. is only "U.S." in the pack."""
    source = 'use = ["syria-gazetteer"]\n[[rules]]\nname = "r"\nany_of = ["us_coalition", "iran"]\n'
    assert compile_rules(load_ruleset([RuleSource("w.toml", source)])).match({"title": text}) == []


# -- conflict-escalation on ordinary headlines ------------------------------------------
# Measured on real headlines by `python -m bench.packs` (docs/BENCHMARKS.md); the words
# left out or listed only in phrases are explained in docs/decisions/0020.

SETS = ("military_movement", "strikes", "casualties", "sieges", "ceasefire_breakdown",
        "mobilisation")  # fmt: skip


def _escalation_sets(title: str) -> set[str]:
    """The conflict-escalation sets that hit a title, through the real loader and matcher."""
    rules_text = "".join(f'[[rules]]\nname = "{name}"\nall_of = ["{name}"]\n' for name in SETS)
    source = 'use = ["conflict-escalation"]\n' + rules_text
    matcher = compile_rules(load_ruleset([RuleSource("w.toml", source)]))
    return {match.rule for match in matcher.match({"title": title})}


@pytest.mark.parametrize(
    ("listed", "title"),
    [
        ("strikes", "Russian jets strike north of Homs"),
        ("strikes", "Syrian jets pound rebel-held suburbs of Damascus"),
        ("strikes", "Malaysian passenger jet shot down over eastern Ukraine"),
        ("strikes", "Both sides deny shooting down the airliner"),
        ("strikes", "Airliner downed near the border, 295 dead"),
        ("strikes", "Suicide bomber hits foreign troops in Afghanistan"),
        ("strikes", "Car bomb rocks the central bank"),
        ("strikes", "US weighs a military strike on Islamic State"),
        ("strikes", "Armed drones guard US interests in Iraq"),
        ("strikes", "Plane hit by surface-to-air missile, officials say"),
        ("military_movement", "NATO sees no evidence of Russian troop withdrawal"),
        ("military_movement", "Russian forces massed near the border head home"),
        ("military_movement", "Militants close in on Baghdad"),
        ("military_movement", "Separatists seize TV centre in Luhansk"),
        ("military_movement", "Libyan rebels agree to reopen two oil terminals"),
        ("military_movement", "Fighting intensifies after the election"),
        ("military_movement", "Oil climbs amid escalating violence in Iraq"),
        ("military_movement", "Deadly clashes in Slovyansk"),
        ("military_movement", "Iraq descends into civil war"),
        ("military_movement", "Libya orders special force to retake the ports"),
        ("casualties", "Suicide attack kills 5 people in Iraq"),
        ("ceasefire_breakdown", "Monitors report cease-fire violations in Donetsk"),
        ("ceasefire_breakdown", "The truce broke down overnight"),
    ],
)  # fmt: skip
def test_conflict_pack_fires_on_ordinary_forms_of_its_words(listed: str, title: str) -> None:
    assert listed in _escalation_sets(title)


@pytest.mark.parametrize(
    "title",
    [
        "Striker scores twice as United win the derby",
        "Lufthansa pilots strike, 3,800 flights cancelled",
        "Alibaba to strike streaming deal with Lionsgate",
        "Kim Kardashian jets off to Paris",
        "Passenger jets nearly collide at Barcelona airport",
        "Amazon tests delivery drones",
        "SpaceX rocket lifts off for the space station",
        "Missile defence test lights up the sky over Hawaii",
        "Detroit reaches pension deal with retired firefighters",
        "Divergent sequel Insurgent gets the green light",
        "Singer robbed during home invasion",
        "Cost of fighting global warming is modest, panel says",
        "Apple and Samsung clash over patents again",
        "Domestic violence charges against the singer dropped",
        "Shell shares rise on higher oil prices",
        "The Winter Soldier tops the box office again",
    ],
)  # fmt: skip
def test_conflict_pack_stays_quiet_on_other_senses_of_its_words(title: str) -> None:
    """Guards: words listed only in phrases must not fire alone (they pass before the fix
    too, and fail if a broad form such as "strike*", "jets" or "firefight*" is added)."""
    assert _escalation_sets(title) == set()


def test_the_gazetteer_names_turks_beside_turkish() -> None:
    source = 'use = ["syria-gazetteer"]\n[[rules]]\nname = "r"\nall_of = ["turkey"]\n'
    matcher = compile_rules(load_ruleset([RuleSource("w.toml", source)]))
    assert matcher.match({"title": "Turks defy the government's ban"})
