"""The rule example in the README loads, and its own examples pass."""

from __future__ import annotations

import re
from pathlib import Path

from rules import RuleSource, load_ruleset, run_examples

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_rule_example_loads_and_its_examples_pass() -> None:
    section = README.read_text(encoding="utf-8").split("## Writing rules", 1)[1]
    block = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    ruleset = load_ruleset([RuleSource("README.md", block.group(1))])
    report = run_examples(ruleset)
    assert (report.ran, report.failures) == (2, ())
