"""Which words of the window's headlines are names, as their case tells.

A word written capitalised mid-headline in sentence-case headlines is a name there; in
Title Case headlines, and for a headline's first word, case says nothing, so the counts
decide. A word of a script without capital letters always counts as written like a name
(``monitor.stories.words.written_as_name``).
"""

from __future__ import annotations

from collections.abc import Iterable

from monitor.stories.headlines import cased_words, is_title_case


class NameStats:
    """How often each word was written capitalised mid-headline in sentence-case headlines.

    "Latakia" always is, "troops" never: so in a Title Case headline, where case says
    nothing, the words that are names can still be told apart.
    """

    def __init__(self) -> None:
        self._counts: dict[str, list[int]] = {}  # token -> [capitalised, lower case]
        self.version = 0  # changes whenever a count does

    def observe(self, text: str, language: str = "") -> None:
        if is_title_case(text, language):
            return
        self.version += 1
        for word in cased_words(text, language):
            if not word.first:
                self._counts.setdefault(word.token, [0, 0])[0 if word.capitalised else 1] += 1

    def names_in(self, text: str, language: str = "") -> frozenset[str]:
        """Name words of a headline, for the vetoes: an unknown first word counts as one
        ("Putin orders …" / "Quds Force orders …"), which can only keep stories apart."""
        title_case = is_title_case(text, language)
        return frozenset(
            word.token
            for word in cased_words(text, language)
            if word.capitalised
            and self.is_name(word.token, title_case or word.first, unknown=word.first)
        )

    def is_name(self, token: str, case_says_nothing: bool, *, unknown: bool = False) -> bool:
        """Whether a capitalised word is a name; ``unknown`` answers for unseen words
        where case says nothing (Title Case, first word)."""
        counts = self._counts.get(token)
        if counts is None:
            return unknown or not case_says_nothing
        return not case_says_nothing or counts[0] > counts[1]

    def forget(self, tokens: Iterable[str]) -> None:
        self.version += 1
        for token in tokens:
            self._counts.pop(token, None)

    def __len__(self) -> int:
        return len(self._counts)
