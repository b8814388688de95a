"""A daemon's store holding a story told in English, Arabic and Russian, and a few others
to filter, with its status site on a real listener (tests only).

The rules are real (a config the daemon loads): an entity list naming Hezbollah and
Latakia in three scripts. The stories are written through the store API, as the
pipeline would after grouping them, so every test sees the same story whatever the
grouping model decides; the rule engine marks their terms when the page is read.
One story carries hostile text where a feed could put it: headline, summary, outlet,
link and language.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from monitor.listener.server import HttpListener
from monitor.records import AlertVerdict, Feedback
from monitor.records.models import AlertRecord, Article, DedupDecision, Verdict
from monitor.web.status_page import install_status_page
from rules import Severity
from tests.support.status_world import HOSTILE, StatusWorld

__all__ = ["ARTICLES", "HOSTILE_ARTICLE", "STORY", "WorldClock", "story_world"]

STORY = "s_levant"  # the story told in three languages
OTHER_STORIES = ("s_kyiv", "s_homs_old", "s_hostile")
CONFIG = """
[store]
path = "{db}"

[entities.hezbollah]
entries = [{{ name = "Hezbollah", aliases = ["حزب الله", "Хезболла"] }}]

[entities.syria]
entries = [{{ name = "Latakia", aliases = ["اللاذقية", "Латакия"] }}, "Homs"]

[[rules]]
name = "hezbollah-in-syria"
severity = "high"
all_of = ["hezbollah", "syria"]
none_of = [{{ terms = ["exercise"] }}]

[[rules]]
name = "kyiv"
all_of = [{{ terms = ["Kyiv", "Киев"] }}]
"""


class WorldClock:
    """The daemon's clock in a story world: still unless a test moves it, so every "20m
    ago" a page shows is measured from the moment the world was written, however long
    the machine takes to serve it."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@dataclass(frozen=True, slots=True)
class Told:
    """One article of the world: its story, outlet, language, text and age."""

    article_id: str
    story_id: str
    outlet: str
    language: str
    title: str
    summary: str
    minutes_ago: int
    link: str = ""


ARTICLES = (
    Told("a_en", STORY, "Levant Wire", "en",
         "Hezbollah fighters reported near Latakia after air strikes",
         "Residents of Latakia said the convoy was not an exercise.", 180),
    Told("a_ar", STORY, "قناة الشرق", "ar",
         "مقاتلون من حزب الله قرب اللاذقية بعد غارات جوية",
         "قال سكان في اللاذقية إن القافلة وصلت ليلاً.", 150),
    Told("a_ru", STORY, "Вести Востока", "ru",
         "Боевики «Хезболлы» замечены под Латакией после авиаударов",
         "Жители Латакии сообщили о колонне техники.", 120),
    Told("a_en2", STORY, "Gulf Desk", "en",
         "Convoy seen on the coast road as strikes continue",
         "No group has claimed the strikes.", 60),
    Told("a_kyiv", "s_kyiv", "Вести Востока", "ru", "Взрывы в Киеве ночью",
         "Киев: сирены звучали два часа.", 3 * 24 * 60),
    Told("a_homs", "s_homs_old", "Levant Wire", "en", "Hezbollah commander killed in Homs",
         "An old report.", 10 * 24 * 60),
)  # fmt: skip
HOSTILE_ARTICLE = Told(
    "a_hostile", "s_hostile", HOSTILE["feed_name"], '"><b onmouseover=window.pwned=1>',
    HOSTILE["script_title"], HOSTILE["img_summary"], 30, HOSTILE["js_link"],
)  # fmt: skip
# Readers' verdicts, oldest first: (alert id, verdict, by whom, note, minutes ago).
VERDICTS = (
    ("al_new", AlertVerdict.FALSE_POSITIVE, "cli", "", 100),
    ("al_new", AlertVerdict.USEFUL, "link", "تأكيد من مصدر ثان", 90),
    ("al_hostile", AlertVerdict.DUPLICATE, "ci", HOSTILE["silence_reason"], 20),
)
# The alerts each story got: (alert id, story, article, rule, terms, event, minutes ago).
ALERTS = (
    ("al_new", STORY, "a_en", "hezbollah-in-syria", ("Hezbollah", "Latakia"), "new", 179),
    ("al_more", STORY, "a_ru", "hezbollah-in-syria", ("Хезболла", "Латакия"), "outlets>=3", 119),
    ("al_kyiv", "s_kyiv", "a_kyiv", "kyiv", ("Киев",), "new", 3 * 24 * 60),
    ("al_homs", "s_homs_old", "a_homs", "hezbollah-in-syria", ("Hezbollah", "Homs"), "new",
     10 * 24 * 60),
    ("al_hostile", "s_hostile", "a_hostile", "hezbollah-in-syria", ("Latakia",), "new", 29),
)  # fmt: skip


def _article(told: Told, now: datetime) -> Article:
    moment = now - timedelta(minutes=told.minutes_ago)
    slug = told.outlet.encode().hex()[:12]
    return Article(
        article_id=told.article_id, feed_url=f"https://{slug}.example/feed",
        feed_name=told.outlet, guid=told.article_id, title=told.title,
        link=told.link or f"https://{slug}.example/{told.article_id}", summary=told.summary,
        content="", published=moment, fetched_at=moment, language=told.language,
    )  # fmt: skip


async def add_stories(daemon: Daemon, told: Sequence[Told]) -> None:
    """Each article into its story (the first opens it), with the story's alerts."""
    store, now = daemon.store, daemon.clock()
    opened: set[str] = set()
    for item in sorted(told, key=lambda item: -item.minutes_ago):
        verdict = Verdict.FOLDED if item.story_id in opened else Verdict.NEW_STORY
        opened.add(item.story_id)
        alerts = [_alert(alert, now) for alert in ALERTS if alert[2] == item.article_id]
        await store.record_article(
            _article(item, now), DedupDecision(verdict, item.story_id), alerts
        )
    for alert_id, judged, by, note, minutes_ago in VERDICTS:
        moment = now - timedelta(minutes=minutes_ago)
        await store.record_feedback(Feedback(alert_id, judged, by, moment, note))


Alert = tuple[str, str, str, str, tuple[str, ...], str, int]


def _alert(alert: Alert, now: datetime) -> AlertRecord:
    alert_id, story_id, article_id, rule, terms, event, minutes_ago = alert
    return AlertRecord(
        alert_id=alert_id, story_id=story_id, article_id=article_id, rule=rule,
        severity=Severity.HIGH, terms=terms, notifiers=("hook",), event=event,
        created_at=now - timedelta(minutes=minutes_ago),
    )  # fmt: skip


@contextlib.asynccontextmanager
async def story_world(
    tmp_path: Path, clock: WorldClock | None = None
) -> AsyncIterator[StatusWorld]:
    """The daemon's store with the stories above, its status site served; the daemon's
    time is ``clock`` (a still one unless given)."""
    config_path = tmp_path / "ww.toml"
    config_path.write_text(CONFIG.format(db=tmp_path / "ww.db"))
    daemon = await Daemon.build(load_config(config_path), clock=clock or WorldClock())
    try:
        await add_stories(daemon, [*ARTICLES, HOSTILE_ARTICLE])
        listener = HttpListener()
        install_status_page(listener, daemon.status_source)
        await listener.start()
        try:
            yield StatusWorld(daemon, listener)
        finally:
            await listener.stop()
    finally:
        await daemon.close()
