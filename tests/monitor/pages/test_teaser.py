"""Which entries get their article page fetched, by the feed's ``full_text`` setting."""

from __future__ import annotations

import pytest

from monitor.config import FullText
from monitor.pages import SHORT_TEXT_CHARS, wants_full_text

LONG = "Officials met in Damascus to discuss the reconstruction of the old city. " * 8
assert len(LONG.strip()) >= SHORT_TEXT_CHARS


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("", True),
        ("Troops reach Latakia.", True),
        ("x" * (SHORT_TEXT_CHARS - 1), True),
        ("x" * SHORT_TEXT_CHARS, False),
        (LONG, False),
        (LONG + "and then…", True),
        (LONG + "and then...", True),
        (LONG + " […]", True),
        (LONG + " [...]", True),
        (LONG + " (more…)", True),
        (LONG + " Read more", True),
        (LONG + " Read more »", True),
        (LONG + " Continue reading →", True),
        (LONG + " CONTINUE READING", True),
        (LONG + " اقرأ المزيد", True),
        (LONG + " المزيد", True),
        (LONG + " والمزيد", False),  # "and more": a word of the text, not a link
        (LONG + " Читать далее", True),
        (LONG + " Подробнее", True),
        (LONG + " Lire la suite", True),
        (LONG + " Leer más", True),
        (LONG + " Weiterlesen", True),
        (LONG + " Devamını oku", True),
        (LONG + " devamı", True),
        (LONG + " ادامه مطلب", True),
        (LONG + " We read more.", False),
        (LONG + " They said more", False),
    ],
)
def test_auto_fetches_short_or_cut_entries_only(text: str, wanted: bool) -> None:
    assert wants_full_text(FullText.AUTO, text) is wanted


@pytest.mark.parametrize("text", ["", "Short.", LONG, LONG + " Read more"])
@pytest.mark.parametrize(("mode", "wanted"), [(FullText.ALWAYS, True), (FullText.NEVER, False)])
def test_always_and_never_ignore_the_text(mode: FullText, wanted: bool, text: str) -> None:
    assert wants_full_text(mode, text) is wanted
