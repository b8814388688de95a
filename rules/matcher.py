"""Match articles against every enabled rule in one pass over their words.

``compile_rules`` puts every term of every enabled rule into one token trie
(a dict of dicts keyed by normalised words), each term ending at a node that
names the leaves (entity list, keyword set or inline terms) that use it. An
article field is tokenised once and the trie is walked from each word, so the
cost per article grows with its length, not with the number of rules or terms.
Rules then only look up which of their leaves hit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from rules.model import Condition, Group, Leaf, Ref, Rule, RuleSet, Terms, leaves
from rules.text import Token, term_tokens, tokenise

# Hits past this many of one term in one field change no decision and no
# highlight; the cap keeps a hostile article from growing the result unboundedly.
_MAX_HITS_PER_TERM = 20


@dataclass(frozen=True, slots=True)
class Hit:
    """One term found: as the user wrote it, its list (None if inline), where in which field."""

    term: str
    ref: str | None
    field: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Match:
    """A rule that fired, with the distinct terms and every hit that made it fire."""

    rule: str
    severity: str
    notifiers: tuple[str, ...]
    terms: tuple[str, ...]
    hits: tuple[Hit, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class _Target:
    leaf: Leaf
    term: str


class _Node:
    __slots__ = ("children", "targets")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.targets: list[_Target] = []


_FieldHits = dict[Leaf, list[Hit]]
_HitsOf = Callable[[Leaf], list[Hit]]


class Matcher:
    """Every enabled rule of a rule set, compiled; build it with ``compile_rules``."""

    def __init__(self, rules: Sequence[Rule], trie: _Node) -> None:
        self._rules = tuple(rules)
        self._trie = trie
        self._fields = frozenset(field for rule in self._rules for field in rule.fields)

    @property
    def rule_names(self) -> tuple[str, ...]:
        return tuple(rule.name for rule in self._rules)

    def match(self, fields: Mapping[str, str]) -> list[Match]:
        """The rules that fire on an article's plain-text fields, in rule order."""
        found = {
            name: self._scan(name, text) for name, text in fields.items() if name in self._fields
        }
        matches = (_match_rule(rule, found) for rule in self._rules)
        return [match for match in matches if match is not None]

    def _scan(self, field: str, text: str) -> _FieldHits:
        tokens = tokenise(text)
        hits: _FieldHits = defaultdict(list)
        counts: Counter[_Target] = Counter()
        for start in range(len(tokens)):
            for end, target in self._walk(tokens, start):
                counts[target] += 1
                if counts[target] <= _MAX_HITS_PER_TERM:
                    ref = target.leaf.name if isinstance(target.leaf, Ref) else None
                    span = (tokens[start].start, tokens[end].end)
                    hits[target.leaf].append(Hit(target.term, ref, field, *span))
        return hits

    def _walk(self, tokens: list[Token], start: int) -> Iterator[tuple[int, _Target]]:
        """Every term that begins at ``tokens[start]``, with the index of its last word."""
        node = self._trie
        for end in range(start, len(tokens)):
            next_node = node.children.get(tokens[end].text)
            if next_node is None:
                return
            node = next_node
            for target in node.targets:
                yield end, target


def compile_rules(ruleset: RuleSet) -> Matcher:
    """Compile the enabled rules; raises ValueError for a reference to an unknown list."""
    trie = _Node()
    compiled: set[Leaf] = set()
    for rule in ruleset.enabled_rules:
        for leaf in leaves(rule.condition):
            if leaf not in compiled:
                compiled.add(leaf)
                for term in _terms_of(ruleset, leaf):
                    _insert(trie, term, leaf)
    return Matcher(ruleset.enabled_rules, trie)


def _terms_of(ruleset: RuleSet, leaf: Leaf) -> tuple[str, ...]:
    if isinstance(leaf, Terms):
        return leaf.terms
    try:
        return ruleset.terms_of(leaf.name)
    except KeyError:
        raise ValueError(f"no entity list or keyword set is called {leaf.name!r}") from None


def _insert(trie: _Node, term: str, leaf: Leaf) -> None:
    node = trie
    for word in term_tokens(term):
        node = node.children.setdefault(word, _Node())
    # The first spelling wins when one leaf lists a term twice ("IRGC", "irgc").
    if node is not trie and all(target.leaf != leaf for target in node.targets):
        node.targets.append(_Target(leaf, term))


def _match_rule(rule: Rule, found: Mapping[str, _FieldHits]) -> Match | None:
    def hits_of(leaf: Leaf) -> list[Hit]:
        return [hit for field in rule.fields for hit in found.get(field, {}).get(leaf, ())]

    hits = _evaluate(rule.condition, hits_of)
    if hits is None:
        return None
    order = {field: index for index, field in enumerate(rule.fields)}
    ordered = sorted(set(hits), key=lambda hit: (order[hit.field], hit.start, hit.end, hit.term))
    return Match(
        rule=rule.name,
        severity=rule.severity,
        notifiers=rule.notifiers,
        terms=tuple(dict.fromkeys(hit.term for hit in ordered)),
        hits=tuple(ordered),
        description=rule.description,
    )


def _evaluate(condition: Condition, hits_of: _HitsOf) -> list[Hit] | None:
    """The hits that satisfy ``condition``, or None when it is not satisfied."""
    if not isinstance(condition, Group):
        return hits_of(condition) or None
    results = [_evaluate(item, hits_of) for item in condition.items]
    satisfied = [hits for hits in results if hits is not None]
    if condition.op == "all" and len(satisfied) == len(results):
        return [hit for hits in satisfied for hit in hits]
    if condition.op == "any" and satisfied:
        return [hit for hits in satisfied for hit in hits]
    if condition.op == "none" and not satisfied:
        return []
    return None
