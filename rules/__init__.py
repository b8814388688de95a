"""The watch-rule language: pure functions from TOML text and article text to matches.

    load_ruleset([RuleSource(path, text), ...]) -> RuleSet   (or RuleSetError listing every problem)
    compile_rules(ruleset) -> Matcher
    matcher.match({"title": ..., "summary": ..., "content": ...}) -> [Match, ...]

No I/O, clock, logging or asyncio here: callers read the files and decide what
to do with the matches.
"""

from rules._locate import KeyLocator
from rules.errors import RuleError, RuleSetError
from rules.loader import RuleSource, load_ruleset
from rules.matcher import Hit, Match, Matcher, compile_rules
from rules.model import (
    FIELDS,
    SEVERITIES,
    Condition,
    EntityList,
    Entry,
    Group,
    KeywordSet,
    Location,
    Ref,
    Rule,
    RuleSet,
    Terms,
)
from rules.text import Token, normalise, tokenise

__all__ = [
    "FIELDS",
    "SEVERITIES",
    "Condition",
    "EntityList",
    "Entry",
    "Group",
    "Hit",
    "KeyLocator",
    "KeywordSet",
    "Location",
    "Match",
    "Matcher",
    "Ref",
    "Rule",
    "RuleError",
    "RuleSet",
    "RuleSetError",
    "RuleSource",
    "Terms",
    "Token",
    "compile_rules",
    "load_ruleset",
    "normalise",
    "tokenise",
]
