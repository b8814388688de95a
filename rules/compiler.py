"""Turn a RuleSet into scanner terms and per-rule node trees.

Each distinct leaf (a list reference or an inline term list) gets an id and its
terms are added to the scanner once, however many rules use it. A rule is
indexed under the leaves that can make it fire, so the matcher evaluates only
rules that something in the article points to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rules.evaluate import (
    Article,
    GroupNode,
    Hits,
    LeafNode,
    NearNode,
    Node,
    Scope,
    field_order,
    score_of,
)
from rules.field import TermInfo
from rules.fuzzy import FuzzyTerm
from rules.inflection import matching_keys
from rules.model import (
    ALL_FIELDS,
    Condition,
    EntityList,
    Entry,
    Group,
    Leaf,
    MatchContext,
    Near,
    Ref,
    Rule,
    RuleSet,
    Terms,
    needs_a_hit,
)
from rules.text import term_pattern


@dataclass(slots=True)
class CompiledRule:
    rule: Rule
    condition: GroupNode
    fields: Scope  # None once known to read every scanned field (see ``Compiled.finish``)
    order: Mapping[str, int]
    weights: tuple[tuple[int, float], ...]
    threshold: float
    feeds: frozenset[str]
    feed_tags: frozenset[str]
    languages: frozenset[str] = frozenset()
    required: frozenset[int] = frozenset()  # leaves it cannot fire without (see ``required``)

    def out_of_scope(self, context: MatchContext) -> str | None:
        """Why the rule does not apply to this article's feed, or None when it does."""
        if self.feeds and not {context.feed_name.casefold(), context.feed_url} & self.feeds:
            return f"feed {context.feed_name or context.feed_url or '(none)'!r} is not in feeds"
        if self.feed_tags and not {tag.casefold() for tag in context.feed_tags} & self.feed_tags:
            return "the feed carries none of feed_tags"
        return None

    def language_out_of_scope(self, context: MatchContext) -> str | None:
        """Why the rule does not apply to the article's language (an unknown one never
        does to a language-scoped rule), or None when it does."""
        if self.languages and context.language not in self.languages:
            return f"language {context.language or '(unknown)'!r} is not in languages"
        return None

    def evaluate(self, article: Article, context: MatchContext) -> tuple[Hits, float | None] | None:
        """The hits that make the rule fire and its score, or None when it does not fire."""
        if context.outlets < self.rule.min_outlets:
            return None
        if (self.feeds or self.feed_tags) and self.out_of_scope(context):
            return None
        if self.languages and self.language_out_of_scope(context):
            return None
        hits = self.condition.evaluate(article, self.fields)
        if hits is None or not self.weights:
            return None if hits is None else (hits, None)
        score, weighted = self.score(article)
        return (hits + weighted, score) if score >= self.threshold else None

    def score(self, article: Article) -> tuple[float, Hits]:
        return score_of(self.weights, article, self.fields)


@dataclass
class Compiled:
    """Everything the matcher needs, built once."""

    terms: list[TermInfo] = field(default_factory=list)
    fuzzy: list[FuzzyTerm] = field(default_factory=list)
    rules: list[CompiledRule] = field(default_factory=list)
    leaf_rules: dict[int, set[int]] = field(default_factory=dict)  # leaf id → rule indexes
    always: list[int] = field(default_factory=list)  # rules to evaluate on every article
    fields: set[str] = field(default_factory=set)


def compile_ruleset(ruleset: RuleSet, rules: Sequence[Rule]) -> Compiled:
    """Compile ``rules`` (list references resolved in ``ruleset``)."""
    builder = _Builder(ruleset)
    for index, rule in enumerate(rules):
        builder.add_rule(index, rule)
    for compiled in builder.out.rules:  # a rule reading every scanned field needs no filter
        if compiled.fields is not None and compiled.fields >= builder.out.fields:
            compiled.fields = None
    return builder.out


