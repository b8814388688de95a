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
"""

from rules._locate import KeyLocator
from rules._reader import suggestion, unknown_name
from rules._rules import MAX_OUTLETS
from rules.errors import RuleError, RuleSetError
from rules.examples import ExampleFailure, ExampleReport, run_examples
from rules.explain import highlight, render_explanation
from rules.loader import RuleSource, load_ruleset
from rules.matcher import Matcher, compile_rules
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
from rules.occurrences import Occurrence, find_terms
from rules.results import Check, Explanation, Hit, Match
from rules.text import Token, normalise, tokenise

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
