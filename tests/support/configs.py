"""A small, complete config file for tests that run the real daemon or its commands."""

from __future__ import annotations

from pathlib import Path

CONSOLE = '[notifiers.out]\ntype = "console"'
# ``wirewatch run`` as in production, watched by a test: JSON logs, any free loopback port.
JSON_LOGS_ANY_PORT = '[log]\nformat = "json"\n[listener]\nport = 0'


def one_feed_config(
    tmp_path: Path,
    feed_url: str,
    notifiers: str = CONSOLE,
    *,
    store: Path | None = None,
    parse_workers: int = 0,
    tables: str = "",
) -> Path:
    """``ww.toml`` in ``tmp_path``: one feed, one rule (Iran), the given notifier tables,
    a SQLite store beside it (or at ``store``), and no politeness delays or jitter;
    parsing in a thread unless ``parse_workers`` asks for processes; ``tables`` appended
    as they are."""
    path = tmp_path / "ww.toml"
    path.write_text(
        f"""
[daemon]
jitter = 0
host_spacing = 0
parse_workers = {parse_workers}
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
{tables}
""",
        encoding="utf-8",
    )
    return path
