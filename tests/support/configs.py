"""A small, complete config file for tests that run the real daemon or its commands."""

from __future__ import annotations

from pathlib import Path

CONSOLE = '[notifiers.out]\ntype = "console"'
# One rule on Iran (the tests' feeds report Iranian troops), its entity list beside it.
IRAN_RULE = """[entities.iran]
entries = [{{ name = "Iran", aliases = ["Iranian"] }}]
[[rules]]
name = "{rule}"
all_of = ["iran"]"""
# ``wirewatch run`` as in production, watched by a test: JSON logs, any free loopback port.
JSON_LOGS_ANY_PORT = '[log]\nformat = "json"\n[listener]\nport = 0'


def webhook_hook(hook_url: str) -> str:
    """A webhook notifier named ``hook`` at ``hook_url``, as a TOML table."""
    return f'[notifiers.hook]\ntype = "webhook"\nurl = "{hook_url}"\n'


def iran_watch(hook_url: str, rule: str = "iran") -> str:
    """A webhook notifier named ``hook`` at ``hook_url`` and the Iran rule, as TOML tables."""
    return webhook_hook(hook_url) + IRAN_RULE.format(rule=rule)


def quiet_daemon(store: Path, parse_workers: int = 0, *, store_table: str = "",
                 daemon: str = "") -> str:  # fmt: skip
    """The ``[daemon]`` and ``[store]`` tables of a test: no politeness delays or jitter,
    parsing in a thread unless ``parse_workers`` asks for processes, SQLite at ``store``
    unless ``store_table`` gives the table's lines; ``daemon`` adds ``[daemon]`` lines."""
    store_lines = store_table or f'path = "{store}"'
    return (
        f"[daemon]\njitter = 0\nhost_spacing = 0\nparse_workers = {parse_workers}\n"
        f"{daemon + chr(10) if daemon else ''}[store]\n{store_lines}\n"
    )


def one_feed_config(
    tmp_path: Path,
    feed_url: str,
    notifiers: str = CONSOLE,
    *,
    store: Path | None = None,
    parse_workers: int = 0,
    tables: str = "",
    top: str = "",
    store_table: str = "",
    daemon: str = "",
) -> Path:
    """``ww.toml`` in ``tmp_path``: one feed, one rule (Iran), the given notifier tables,
    a SQLite store beside it (or at ``store``), and no politeness delays or jitter;
    parsing in a thread unless ``parse_workers`` asks for processes; ``tables`` appended
    as they are; ``top`` goes before every table (``include = [...]``), ``store_table`` and
    ``daemon`` as ``quiet_daemon`` takes them."""
    path = tmp_path / "ww.toml"
    path.write_text(
        f"""{top}
{quiet_daemon(store or tmp_path / "ww.db", parse_workers, store_table=store_table, daemon=daemon)}
[[feeds]]
name = "Wire"
url = "{feed_url}"
{notifiers}
{IRAN_RULE.format(rule="iran")}
{tables}
""",
        encoding="utf-8",
    )
    return path