class _Builder:
    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.out = Compiled()
        self.leaf_ids: dict[Leaf, int] = {}
        self.positive: set[int] = set()  # leaves of the current rule that can make it fire

    def add_rule(self, index: int, rule: Rule) -> None:
        self.positive = set()
        condition = self.node(rule.condition, negated=False)
        assert isinstance(condition, GroupNode)
        weights = tuple(
            (self.leaf(Ref(name), negated=weight <= 0), weight) for name, weight in rule.weights
        )
        compiled = _compiled_rule(rule, condition, weights)
        needed = required(condition)
        compiled.required = frozenset(needed)
        self.out.rules.append(compiled)
        self.out.fields.update(rule.fields, *_override_fields(rule.condition))
        # A rule that cannot fire without some leaf is looked at only when that leaf is
        # hit: hits of its other lists alone (the common stray hit) cost nothing.
        for leaf in needed[:1] or self.positive:
            self.out.leaf_rules.setdefault(leaf, set()).add(index)
        if not needs_a_hit(rule.condition) and not weights:
            self.out.always.append(index)

    def node(self, condition: Condition, *, negated: bool) -> Node:
        if isinstance(condition, Group):
            negated = negated or condition.op == "none"
            items = tuple(self.node(item, negated=negated) for item in condition.items)
            fields = frozenset(condition.fields) or None
            return GroupNode(condition.op, items, fields)
        if isinstance(condition, Near):
            items = tuple(self.node(item, negated=negated) for item in condition.items)
            return NearNode(items, condition.within, frozenset(condition.fields) or None)
        return LeafNode(self.leaf(condition, negated=negated), _label(condition))

    def leaf(self, leaf: Leaf, *, negated: bool) -> int:
        leaf_id = self.leaf_ids.get(leaf)
        if leaf_id is None:
            leaf_id = self.leaf_ids[leaf] = len(self.leaf_ids)
            self.add_terms(leaf_id, leaf)
        if not negated:
            self.positive.add(leaf_id)
        return leaf_id

    def add_terms(self, leaf_id: int, leaf: Leaf) -> None:
        ref = leaf.name if isinstance(leaf, Ref) else None
        seen: set[tuple[str, ...]] = set()
        for entry, spellings, fuzzy, exact in _spellings(self.ruleset, leaf):
            for written in spellings:
                pattern = term_pattern(written)
                keys = matching_keys(pattern, exact=exact)
                if keys in seen or not pattern.words:
                    continue  # the first spelling wins when a list repeats a term (or form)
                seen.add(keys)
                index = len(self.out.terms)
                words = len(pattern.words)
                info = TermInfo(leaf_id, written, ref, entry, words, pattern.prefix, exact)
                self.out.terms.append(info)
                if fuzzy is not None and not pattern.prefix:
                    folded = " ".join(pattern.words)
                    term = FuzzyTerm(index, folded, info.words, *fuzzy)
                    self.out.fuzzy.append(term)


def required(node: Node) -> tuple[int, ...]:
    """The leaves that must each have a hit (in some field) for ``node`` to hold, in the
    order written: every one of an ``all_of``, those shared by all items of an
    ``any_of``, none of a ``none_of``. A necessary condition only, checked before the
    full evaluation."""
    if isinstance(node, LeafNode):
        return (node.leaf,)
    if isinstance(node, GroupNode) and node.op == "none":
        return ()
    per_item = [required(item) for item in node.items]
    if isinstance(node, GroupNode) and node.op == "any":
        shared = set.intersection(*map(set, per_item)) if per_item else set()
        return tuple(leaf for leaf in per_item[0] if leaf in shared) if shared else ()
    return tuple(dict.fromkeys(leaf for leaves in per_item for leaf in leaves))


_Spellings = tuple[int, tuple[str, ...], tuple[float, int] | None, bool]


def _spellings(ruleset: RuleSet, leaf: Leaf) -> list[_Spellings]:
    """(entry index, its spellings, fuzzy settings, exact) for each entry or keyword."""
    if isinstance(leaf, Terms):
        return [(index, (term,), None, False) for index, term in enumerate(leaf.terms)]
    listed = ruleset.entities.get(leaf.name)
    if isinstance(listed, EntityList):
        entries = enumerate(listed.entries)
        return [(index, entry.terms, _fuzzy(entry), entry.exact) for index, entry in entries]
    keywords = ruleset.keywords.get(leaf.name)
    if keywords is None:
        raise ValueError(f"no entity list or keyword set is called {leaf.name!r}")
    exact = keywords.exact
    return [(index, (term,), None, exact) for index, term in enumerate(keywords.terms)]


def _fuzzy(entry: Entry) -> tuple[float, int] | None:
    return (entry.fuzzy.threshold, entry.fuzzy.min_length) if entry.fuzzy else None


def _compiled_rule(
    rule: Rule, condition: GroupNode, weights: tuple[tuple[int, float], ...]
) -> CompiledRule:
    threshold = rule.threshold
    if threshold is None:
        threshold = rule.bands[0][1] if rule.bands else 1.0
    return CompiledRule(
        rule=rule,
        condition=condition,
        fields=frozenset(rule.fields),
        order=field_order(rule.fields, ALL_FIELDS),
        weights=weights,
        threshold=threshold,
        feeds=frozenset(feed.casefold() if "://" not in feed else feed for feed in rule.feeds),
        feed_tags=frozenset(tag.casefold() for tag in rule.feed_tags),
        languages=frozenset(rule.languages),
    )


def _override_fields(condition: Condition) -> list[tuple[str, ...]]:
    if isinstance(condition, Group | Near):
        nested = [fields for item in condition.items for fields in _override_fields(item)]
        return [condition.fields, *nested]
    return []


def _label(leaf: Leaf) -> str:
    if isinstance(leaf, Ref):
        return leaf.name
    return "terms: " + ", ".join(leaf.terms)


def link_domain(link: str) -> str:
    """The host name of a link, without "www."; '' when there is none."""
    try:
        host = urlsplit(link.strip()).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")
