"""What only the PostgreSQL store has: twinned migrations applied once under a lock by
daemons starting together, uniqueness across daemons sharing one database, the
``[store] url`` switch, and a URL's password kept out of every message.

The behaviour both backends share is tested on both by the store contract tests
(test_store.py, test_feed_store.py, test_story_alerts.py, test_dispatch.py, ...).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from monitor.config.settings import ConfigError, load_config
from monitor.records.models import AlertRecord, Article, DedupDecision, Verdict
from monitor.store import StoreUnavailableError
from monitor.store.factory import open_store
from monitor.store.postgres.schema import latest_version
from monitor.store.postgres.store import PostgresStore
from monitor.store.sqlite.store import SqliteStore
from rules import Severity
from tests.support.stores import POSTGRES_URL, postgres_schema

MIGRATIONS = Path(__file__).resolve().parents[3] / "monitor" / "store" / "migrations"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SECRET = "hunter2-not-for-logs"


def _versions(folder: Path) -> list[int]:
    return sorted(int(path.name.split("_", 1)[0]) for path in folder.glob("*.sql"))


def test_both_backends_have_the_same_migration_versions() -> None:
    """A SQLite migration without its PostgreSQL twin (or the reverse) fails here."""
    sqlite_versions = _versions(MIGRATIONS)
    assert sqlite_versions == _versions(MIGRATIONS / "postgres")
    assert sqlite_versions == list(range(1, len(sqlite_versions) + 1))  # no gaps


@pytest.fixture(name="url")
async def _url() -> AsyncIterator[str]:
    if not POSTGRES_URL:
        pytest.skip("WIREWATCH_TEST_POSTGRES_URL is unset")
    async with postgres_schema() as url:
        yield url


async def _applied(url: str) -> list[tuple[int, int]]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        sql = "SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version"
        return await (await conn.execute(sql)).fetchall()


@pytest.mark.postgres
async def test_daemons_starting_together_apply_each_migration_once(url: str) -> None:
    stores = [PostgresStore(url, min_size=1, max_size=2) for _ in range(3)]
    await asyncio.gather(*(store.open() for store in stores))
    try:
        latest = latest_version()
        assert [await store.schema_version() for store in stores] == [latest] * 3
        assert sorted(store.migrated for store in stores) == [(0, latest)] + [(latest, latest)] * 2
        assert await _applied(url) == [(version, 1) for version in range(1, latest + 1)]
    finally:
        await asyncio.gather(*(store.close() for store in stores))


def _article(number: int) -> Article:
    return Article(f"a{number}", f"https://outlet{number}.example/feed", f"Outlet {number}",
                   f"g{number}", "Port shelled overnight", f"https://outlet{number}.example/1",
                   "", "", published=None, fetched_at=NOW)  # fmt: skip


def _alert(event: str) -> AlertRecord:
    return AlertRecord(f"al-{event}", "s1", "a1", "port", Severity.HIGH, ("port",), ("hook",), NOW,
                       event=event)  # fmt: skip


@pytest.mark.postgres
async def test_two_daemons_raising_the_same_alert_at_once_create_it_once(url: str) -> None:
    """The unique (story, rule, event) holds across connections: one wins, one is a no-op."""
    first, second = PostgresStore(url), PostgresStore(url)
    await first.open()
    await second.open()
    try:
        await first.record_article(_article(1), DedupDecision(Verdict.NEW_STORY, "s1"), [])
        folded = DedupDecision(Verdict.FOLDED, "s1", "a1")
        results = await asyncio.gather(
            first.record_article(_article(2), folded, [_alert("outlets>=3")]),
            second.record_article(_article(3), folded, [_alert("outlets>=3")]),
        )
        assert sorted(len(created) for created in results) == [0, 1]
        assert await first.delivery_counts() == {"pending": 1}
        story = await second.story("s1")
        assert story is not None and story.article_count == 3
    finally:
        await first.close()
        await second.close()


@pytest.mark.postgres
async def test_reopening_migrates_nothing(url: str) -> None:
    for expected in ((0, latest_version()), (latest_version(), latest_version())):
        store = PostgresStore(url)
        await store.open()
        await store.close()
        assert store.migrated == expected


async def test_an_unreachable_server_is_named_without_its_password() -> None:
    store = PostgresStore(f"postgresql://wirewatch:{SECRET}@127.0.0.1:1/news", timeout=2)
    with pytest.raises(StoreUnavailableError) as caught:
        await store.open()
    assert "127.0.0.1:1/news" in str(caught.value)
    assert SECRET not in str(caught.value) and SECRET not in repr(store)


CONFIG = """
[store]
{store}

[notifiers.console]
type = "console"

[entities.port]
kind = "place"
entries = ["Port"]

[[rules]]
name = "port"
all_of = ["port"]
notifiers = ["console"]
"""


@pytest.mark.parametrize(
    ("store_lines", "backend"),
    [
        pytest.param('path = "ww.db"', SqliteStore, id="path-alone-is-sqlite"),
        pytest.param(f'url = "postgresql://ww:{SECRET}@db/news"', PostgresStore, id="url-alone"),
        pytest.param(
            f'backend = "postgresql"\nurl = "postgresql://ww:{SECRET}@db/news"\npool_max_size = 4',
            PostgresStore,
            id="url-and-backend",
        ),
    ],
)
def test_one_key_switches_the_store(tmp_path: Path, store_lines: str, backend: type) -> None:
    path = tmp_path / "wirewatch.toml"
    path.write_text(CONFIG.format(store=store_lines), encoding="utf-8")
    store = open_store(load_config(path).settings.store)
    assert isinstance(store, backend)
    assert SECRET not in repr(store)


@pytest.mark.parametrize(
    "store_lines",
    [
        pytest.param(f'backend = "sqlite"\nurl = "postgresql://ww:{SECRET}@db/news"', id="both"),
        pytest.param('backend = "postgresql"', id="postgresql-without-url"),
        pytest.param(f'url = "mysql://ww:{SECRET}@db/news"', id="not-postgresql"),
        pytest.param(f'url = "postgresql://ww:{SECRET}@db/x"\npool_min_size = 9\npool_max_size = 2',
                     id="pool-sizes"),
    ],
)  # fmt: skip
def test_store_mistakes_are_reported_without_the_url(tmp_path: Path, store_lines: str) -> None:
    path = tmp_path / "wirewatch.toml"
    path.write_text(CONFIG.format(store=store_lines), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (error,) = caught.value.errors
    assert ": store" in error and SECRET not in error


def test_the_url_may_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIREWATCH_STORE__URL", f"postgresql://ww:{SECRET}@db/news")
    path = tmp_path / "wirewatch.toml"
    path.write_text(CONFIG.format(store='path = "ww.db"'), encoding="utf-8")
    settings = load_config(path).settings.store
    assert settings.backend == "postgresql" and SECRET not in str(settings)


@pytest.mark.postgres
async def test_a_migration_that_cannot_run_is_reported_in_one_line(url: str) -> None:
    missing = url.replace("search_path%3D", "search_path%3Dno_such_schema_")
    with pytest.raises(StoreUnavailableError) as caught:
        await PostgresStore(missing).open()
    assert "migrations not applied" in str(caught.value) and "\n" not in str(caught.value)
