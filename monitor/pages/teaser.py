"""Whether an entry is worth its article page: the feed's ``full_text`` setting, and for
``auto`` whether the entry's own text is a teaser (short, or cut off with "…" or "Read
more" in one of the languages the daemon follows).

The threshold, 400 characters of plain text, is about three sentences: a wire teaser (a
headline-like sentence or two) is below it, a body that names its actors is mostly above.
Measured on 4,983 entries of 178 real feeds (the fastfeedparser benchmark captures),
entries' text lengths are bimodal: 48% carry under 200 characters, 60% under 400, 68%
under 600, while 20% carry 2,000 or more (the whole article); 400 fetches the teasers
without fetching the pages of feeds that already carry their articles.
"""

from __future__ import annotations

from typing import Final

from monitor.config import FullText

SHORT_TEXT_CHARS: Final = 400

# Endings that say "the rest is on the page", compared case-folded after trailing
# arrows, guillemets and spaces are dropped ("Continue reading →", "Read more »").
_CUT_MARKERS: Final = tuple(
    marker.casefold()
    for marker in (
        "…", "...", "[…]", "[...]", "(more…)", "(more...)",
        "read more", "continue reading", "read the full story", "read full article",
        "اقرأ المزيد", "المزيد",  # Arabic: read more, more
        "читать далее", "подробнее",  # Russian: read further, more details
        "lire la suite",  # French
        "leer más", "seguir leyendo",  # Spanish
        "weiterlesen", "mehr lesen",  # German
        "devamını oku", "devamı",  # Turkish: read its continuation, continuation
        "ادامه مطلب",  # Persian: rest of the article
    )
)  # fmt: skip
_DECORATION: Final = " \t\r\n\u00a0»›→>:"


def wants_full_text(mode: FullText, entry_text: str) -> bool:
    """Whether to fetch the entry's page: ``entry_text`` is its own text (summary or
    content, as plain text)."""
    if mode is FullText.AUTO:
        return is_teaser(entry_text)
    return mode is FullText.ALWAYS


def is_teaser(text: str) -> bool:
    """Short, or ending with a "the rest is on the page" marker."""
    folded = text.strip().casefold()
    return len(folded) < SHORT_TEXT_CHARS or _looks_cut(folded.rstrip(_DECORATION))


def _looks_cut(text: str) -> bool:
    return any(_ends_with_word(text, marker) for marker in _CUT_MARKERS)


def _ends_with_word(text: str, marker: str) -> bool:
    """``text`` ends with ``marker``, a whole word when it starts with a letter ("devamı",
    not "…ndevamı"; "المزيد" alone, not inside "والمزيد")."""
    if not text.endswith(marker):
        return False
    before = text[: -len(marker)]
    return not (marker[0].isalpha() and before and before[-1].isalnum())
