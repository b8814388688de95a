"""Problems found in rule sources.

    RuleSetError (ValueError)   raised by ``load_ruleset``: the sources cannot be used
    └── errors: list[RuleError] every problem found, not just the first

``RuleError`` is a record, not an exception: the loader collects them so that
one run of ``check-rules`` shows the user everything to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rules.model import Location


@dataclass(frozen=True, slots=True)
class RuleError:
    """One problem, e.g. ``rules/syria.toml:14: rules[1].severity: 'urgent' is not ...``."""

    message: str
    location: Location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class RuleSetError(ValueError):
    """The rule sources hold at least one problem; ``errors`` lists them all.
    ``rule_names`` are the rules read all the same, so that what refers to a rule by
    name can be checked in the same run."""

    def __init__(self, errors: Sequence[RuleError], *, rule_names: Sequence[str] = ()) -> None:
        self.errors = list(errors)
        self.rule_names = tuple(rule_names)
        count = len(self.errors)
        heading = f"{count} problem{'' if count == 1 else 's'} in the rules:"
        super().__init__("\n  ".join([heading, *map(str, self.errors)]))
