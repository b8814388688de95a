"""The watch-rule language: pure functions from TOML text and article text to matches.

    load_ruleset([RuleSource(path, text), ...]) -> RuleSet   (or RuleSetError listing every problem)
    compile_rules(ruleset) -> Matcher
    matcher.match({"title": ..., "summary": ...}, MatchContext(...)) -> [Match, ...]
    matcher.explain(fields, context, rules=[name]) -> [Explanation, ...]
    run_examples(ruleset) -> [ExampleFailure, ...]           (rule tests)
    find_terms(text, terms, language=...) -> [Occurrence, ...]  (where terms are, as matched)

No network, clock, logging or asyncio here: callers read the files and decide
what to do with the matches. The one read is of the bundled vocabulary packs,
package data that ships with the code (``rules.packs``).

Loading and checking a rule set needs only the reader and the model; matching, its
examples, explanations and ``find_terms`` (the compiler, rapidfuzz, the stemmers) are
imported when first used, so that a configuration is checked without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from rules._locate import KeyLocator
from rules._reader import suggestion, unknown_name
from rules._rules import MAX_OUTLETS
from rules.errors import RuleError, RuleSetError
from rules.loader import RuleSource, load_ruleset
from rules.model import (
    ALL_FIELDS,
    FIELDS,
    SENTENCE,
    SEVERITIES,
    Condition,
    EntityList,
    Entry,
    Example,
    Fuzzy,
    Group,
    KeywordSet,
    Location,
    MatchContext,
    Near,
    Ref,
    Rule,
    RuleSet,
    Severity,
    Terms,
)
from rules.results import Check, Explanation, Hit, Match
from rules.text import Token, normalise, tokenise

if TYPE_CHECKING:
    from rules.examples import ExampleFailure, ExampleReport, run_examples
    from rules.explain import highlight, render_explanation
    from rules.matcher import Matcher, compile_rules
    from rules.occurrences import Occurrence, find_terms

__all__ = [
    "ALL_FIELDS",
    "FIELDS",
    "MAX_OUTLETS",
    "SENTENCE",
    "SEVERITIES",
    "Check",
    "Condition",
    "EntityList",
    "Entry",
    "Example",
    "ExampleFailure",
    "ExampleReport",
    "Explanation",
    "Fuzzy",
    "Group",
    "Hit",
    "KeyLocator",
    "KeywordSet",
    "Location",
    "Match",
    "MatchContext",
    "Matcher",
    "Near",
    "Occurrence",
    "Ref",
    "Rule",
    "RuleError",
    "RuleSet",
    "RuleSetError",
    "RuleSource",
    "Severity",
    "Terms",
    "Token",
    "compile_rules",
    "find_terms",
    "highlight",
    "load_ruleset",
    "normalise",
    "render_explanation",
    "run_examples",
    "suggestion",
    "tokenise",
    "unknown_name",
]

_LAZY = {
    "ExampleFailure": "rules.examples",
    "ExampleReport": "rules.examples",
    "Matcher": "rules.matcher",
    "Occurrence": "rules.occurrences",
    "compile_rules": "rules.matcher",
    "find_terms": "rules.occurrences",
    "highlight": "rules.explain",
    "render_explanation": "rules.explain",
    "run_examples": "rules.examples",
}


def __getattr__(name: str) -> object:
    """The matching side of the package, imported on first use (see above)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'rules' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # found directly from now on
    return value
