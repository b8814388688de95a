"""What the matcher itself marks for one term: the reference the rule tests compare with."""

from __future__ import annotations

import json

from rules import RuleSource, compile_rules, load_ruleset


def marked_by_matcher(term: str, text: str) -> list[str]:
    """The spans of ``text`` (as a title) a one-term rule marks, as the matcher locates them."""
    source = f'[[rules]]\nname = "r"\nany_of = [{{ terms = [{json.dumps(term)}] }}]\n'
    matcher = compile_rules(load_ruleset([RuleSource("r.toml", source)]))
    return [
        text[hit.start : hit.end] for match in matcher.match({"title": text}) for hit in match.hits
    ]
