"""``wirewatch db migrate`` on both backends: pending migrations applied, from → to printed."""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack
from pathlib import Path

import psycopg
import pytest

from monitor.cli.main import main
from monitor.store.postgres.schema import latest_version
from tests.support.stores import STORE_BACKENDS, postgres_schema_sync

MIGRATIONS = Path(__file__).resolve().parents[3] / "monitor" / "store" / "migrations"
CONFIG = """
[store]
{store}
[notifiers.out]
type = "console"
[entities.iran]
entries = [{{ name = "Iran", aliases = ["Iranian"] }}]
[[rules]]
name = "iran"
all_of = ["iran"]
"""


def _config(tmp_path: Path, backend: str, location: str) -> str:
    key = "path" if backend == "sqlite" else "url"
    path = tmp_path / "wirewatch.toml"
    path.write_text(CONFIG.format(store=f'{key} = "{location}"'), encoding="utf-8")
    return str(path)


def _migrate(config: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["db", "migrate", "--config", config]) == 0
    return capsys.readouterr().out.strip()


@pytest.mark.parametrize("backend", STORE_BACKENDS)
def test_migrate_reports_from_and_to_then_nothing_to_do(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    latest = latest_version()
    with ExitStack() as stack:
        if backend == "sqlite":
            location = str(tmp_path / "ww.db")
        else:
            location = stack.enter_context(postgres_schema_sync())
        config = _config(tmp_path, backend, location)
        assert _migrate(config, capsys) == f"schema migrated from version 0 to {latest}"
        assert _migrate(config, capsys) == f"schema is up to date (version {latest})"


def test_migrate_takes_an_old_sqlite_file_forward(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript((MIGRATIONS / "0001_initial.sql").read_text(encoding="utf-8"))
        db.execute("PRAGMA user_version = 1")
    config = _config(tmp_path, "sqlite", str(path))
    assert _migrate(config, capsys) == f"schema migrated from version 1 to {latest_version()}"


def test_an_unreachable_database_is_one_line_without_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://ww:hunter2-not-for-logs@127.0.0.1:1/news"
    config = _config(tmp_path, "postgres", url)
    assert main(["db", "migrate", "--config", config]) == 1
    error = capsys.readouterr().err
    assert error.startswith("wirewatch: PostgreSQL at 127.0.0.1:1/news: ")
    assert error.count("\n") == 1 and "hunter2" not in error


def _claim_a_newer_schema(backend: str, location: str, version: int) -> None:
    if backend == "sqlite":
        with sqlite3.connect(location) as db:
            db.execute(f"PRAGMA user_version = {version}")
        return
    with psycopg.connect(location, autocommit=True) as db:
        db.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))


@pytest.mark.parametrize("backend", STORE_BACKENDS)
def test_a_schema_newer_than_this_code_is_refused_not_run_on(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = latest_version() + 1
    with ExitStack() as stack:
        if backend == "sqlite":
            location = str(tmp_path / "ww.db")
        else:
            location = stack.enter_context(postgres_schema_sync())
        config = _config(tmp_path, backend, location)
        _migrate(config, capsys)
        _claim_a_newer_schema(backend, location, newer)
        assert main(["db", "migrate", "--config", config]) == 1
        assert f"schema version {newer} is newer than this wirewatch knows" in (
            capsys.readouterr().err
        )
        assert main(["run", "--once", "--config", config]) == 1
