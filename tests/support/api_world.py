"""A store with stories in several languages, alerts with deliveries, a silence and a
surge, and the JSON API serving it on a real listener on 127.0.0.1 (tests only).

Written through the store API (as the pipeline would leave it), so each test knows
exactly what is kept: :data:`STORIES` lists every story, its articles and alerts.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.api import ApiSource, Router, install_api
from monitor.config import Config
from monitor.config.settings import load_config
from monitor.listener import HttpListener
from monitor.records import Silence
from monitor.records.models import AlertRecord, Article, DedupDecision, Verdict
from monitor.store import SqliteStore, Store
from monitor.surges import Surge, SurgeKind, surge_id
from tests.support.threaded import serve_world_in_thread

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

CONFIG = """
[store]
path = "{db}"

[api]
rate_limit = {rate_limit}
burst = {burst}
{tokens}

[[feeds]]
name = "Levant Desk"
url = "https://levant.example/feed.xml"

[[feeds]]
name = "Moscow Wire"
url = "https://user:hunter2@moscow.example/rss"

[notifiers.hook]
type = "webhook"
url = "http://127.0.0.1:9/hook"

[entities.hezbollah]
entries = [{{ name = "Hezbollah", aliases = ["حزب الله"] }}]

[entities.syria]
entries = ["Latakia", "Homs", "Хомс", "Syria"]

[[rules]]
name = "hezbollah-syria"
severity = "high"
all_of = ["hezbollah", "syria"]

[[rules]]
name = "homs"
severity = "low"
any_of = ["syria"]
"""
TOKENS = """tokens = [
  {{ name = "reader", scope = "read", token_env = "{read_env}" }},
  {{ name = "writer", scope = "write", token_env = "{write_env}" }},
]"""


@dataclass(frozen=True, slots=True)
class Seeded:
    """One story as seeded: (article id, feed name, feed url, language, title) per
    article, and (alert id, rule, severity, terms, minutes after the story) per alert."""

    story_id: str
    articles: tuple[tuple[str, str, str, str, str], ...]
    alerts: tuple[tuple[str, str, str, tuple[str, ...], int], ...]
    hours_ago: int


LEVANT = ("Levant Desk", "https://levant.example/feed.xml")
MOSCOW = ("Moscow Wire", "https://user:hunter2@moscow.example/rss")
STORIES = (
    Seeded("s_latakia", (
        ("a_l1", *LEVANT, "en", "Hezbollah fighters reach Latakia"),
        ("a_l2", *LEVANT, "ar", "مقاتلو حزب الله يصلون إلى اللاذقية"),
        ("a_l3", *MOSCOW, "ru", "Боевики «Хезболлы» вошли в Латакию"),
    ), (("al_l1", "hezbollah-syria", "high", ("Hezbollah", "Latakia"), 0),
        ("al_l2", "homs", "low", ("Latakia",), 5)), 1),
    Seeded("s_homs", (("a_h1", *MOSCOW, "ru", "Обстрел в Хомсе: СТРАЖИ сообщают"),),
           (("al_h1", "homs", "low", ("Хомс",), 0),), 3),
    *(Seeded(f"s_quiet{n:02d}", ((f"a_q{n:02d}", *LEVANT, "en", f"Market report {n}"),), (),
             5 + n) for n in range(12)),
)  # fmt: skip


def write_config(
    tmp_path: Path,
    *,
    tokens: Mapping[str, str] | None = None,
    rate_limit: int = 100_000,
    burst: int = 100_000,
) -> Path:
    """The config file; ``tokens``: the env variable names of the read and write token."""
    listed = TOKENS.format(**tokens) if tokens else ""
    path = tmp_path / "ww.toml"
    path.write_text(CONFIG.format(db=tmp_path / "ww.db", tokens=listed,
                                  rate_limit=rate_limit, burst=burst))  # fmt: skip
    return path


async def seed(store: Store) -> None:
    for story in STORIES:
        start = NOW - timedelta(hours=story.hours_ago)
        for index, (article_id, feed, url, language, title) in enumerate(story.articles):
            fetched = start + timedelta(minutes=10 * index)
            article = Article(
                article_id=article_id, feed_url=url, feed_name=feed, guid=article_id,
                title=title, link=f"https://news.example/{article_id}", summary=f"{title}.",
                content="", published=fetched, fetched_at=fetched, language=language,
            )  # fmt: skip
            verdict = Verdict.NEW_STORY if index == 0 else Verdict.FOLDED
            await store.record_article(article, DedupDecision(verdict, story.story_id),
                                       _alerts(story, start) if index == 0 else [])  # fmt: skip
    await store.add_silence(Silence("maintenance", NOW, NOW + timedelta(days=30), rule="homs"))
    await store.record_surges([_surge()])


def _alerts(story: Seeded, start: datetime) -> list[AlertRecord]:
    first = story.articles[0][0]
    return [
        AlertRecord(alert_id=alert_id, story_id=story.story_id, article_id=first, rule=rule,
                    severity=severity, terms=terms, notifiers=("hook",),  # type: ignore[arg-type]
                    created_at=start + timedelta(minutes=minutes),
                    event="new")
        for alert_id, rule, severity, terms, minutes in story.alerts
    ]  # fmt: skip


def _surge() -> Surge:
    start = NOW - timedelta(hours=2)
    return Surge(
        surge_id=surge_id(SurgeKind.NAME, "latakia", start), kind=SurgeKind.NAME,
        key="latakia", label="Latakia", window_start=start, window_end=NOW, fired_at=NOW,
        count=12, expected=1.5, outlets=4, score=9.5,
        top_stories=(("s_latakia", "Hezbollah fighters reach Latakia", 2),),
        top_outlets=("Levant Desk",),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ApiWorld:
    config: Config
    store: Store
    router: Router
    listener: HttpListener

    @property
    def url(self) -> str:
        return self.listener.url + "/api/v1"


@contextlib.asynccontextmanager
async def api_world(config_path: Path, host: str = "127.0.0.1") -> AsyncIterator[ApiWorld]:
    config = load_config(config_path)
    store = SqliteStore(config.settings.store.path)
    await store.open()
    try:
        await seed(store)
        source = ApiSource(store=store, config=lambda: config,
                           clock=lambda: NOW)  # fmt: skip
        listener = HttpListener(host)
        router = install_api(listener, source)
        await listener.start()
        try:
            yield ApiWorld(config, store, router, listener)
        finally:
            await listener.stop()
    finally:
        await store.close()


@contextlib.contextmanager
def serve_in_thread(config_path: Path) -> Iterator[str]:
    """:func:`api_world` on its own event loop in a thread; yields the API's base URL."""
    with serve_world_in_thread(lambda: api_world(config_path), "api") as url:
        yield url
