"""Rule tests: run every rule's must_match / must_not_match examples.

Each example is matched against its own rule only (disabled rules included),
with a context that satisfies the rule's scope unless the example sets it: the
rule's first feed, its feed tags, its first language, and ``min_outlets`` outlets. A failure keeps
the rule's explanation, so the report can show, diff-style, what was expected,
what happened and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.explain import render_checks
from rules.matcher import Matcher, compile_rules
from rules.model import Example, MatchContext, Rule, RuleSet
from rules.results import Explanation


@dataclass(frozen=True, slots=True)
class ExampleFailure:
    """An example whose rule did the opposite of what it says."""

    rule: str
    example: Example
    explanation: Explanation

    def report(self) -> str:
        """The failure as the analyst reads it: where, the text, expected vs got, why."""
        where = str(self.example.location) if self.example.location else "an example"
        expected, got = ("match", "no match") if self.example.expect else ("no match", "match")
        lines = [f"--- {where}", f"+++ rule {self.rule}"]
        lines += [f"  {name}: {text}" for name, text in _texts(self.example).items() if text]
        lines += [f"- expected: {expected}", f"+ got:      {got}"]
        lines += render_checks(self.explanation.checks, indent=2)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class ExampleReport:
    """How many examples ran and which failed."""

    ran: int
    failures: tuple[ExampleFailure, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def run_examples(ruleset: RuleSet, matcher: Matcher | None = None) -> ExampleReport:
    """Run every example of every rule; ``matcher`` must include disabled rules if given."""
    matcher = matcher or compile_rules(ruleset, include_disabled=True)
    ran = 0
    failures = []
    for rule in ruleset.rules:
        for example in rule.examples:
            ran += 1
            explanation = explain_example(matcher, rule, example)
            if explanation.fired != example.expect:
                failures.append(ExampleFailure(rule.name, example, explanation))
    return ExampleReport(ran, tuple(failures))


def explain_example(matcher: Matcher, rule: Rule, example: Example) -> Explanation:
    (explanation,) = matcher.explain(_texts(example), example_context(rule, example), [rule.name])
    return explanation


def example_context(rule: Rule, example: Example) -> MatchContext:
    feed = example.feed if example.feed is not None else (rule.feeds[0] if rule.feeds else "")
    tags = example.tags if example.tags is not None else rule.feed_tags
    return MatchContext(
        feed_url=feed if "://" in feed else "",
        feed_name="" if "://" in feed else feed,
        feed_tags=tags,
        link=example.link,
        outlets=example.outlets or rule.min_outlets,
        language=rule.languages[0] if rule.languages else "",
    )


def _texts(example: Example) -> dict[str, str]:
    return {
        "title": example.title,
        "summary": example.summary,
        "content": example.content,
        "body": example.body,
    }
