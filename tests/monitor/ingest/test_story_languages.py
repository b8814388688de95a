"""Story grouping in Arabic, end to end: a real daemon run (``wirewatch run --once``) polls
two Arabic outlets' feeds on a loopback site into a SQLite store; their reports of one
event, worded with other proclitics, spellings and digits, are one story and one alert,
and the first outlet's report of a blast in another city is another."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from monitor.cli.main import main
from tests.support.configs import quiet_daemon, webhook_hook
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver

# (guid, headline): fixtures written for this test.
DAMASCUS_A = ("blast-damascus", "مقتل ١٢ شخصا في انفجار سيارة مفخخة بدمشق")
DAMASCUS_B = ("car-bomb", "مقتل 12 شخصا جراء انفجار سيارة مفخخة في دمشق")
ALEPPO = ("blast-aleppo", "مقتل ١٢ شخصا في انفجار سيارة مفخخة بحلب")
OUTLETS = {"sham": (DAMASCUS_A, ALEPPO), "akhbar": (DAMASCUS_B,)}


def _feed(server: FeedServer, outlet: str, items: Sequence[tuple[str, str]]) -> bytes:
    base = server.url(f"/{outlet}").rstrip("/")
    entries = "".join(
        f"<item><title>{title}</title><guid>{guid}</guid><link>{base}/{guid}</link></item>"
        for guid, title in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>أخبار</title>'
        f"<link>{base}/</link><description>d</description>{entries}</channel></rss>"
    ).encode()


def _config(tmp_path: Path, server: FeedServer, receiver: HttpReceiver) -> list[str]:
    feeds = "".join(
        f'[[feeds]]\nname = "{outlet}"\nurl = "{server.url(f"/{outlet}.xml")}"\n'
        f'language = "ar"\nfull_text = "never"\n'
        for outlet in OUTLETS
    )
    path = tmp_path / "ww.toml"
    path.write_text(
        f"""
{quiet_daemon(tmp_path / "ww.db")}
{feeds}
{webhook_hook(receiver.url("/hook"))}[keywords.blasts]
terms = ["انفجار"]
[[rules]]
name = "blasts"
any_of = ["blasts"]
""",
        encoding="utf-8",
    )
    return ["run", "--once", "--config", str(path)]


def _stories(database: Path) -> list[list[str]]:
    """The stored articles' GUIDs, grouped by story."""
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT story_id, guid FROM articles ORDER BY guid").fetchall()
    grouped: dict[str, list[str]] = {}
    for story_id, guid in rows:
        grouped.setdefault(story_id, []).append(guid)
    return sorted(grouped.values())


@pytest.fixture(name="site")
def _site() -> Iterator[tuple[FeedServer, HttpReceiver]]:
    with FeedServer() as server, HttpReceiver() as receiver:
        yield server, receiver


def test_two_arabic_outlets_reports_of_one_event_are_one_story_and_one_alert(
    site: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    server, receiver = site
    for outlet, items in OUTLETS.items():
        server.add_feed(f"/{outlet}.xml", _feed(server, outlet, items))
    assert main(_config(tmp_path, server, receiver)) == 0
    assert _stories(tmp_path / "ww.db") == sorted(
        [sorted([DAMASCUS_A[0], DAMASCUS_B[0]]), [ALEPPO[0]]]
    )
    new = sorted(r.json()["title"] for r in receiver.requests if r.json()["event"] == "new")
    assert len(new) == 2  # one alert per story
    assert ALEPPO[1] in new
