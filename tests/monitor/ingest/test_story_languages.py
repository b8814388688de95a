"""Story grouping in other languages, end to end: a real daemon run (``wirewatch run
--once``) polls two outlets' feeds on a loopback site into a SQLite store. Two Arabic
outlets' reports of one event, worded with other proclitics, spellings and digits, are one
story and one alert, and the first outlet's report of a blast in another city is another.
Two outlets writing in French, Spanish, German and Turkish, their feeds saying no language,
have each report identified before it is grouped: reports worded with other inflections
fold, and a look-alike event in another place does not."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from monitor.cli.main import main
from tests.support.configs import quiet_daemon, webhook_hook
from tests.support.feedserver import FeedServer
from tests.support.latin_reports import LATIN_EVENTS
from tests.support.receiver import HttpReceiver

# (guid, headline): fixtures written for this test.
DAMASCUS_A = ("blast-damascus", "مقتل ١٢ شخصا في انفجار سيارة مفخخة بدمشق")
DAMASCUS_B = ("car-bomb", "مقتل 12 شخصا جراء انفجار سيارة مفخخة في دمشق")
ALEPPO = ("blast-aleppo", "مقتل ١٢ شخصا في انفجار سيارة مفخخة بحلب")
OUTLETS = {"sham": (DAMASCUS_A, ALEPPO), "akhbar": (DAMASCUS_B,)}
# Each outlet's feed mixes the languages: only identification can tell them.
LATIN_OUTLETS = {
    "premier": tuple(
        (f"{event.language}-{kind}", title)
        for event in LATIN_EVENTS
        for kind, title in (("report", event.report), ("elsewhere", event.other_place))
    ),
    "second": tuple((f"{event.language}-reworded", event.reworded) for event in LATIN_EVENTS),
}
Outlets = dict[str, tuple[tuple[str, str], ...]]


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


def _config(
    tmp_path: Path, site: tuple[FeedServer, HttpReceiver], outlets: Outlets, language: str
) -> list[str]:
    """Each outlet's feed served, and a config polling them (``language`` as the feeds'
    setting, "" for none)."""
    server, receiver = site
    for outlet, items in outlets.items():
        server.add_feed(f"/{outlet}.xml", _feed(server, outlet, items))
    setting = f'language = "{language}"\n' if language else ""
    feeds = "".join(
        f'[[feeds]]\nname = "{outlet}"\nurl = "{server.url(f"/{outlet}.xml")}"\n'
        f'{setting}full_text = "never"\n'
        for outlet in outlets
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
    assert main(_config(tmp_path, site, OUTLETS, "ar")) == 0
    assert _stories(tmp_path / "ww.db") == sorted(
        [sorted([DAMASCUS_A[0], DAMASCUS_B[0]]), [ALEPPO[0]]]
    )
    receiver = site[1]
    new = sorted(r.json()["title"] for r in receiver.requests if r.json()["event"] == "new")
    assert len(new) == 2  # one alert per story
    assert ALEPPO[1] in new


def test_reports_in_latin_script_languages_are_identified_then_grouped(
    site: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    assert main(_config(tmp_path, site, LATIN_OUTLETS, "")) == 0
    expected = [
        group
        for event in LATIN_EVENTS
        for group in (
            sorted([f"{event.language}-report", f"{event.language}-reworded"]),
            [f"{event.language}-elsewhere"],
        )
    ]
    assert _stories(tmp_path / "ww.db") == sorted(expected)
    with sqlite3.connect(tmp_path / "ww.db") as db:
        languages = dict(db.execute("SELECT guid, language FROM articles").fetchall())
    assert languages == {guid: guid.split("-")[0] for guid in languages}
