"""The naive baseline: what one would write first, with the same semantics as wirewatch.

* Rules: one compiled regular expression per term (word boundaries, IGNORECASE),
  searched in each field, while walking each rule's all/any/none tree as
  ``rules`` models it. Every rule re-evaluates its own leaves; ``all``/``any``
  short-circuit as Python's builtins do.
* Near-identical dedup: the new headline is compared with EVERY earlier headline
  still in the window (rapidfuzz ``token_sort_ratio``), with the same headline
  normalisation, threshold and same-numbers guard as ``monitor.stories.dedup.StoryIndex``,
  so only the algorithmic shape differs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from monitor.stories.dedup import normalise_headline
from rules import Condition, Group, Near, Ref, Rule, RuleSet, Terms

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")  # the same guard as monitor.stories.dedup


def term_pattern(term: str) -> re.Pattern[str]:
    if term.endswith("*"):  # a prefix wildcard: the word may go on
        return re.compile(rf"\b{re.escape(term[:-1])}\w*", re.IGNORECASE)
    return re.compile(rf"\b{re.escape(term)}\b", re.IGNORECASE)


class NaiveMatcher:
    """Rules evaluated term by term with one regex each."""

    def __init__(self, ruleset: RuleSet) -> None:
        self._ruleset = ruleset
        self._rules = ruleset.enabled_rules
        self._compiled: dict[Ref | Terms, tuple[re.Pattern[str], ...]] = {}

    def match(self, fields: Mapping[str, str]) -> tuple[str, ...]:
        """Names of the rules that fire, in rule order."""
        return tuple(rule.name for rule in self._rules if self._fires(rule, fields))

    def _fires(self, rule: Rule, fields: Mapping[str, str]) -> bool:
        texts = [fields[name] for name in rule.fields if name in fields]
        return self._holds(rule.condition, texts)

    def _holds(self, condition: Condition, texts: list[str]) -> bool:
        if isinstance(condition, Group):
            results = (self._holds(item, texts) for item in condition.items)
            if condition.op == "all":
                return all(results)
            if condition.op == "any":
                return any(results)
            return not any(results)
        if isinstance(condition, Near):
            raise NotImplementedError("the naive baseline has no proximity")
        patterns = self._leaf_patterns(condition)
        return any(pattern.search(text) for pattern in patterns for text in texts)

    def _leaf_patterns(self, leaf: Ref | Terms) -> tuple[re.Pattern[str], ...]:
        # Compiled once per leaf: the baseline is naive in shape, not needlessly slow.
        patterns = self._compiled.get(leaf)
        if patterns is None:
            terms = leaf.terms if isinstance(leaf, Terms) else self._ruleset.terms_of(leaf.name)
            patterns = self._compiled[leaf] = tuple(term_pattern(term) for term in terms)
        return patterns


@dataclass(frozen=True, slots=True)
class SeenTitle:
    """One earlier headline in the window and the story it belongs to."""

    story_id: str
    first_article_id: str
    headline: str
    numbers: frozenset[str]
    seen: datetime


class PairwiseTitles:
    """Near-identical detection by comparing with every earlier headline in the window."""

    def __init__(self, window: timedelta, threshold: float) -> None:
        self.window = window
        self.threshold = threshold
        self._titles: list[SeenTitle] = []

    def __len__(self) -> int:
        return len(self._titles)

    def add(self, story_id: str, first_article_id: str, title: str, seen: datetime) -> None:
        headline = normalise_headline(title)
        numbers = frozenset(_NUMBER.findall(headline))
        self._titles.append(SeenTitle(story_id, first_article_id, headline, numbers, seen))

    def find(self, title: str, seen: datetime) -> SeenTitle | None:
        headline = normalise_headline(title)
        numbers = frozenset(_NUMBER.findall(headline))
        best, best_score = None, self.threshold
        for earlier in self._titles:
            if abs(seen - earlier.seen) > self.window or earlier.numbers != numbers:
                continue
            score = fuzz.token_sort_ratio(headline, earlier.headline, score_cutoff=best_score)
            if score >= best_score:
                best, best_score = earlier, score
        return best

    def prune(self, now: datetime) -> int:
        kept = [title for title in self._titles if now - title.seen <= self.window]
        pruned = len(self._titles) - len(kept)
        self._titles = kept
        return pruned
