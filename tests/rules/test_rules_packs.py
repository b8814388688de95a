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
