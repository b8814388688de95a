"""Which words of the window's headlines are names, as their case tells.

A word written capitalised mid-headline in sentence-case headlines is a name there; in
Title Case headlines, and for a headline's first word, case says nothing, so the counts
decide. A word of a script without capital letters always counts as written like a name
(``monitor.stories.words.written_as_name``).

The counts are the window's: what an article's headline added is taken back when the
article leaves the window (else a daemon's counts grow for months, and a word keeps
the case it was written in long ago).
"""

from __future__ import annotations

import sys
from typing import TypeAlias

from monitor.stories.headlines import cased_words, is_title_case

# What one headline added to the counts: two bits a word of its sorted content words
# (written capitalised, written in lower case) when each was written at most once each
# way, as nearly all are (a small int, often one Python shares); else (word, how) pairs.
Said: TypeAlias = int | tuple[tuple[str, int], ...]
# What the counts read of a headline whatever the window holds: whether it is Title Case,
# and its content words as (token, capitalised, first) (``headlines.cased_words``).
NameWords: TypeAlias = tuple[bool, tuple[tuple[str, bool, bool], ...]]


def name_words(text: str, language: str = "") -> NameWords:
    """:data:`NameWords` of ``text``: pure, so a parse worker can read it beforehand."""
    counted = tuple(
        (word.token, word.capitalised, word.first) for word in cased_words(text, language)
    )
    return is_title_case(text, language), counted


class NameStats:
    """How often each word was written capitalised mid-headline in sentence-case headlines.

    "Latakia" always is, "troops" never: so in a Title Case headline, where case says
    nothing, the words that are names can still be told apart.
    """

    def __init__(self) -> None:
        self._counts: dict[str, list[int]] = {}  # token -> [capitalised, lower case]
        self.version = 0  # changes whenever a count does

    def observe(
        self,
        text: str,
        language: str = "",
        tokens: tuple[str, ...] = (),
        read: NameWords | None = None,
    ) -> Said:
        """Count how ``text``'s words are written; what was counted, to be taken back by
        :meth:`unobserve` (``tokens``: the headline's sorted content words, read with it;
        ``read``: :func:`name_words` of ``text``, when read already)."""
        title_case, words = read if read is not None else name_words(text, language)
        if title_case:
            return 0
        self.version += 1
        counted = [(token, 0 if capitalised else 1)
                   for token, capitalised, first in words if not first]  # fmt: skip
        for token, how in counted:
            self._counts.setdefault(token, [0, 0])[how] += 1
        return _packed(counted, tokens)

    def unobserve(self, said: Said, tokens: tuple[str, ...] = ()) -> None:
        """Take back what :meth:`observe` counted (it returned ``said``)."""
        if not said:
            return
        self.version += 1
        for token, how in _unpacked(said, tokens):
            counts = self._counts.get(token)
            if counts is not None:
                counts[how] -= 1
                if counts[0] <= 0 and counts[1] <= 0:
                    del self._counts[token]

    def names_in(
        self, text: str, language: str = "", read: NameWords | None = None
    ) -> frozenset[str]:
        """Name words of a headline, for the vetoes: an unknown first word counts as one
        ("Putin orders …" / "Quds Force orders …"), which can only keep stories apart.
        ``read``: :func:`name_words` of ``text``, when read already."""
        title_case, words = read if read is not None else name_words(text, language)
        return frozenset(
            token
            for token, capitalised, first in words
            if capitalised and self.is_name(token, title_case or first, unknown=first)
        )

    def is_name(self, token: str, case_says_nothing: bool, *, unknown: bool = False) -> bool:
        """Whether a capitalised word is a name; ``unknown`` answers for unseen words
        where case says nothing (Title Case, first word)."""
        counts = self._counts.get(token)
        if counts is None:
            return unknown or not case_says_nothing
        return not case_says_nothing or counts[0] > counts[1]

    def __len__(self) -> int:
        return len(self._counts)


def _packed(counted: list[tuple[str, int]], tokens: tuple[str, ...]) -> Said:
    bits = 0
    for token, how in counted:
        bit = 1 << (2 * tokens.index(token) + how) if token in tokens else 0
        if not bit or bits & bit:  # a word not among them, or written twice alike
            return tuple((sys.intern(token), how) for token, how in counted)
        bits |= bit
    return bits


def _unpacked(said: Said, tokens: tuple[str, ...]) -> list[tuple[str, int]]:
    if isinstance(said, tuple):
        return list(said)
    return [(token, how) for place, token in enumerate(tokens) for how in (0, 1)
            if said >> (2 * place + how) & 1]  # fmt: skip
