"""A small, complete config file for tests that run the real daemon or its commands."""

from __future__ import annotations

from pathlib import Path

CONSOLE = '[notifiers.out]\ntype = "console"'


def one_feed_config(
    tmp_path: Path, feed_url: str, notifiers: str = CONSOLE, *, store: Path | None = None
) -> Path:
    """``ww.toml`` in ``tmp_path``: one feed, one rule (Iran), the given notifier tables,
    a SQLite store beside it (or at ``store``), and no politeness delays, jitter or parse
    processes."""
    path = tmp_path / "ww.toml"
    path.write_text(
        f"""
[daemon]
jitter = 0
host_spacing = 0
parse_workers = 0
[store]
path = "{store or tmp_path / "ww.db"}"
[[feeds]]
name = "Wire"
url = "{feed_url}"
{notifiers}
[entities.iran]
entries = [{{ name = "Iran", aliases = ["Iranian"] }}]
[[rules]]
name = "iran"
all_of = ["iran"]
""",
        encoding="utf-8",
    )
    return path
