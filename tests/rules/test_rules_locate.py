"""KeyLocator: the line where a TOML key path is written."""

from __future__ import annotations

import tomllib

import pytest

from rules import KeyLocator

DOCUMENT = """\
# a comment with [brackets] and key = "value"
title = "wirewatch"
log.level = "info"

[entities.iran]
kind = "actor"
entries = [
  { name = "Iran", aliases = ["Iranian", "IRGC"] },
  "Quds Force",  # trailing comment ]
]

[entities."Côte d'Ivoire"]
entries = ["Abidjan"]

[[rules]]
name = "first"
description = '''
a [multi-line] string with name = "fake"
'''
all_of = ["iran"]

[[rules]]
name = "second"
severity = "high"
any_of = [
  "iran",
  { all_of = [
      "syria",
      { terms = ["air strike"] },
  ] },
]

[[rules.tests]]
text = "nested array of tables"

["quoted \\u0041 key"]
value = 1
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        pytest.param(("title",), 2, id="top-level key"),
        pytest.param(("log", "level"), 3, id="dotted key"),
        pytest.param(("entities",), 5, id="implicit parent table"),
        pytest.param(("entities", "iran"), 5, id="table header"),
        pytest.param(("entities", "iran", "kind"), 6, id="key in table"),
        pytest.param(("entities", "iran", "entries", 0), 8, id="array element"),
        pytest.param(("entities", "iran", "entries", 0, "aliases", 1), 8, id="inline table"),
        pytest.param(("entities", "iran", "entries", 1), 9, id="element after inline table"),
        pytest.param(("entities", "Côte d'Ivoire", "entries"), 13, id="quoted header key"),
        pytest.param(("rules", 0), 15, id="first array table"),
        pytest.param(("rules", 0, "all_of", 0), 20, id="after multi-line string"),
        pytest.param(("rules", 1, "severity"), 24, id="second array table"),
        pytest.param(("rules", 1, "any_of", 1, "all_of", 0), 28, id="nested inline array"),
        pytest.param(("rules", 1, "any_of", 1, "all_of", 1, "terms", 0), 29, id="deeply nested"),
        pytest.param(("rules", 1, "tests", 0, "text"), 34, id="array table in array table"),
        pytest.param(("quoted A key", "value"), 37, id="escaped quoted key"),
        pytest.param(("rules", 1, "enabled"), 22, id="missing key falls back to parent"),
        pytest.param(("rules", 0, "fields", 3), 15, id="missing subtree falls back"),
        pytest.param(("nowhere",), None, id="unknown top-level key"),
    ],
)
def test_line_of_finds_where_a_key_is_written(
    path: tuple[str | int, ...], line: int | None
) -> None:
    """Each key path maps to its own line, or to its nearest written parent."""
    tomllib.loads(DOCUMENT)  # the fixture is valid TOML, as the locator expects
    assert KeyLocator(DOCUMENT).line_of(path) == line


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a = [1, 2", id="unterminated array"),
        pytest.param('a = "open', id="unterminated string"),
        pytest.param("[table\nb = 1", id="unterminated header"),
        pytest.param("= 1", id="missing key"),
        pytest.param("a = { b = 1 c = 2 }", id="missing comma"),
    ],
)
def test_line_of_survives_text_it_cannot_follow(text: str) -> None:
    """Broken text gives whatever was found before the break, never an exception."""
    locator = KeyLocator(text)
    assert locator.line_of(("a",)) in (1, None)
    assert locator.line_of(("zzz",)) is None


STRINGS = (  # every kind of string, with what could end one too early
    'a = "an \\"escaped\\" quote, a backslash \\\\ and # no comment"\n'
    "b = 'literal \\ with \"double\" quotes'\n"
    'c = """\n'
    'multi-line with "one" and ""two"" quotes, and [not = "a key"]\n'
    '"""\n'
    'd = """ends with two quotes"" """\n'
    "e = '''\n"
    "literal [[rules]] and \"quotes\" and 'one' and ''two''\n"
    "'''\n"
    'f = """\\\\"""\n'
    "g = 1\n"
)


@pytest.mark.parametrize(
    ("key", "line"),
    [("a", 1), ("b", 2), ("c", 3), ("d", 6), ("e", 7), ("f", 10), ("g", 11)],
)
def test_every_kind_of_string_ends_where_tomllib_ends_it(key: str, line: int) -> None:
    """Escaped quotes and backslashes, quotes inside multi-line strings, quotes just before
    the closing three, and key-like text inside strings leave every key on its own line."""
    assert sorted(tomllib.loads(STRINGS)) == list("abcdefg")  # valid, as the locator expects
    assert KeyLocator(STRINGS).line_of((key,)) == line
