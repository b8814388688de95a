"""Match articles against every enabled rule in one pass over the article.

``compile_rules`` puts every term of every enabled rule into one Aho-Corasick
automaton (``rules.scan``). For an article, the fields are prepared once (markup
stripped, folded to words, joined into one text) and scanned once; the hits name
leaves (entity lists, keyword sets, inline terms), the leaves name the rules they
can make fire, and only the rules whose every needed leaf was hit are evaluated.
The cost per article grows with its length and its hits, not with the number of
rules or terms.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from operator import attrgetter

from rules.compiler import Compiled, CompiledRule, compile_ruleset, link_domain
from rules.evaluate import Article, Hits
from rules.field import ArticleText
from rules.model import ALL_FIELDS, MatchContext, RuleSet
from rules.results import Check, Explanation, Hit, Match
from rules.scan import Scanner

_NO_CONTEXT = MatchContext()
_CONTEXT_FIELDS = frozenset(("feed", "tags", "domain"))  # from the MatchContext when not given


class Matcher:
    """Every enabled rule of a rule set, compiled; build it with ``compile_rules``."""

    def __init__(self, compiled: Compiled) -> None:
        self._rules = tuple(compiled.rules)
        self._leaf_rules = {leaf: frozenset(rules) for leaf, rules in compiled.leaf_rules.items()}
        self._scanner = Scanner(compiled.terms, compiled.fuzzy, self._leaf_rules)
        self._always = frozenset(compiled.always)
        self._fields = tuple(name for name in ALL_FIELDS if name in compiled.fields)
        self._corroborated = frozenset(c.rule.name for c in self._rules if c.rule.min_outlets > 1)

    @property
    def rule_names(self) -> tuple[str, ...]:
        return tuple(compiled.rule.name for compiled in self._rules)

    @property
    def needs_outlets(self) -> bool:
        """True when some rule asks for corroboration, so callers must count outlets."""
        return any(compiled.rule.min_outlets > 1 for compiled in self._rules)

    def corroborated(self, matches: Iterable[Match]) -> bool:
        """Whether one of ``matches`` is of a rule asking for corroboration (``min_outlets``
        above 1): when they were found with outlets assumed, only such a match can change
        with the story's real count of outlets."""
        return not self._corroborated.isdisjoint(match.rule for match in matches)

    def match(self, fields: Mapping[str, str], context: MatchContext | None = None) -> list[Match]:
        """The rules that fire on an article's fields, in rule order.

        ``fields`` maps field names (title, summary, content, feed, ...) to text; the
        feed, tags and domain fields come from ``context`` when not given.
        """
        context = context or _NO_CONTEXT
        article = self._scan(fields, context, every=bool(self._always))
        found = article.found
        if not found and not self._always:
            return []
        candidates = set(self._always)
        leaf_rules = self._leaf_rules
        for leaf in found:
            if leaf in leaf_rules:
                candidates.update(leaf_rules[leaf])
        matches = []
        for index in sorted(candidates):
            compiled = self._rules[index]
            if found.keys() >= compiled.required:
                fired = compiled.evaluate(article, context)
                if fired is not None:
                    matches.append(_match(compiled, article, *fired))
        return matches

    def explain(
        self,
        fields: Mapping[str, str],
        context: MatchContext | None = None,
        rules: Collection[str] | None = None,
    ) -> list[Explanation]:
        """Why each rule (or each rule named in ``rules``) fires or not, in rule order."""
        context = context or _NO_CONTEXT
        article = self._scan(fields, context, every=True)
        chosen = [c for c in self._rules if rules is None or c.rule.name in rules]
        return [_explain(compiled, article, context) for compiled in chosen]

    def _scan(self, fields: Mapping[str, str], context: MatchContext, *, every: bool) -> Article:
        """The article's fields folded and scanned; unless ``every``, no hits at all when
        none of them can make a rule fire (see ``Scanner.scan``)."""
        names = []
        texts = []
        for name in self._fields:
            text = fields.get(name)
            if not text and name in _CONTEXT_FIELDS:
                text = _from_context(name, context)
            if text:
                names.append(name)
                texts.append(text)
        prepared = ArticleText(tuple(names), tuple(texts))
        found = self._scanner.scan(prepared.text, names, every=every, language=context.language)
        return Article(self._scanner.terms, prepared, found)


def compile_rules(ruleset: RuleSet, *, include_disabled: bool = False) -> Matcher:
    """Compile the enabled rules (every rule with ``include_disabled``, for rule tests).

    Raises ValueError for a reference to an unknown list.
    """
    chosen = ruleset.rules if include_disabled else ruleset.enabled_rules
    return Matcher(compile_ruleset(ruleset, chosen))


def _from_context(name: str, context: MatchContext) -> str:
    if name == "feed":
        return context.feed_name
    if name == "tags":
        return "\n".join(context.feed_tags)
    return link_domain(context.link) if name == "domain" else ""


def _match(compiled: CompiledRule, article: Article, found: Hits, score: float | None) -> Match:
    hits = _ordered(compiled, article, found)
    rule = compiled.rule
    terms = tuple(dict.fromkeys(map(_TERM, hits)))
    # Positional: keyword arguments cost more in the frozen dataclass's __init__.
    severity = rule.severity_for(score) if rule.bands else rule.severity
    return Match(rule.name, severity, rule.notifiers, terms, hits, rule.description, score)


_TERM = attrgetter("term")


def _ordered(compiled: CompiledRule, article: Article, found: Hits) -> tuple[Hit, ...]:
    order = compiled.order
    unique = set(map(article.hit, dict.fromkeys(found)))
    return tuple(sorted(unique, key=lambda hit: (order[hit.field], hit.start, hit.end, hit.term)))


def _explain(compiled: CompiledRule, article: Article, context: MatchContext) -> Explanation:
    rule = compiled.rule
    checks: list[Check] = []
    scope = compiled.out_of_scope(context)
    if rule.feeds or rule.feed_tags:
        checks.append(Check("feed scope", scope is None, detail=scope or "the feed is in scope"))
    if rule.languages:
        outside = compiled.language_out_of_scope(context)
        detail = outside or f"language {context.language!r} is in languages"
        checks.append(Check("language scope", outside is None, detail=detail))
    if rule.min_outlets > 1:
        detail = f"{context.outlets} of {rule.min_outlets} outlets"
        checks.append(Check("min_outlets", context.outlets >= rule.min_outlets, detail=detail))
    checks.extend(compiled.condition.explain(article, compiled.fields).children)
    score = None
    if compiled.weights:
        score, weighted = compiled.score(article)
        detail = f"score {score:g}, threshold {compiled.threshold:g}"
        hits = article.hits(weighted)
        checks.append(Check("weights", score >= compiled.threshold, hits, detail))
    fired = compiled.evaluate(article, context)
    match = _match(compiled, article, *fired) if fired is not None else None
    return Explanation(rule.name, fired is not None, tuple(checks), match, score)
