"""An article's lead for story grouping: the opening of its page's text when a page was
read (``Article.body``), else the opening of its summary (docs/decisions/0033-page-leads.md).

A teaser's summary is one clipped sentence or nothing; the page's lead paragraph says who
did what where, which is what makes two outlets' differently worded headlines one event.
The page lead is the first paragraphs of prose: lines that are too short to be prose
(datelines alone, bylines, times, "Share", "Listen to this article") are skipped, and the
lead is cut at LEAD_WORDS words or LEAD_COLUMNS display columns (a CJK character is two),
so a script written without spaces is capped as well. A page whose first paragraphs hold
no prose has no lead: its summary's is used.

Pure functions of their input; the page lead an article was grouped with is stored with it
(``StoryFacts.page_lead``), so a restart rebuilds the story index from the store alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Final

from monitor.stories.headlines import fold, lead_of

LEAD_WORDS: Final = 40  # as a summary's lead (headlines.lead_of)
LEAD_COLUMNS: Final = 320  # about 50 English words, 160 Chinese or Japanese characters
# A line this wide is prose whatever it ends with; a narrower one must end a sentence and
# be at least _SENTENCE_COLUMNS wide ("By Jane Doe, Reuters" is neither).
_PROSE_COLUMNS: Final = 120
_SENTENCE_COLUMNS: Final = 40
_SENTENCE_ENDS: Final = frozenset(".!?…。！？؟۔।")
_CLOSERS: Final = "\"'”’»)]」』）"  # a sentence may end inside quotes or brackets
_SCANNED: Final = 12  # lines looked at for the first prose; a page is not read to its end
# Characters of a line split into words: 40 words fit unless they average 32 characters,
# and a page that is one 100 kB line is not split whole.
_SPLIT_CHARS: Final = LEAD_COLUMNS * 4
_LINE: Final = re.compile(r"[^\r\n]+")


def grouping_lead(title: str, summary: str, page: str) -> str:
    """The lead an article is grouped with: its page's lead when it has one, else its
    summary's (``page`` as :func:`page_lead` gave it, or as stored)."""
    return page or lead_of(summary, title)


def page_lead(body: str, title: str) -> str:
    """The lead paragraph(s) of a page's text, capped; "" when its opening holds no prose
    or only repeats the title."""
    words: list[str] = []
    for line in _prose(body):
        words.extend(line[:_SPLIT_CHARS].split())
        if len(words) >= LEAD_WORDS:
            break
    lead = _within_columns(" ".join(words[:LEAD_WORDS]))
    return "" if fold(lead) == fold(title) else lead


def _prose(body: str) -> Iterator[str]:
    """The prose lines of the page's opening, from the first one on."""
    for number, match in enumerate(_LINE.finditer(body)):
        if number >= _SCANNED:
            return
        line = match.group().strip()
        if line and _is_prose(line):
            yield line


def _is_prose(line: str) -> bool:
    if len(line) >= _PROSE_COLUMNS:  # at least as wide: no need to measure
        return True
    width = columns(line)
    if width >= _PROSE_COLUMNS:
        return True
    return width >= _SENTENCE_COLUMNS and line.rstrip(_CLOSERS)[-1:] in _SENTENCE_ENDS


def columns(text: str) -> int:
    """Display width: East Asian wide and full-width characters count two."""
    return len(text) if text.isascii() else sum(map(_width, text))


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _within_columns(text: str) -> str:
    """``text`` cut to LEAD_COLUMNS, at a space when one falls in its second half."""
    if len(text) <= LEAD_COLUMNS // 2 or columns(text) <= LEAD_COLUMNS:
        return text
    width = 0
    for end, char in enumerate(text):
        width += _width(char)
        if width > LEAD_COLUMNS:
            cut = text[:end]
            space = cut.rfind(" ")
            return cut[:space] if space > end // 2 else cut
    return text
