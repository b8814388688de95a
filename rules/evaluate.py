"""Rule conditions compiled into small node trees, evaluated on what the scanner found.

Every node answers ``evaluate(article, fields)``: the hits that satisfy it, or
None. ``explain`` walks the same tree and records, for each node, whether it
held and on which hits, for ``wirewatch rules try`` and failed rule examples;
tests check both agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rules.field import ArticleText, FieldText, Found, TermInfo
from rules.model import SENTENCE, GroupOp
from rules.results import Check, Hit

Hits = list[Found]
# The fields a node reads; None: every field the matcher scans (no filtering needed).
Scope = frozenset[str] | None
_new = tuple.__new__
_GROUP_LABELS = {"all": "all_of", "any": "any_of", "none": "none_of"}


class Article:
    """One article during matching: its folded fields and the hits of each leaf.

    Fields are prepared again, with positions, only when a hit must be located.
    """

    __slots__ = ("found", "terms", "text")

    def __init__(
        self, terms: Sequence[TermInfo], text: ArticleText, found: dict[int, Hits]
    ) -> None:
        self.terms = terms
        self.text = text
        self.found = found

    def field(self, name: str) -> FieldText:
        return self.text.field(name)

    def hit(self, found: Found) -> Hit:
        """The public form of a hit: the term as written, original offsets."""
        term = self.terms[found.term]
        start, end = self.text.span(found)
        values = (term.written, term.ref, found.field, start, end, found.similarity)
        return _new(Hit, values)  # skips NamedTuple's Python-level __new__

    def hits(self, found: Sequence[Found]) -> tuple[Hit, ...]:
        return tuple(self.hit(one) for one in found)


@dataclass(frozen=True, slots=True)
class LeafNode:
    leaf: int
    label: str

    def evaluate(self, article: Article, fields: Scope) -> Hits | None:
        hits = article.found.get(self.leaf)
        if not hits:
            return None
        if fields is None:
            return hits
        picked = [hit for hit in hits if hit.field in fields]
        return picked or None

    def explain(self, article: Article, fields: Scope) -> Check:
        hits = self.evaluate(article, fields) or []
        return Check(self.label, bool(hits), article.hits(hits))


@dataclass(frozen=True, slots=True)
class GroupNode:
    op: GroupOp
    items: tuple[Node, ...]
    fields: frozenset[str] | None = None

    def evaluate(self, article: Article, fields: Scope) -> Hits | None:
        fields = self.fields or fields
        if self.op == "none":
            vetoed = any(item.evaluate(article, fields) is not None for item in self.items)
            return None if vetoed else []
        hits: Hits = []
        held = 0
        for item in self.items:
            found = item.evaluate(article, fields)
            if found is None:
                if self.op == "all":
                    return None
            else:
                held += 1
                hits.extend(found)
        return hits if held or self.op == "all" else None

    def explain(self, article: Article, fields: Scope) -> Check:
        fields = self.fields or fields
        children = tuple(item.explain(article, fields) for item in self.items)
        passed = _combine(self.op, [child.passed for child in children])
        label = _GROUP_LABELS[self.op] + (f" in {_names(self.fields)}" if self.fields else "")
        return Check(label, passed, (), children=children)


@dataclass(frozen=True, slots=True)
class NearNode:
    items: tuple[Node, ...]
    within: int | str
    fields: frozenset[str] | None = None

    def evaluate(self, article: Article, fields: Scope) -> Hits | None:
        fields = self.fields or fields
        per_item = [item.evaluate(article, fields) for item in self.items]
        if any(hits is None for hits in per_item):
            return None
        return close_together([hits or [] for hits in per_item], self.within, article)

    def explain(self, article: Article, fields: Scope) -> Check:
        fields = self.fields or fields
        children = tuple(item.explain(article, fields) for item in self.items)
        hits = self.evaluate(article, fields)
        distance = "same sentence" if self.within == SENTENCE else f"within {self.within} words"
        detail = "" if hits is not None or not all(c.passed for c in children) else "too far apart"
        passed = hits is not None
        return Check(f"near, {distance}", passed, article.hits(hits or []), detail, children)


Node = LeafNode | GroupNode | NearNode


def close_together(per_item: Sequence[Hits], within: int | str, article: Article) -> Hits | None:
    """One hit of each item, all in one field and close enough; None when there is none."""
    shared = set.intersection(*({hit.field for hit in hits} for hits in per_item))
    for name in sorted(shared):
        in_field = [[hit for hit in hits if hit.field == name] for hits in per_item]
        if within == SENTENCE:
            chosen = _same_sentence(in_field, article.field(name))
        else:
            chosen = _within_words(in_field, int(within))
        if chosen is not None:
            return chosen
    return None


def _within_words(per_item: Sequence[Hits], words: int) -> Hits | None:
    """Hits whose latest start is at most ``words`` after their earliest end.

    If a qualifying choice exists, its hit with the latest start is some hit ``anchor``
    and every other chosen hit starts no later and ends no earlier than
    ``anchor.first - words``; so trying each hit as the anchor finds one.
    """
    for anchor in sorted((hit for hits in per_item for hit in hits), key=lambda h: h.first):
        chosen = []
        for hits in per_item:
            near = next((h for h in hits if h.first <= anchor.first <= h.last + words), None)
            if near is None:
                break
            chosen.append(near)
        else:
            return chosen
    return None


def _same_sentence(per_item: Sequence[Hits], text: FieldText) -> Hits | None:
    by_sentence = [{text.sentence_of(hit): hit for hit in reversed(hits)} for hits in per_item]
    shared = set.intersection(*(set(sentences) for sentences in by_sentence))
    if not shared:
        return None
    sentence = min(shared)
    return [sentences[sentence] for sentences in by_sentence]


def score_of(
    weights: Sequence[tuple[int, float]], article: Article, fields: Scope
) -> tuple[float, Hits]:
    """Each weighted list adds its weight once per distinct entry (or keyword) found.

    Where a list's terms overlap ("air strikes" and "strikes"), the longest counts.
    """
    total = 0.0
    hits: Hits = []
    for leaf, weight in weights:
        found = [h for h in article.found.get(leaf, ()) if fields is None or h.field in fields]
        total += weight * len({article.terms[hit.term].entry for hit in _longest(found)})
        hits.extend(found)
    return total, hits


def _longest(hits: Hits) -> Hits:
    """The hits left when, of overlapping ones, only the longest (then earliest) is kept."""
    kept: Hits = []
    for hit in sorted(hits, key=lambda h: (h.first - h.last, h.field, h.first)):
        if not any(
            o.field == hit.field and o.first <= hit.last and hit.first <= o.last for o in kept
        ):
            kept.append(hit)
    return kept


def _combine(op: GroupOp, results: list[bool]) -> bool:
    if op == "all":
        return all(results)
    if op == "any":
        return any(results)
    return not any(results)


def _names(fields: frozenset[str]) -> str:
    return ", ".join(sorted(fields))


def field_order(preferred: Sequence[str], every: Sequence[str]) -> Mapping[str, int]:
    """Sort key for hits: the rule's fields in its order, then any other field."""
    order = {name: index for index, name in enumerate(preferred)}
    for name in every:
        order.setdefault(name, len(order))
    return order
