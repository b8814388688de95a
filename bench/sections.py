"""``docs/BENCHMARKS.md`` holds one section per benchmark; each command rewrites only its own.

A section sits between ``<!-- bench:NAME start -->`` and ``<!-- bench:NAME end -->``
markers; sections are kept in the order they first appeared, new ones are appended.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

HEADER = """# Benchmarks

Each section below is written by the command it names; do not edit them by hand. Run the
command again (from the repository root, in the virtualenv) and commit the new file.
Every figure was measured together with its baseline in the same run, on the machine
described in that section.
"""


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name} start -->", f"<!-- bench:{name} end -->"


def write_section(path: Path, name: str, markdown: str) -> None:
    """Replace (or append) the section ``name`` of the benchmarks file with ``markdown``."""
    start, end = _markers(name)
    block = f"{start}\n{markdown.strip()}\n{end}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    if not text.startswith("# Benchmarks"):
        text = HEADER  # an old single-report file: start afresh with the shared header
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _match: block, text)
    else:
        text = text.rstrip() + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str) -> list[str]:
    """The lines of a Markdown table; ``align`` has one letter per column, "l" or "r"."""
    rules = ["---:" if side == "r" else "---" for side in align]
    return [_row(header), _row(rules), *map(_row, rows)]


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
