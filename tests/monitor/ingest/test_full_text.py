"""The article, not the teaser, end to end: a real daemon run (``wirewatch run --once``)
polls a loopback site whose feed carries one-sentence standfirsts, fetches the article
pages (navigation, cookie banner, related links and comments around the story), and a
rule needing a name found only in a page alerts through a real webhook receiver."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from monitor.cli.main import main
from tests.support.articles import RESERVOIR, article_page
from tests.support.configs import quiet_daemon
from tests.support.feedserver import FeedServer, Reply, Route
from tests.support.pages import held, html_route
from tests.support.receiver import HttpReceiver

# The page names the minister; the feed's standfirst does not.
PAGE = RESERVOIR
OTHER_PAGE = (
    "The city's tram network will run a reduced timetable during the week of the"
    " marathon, when three of its lines cross the route of the runners near the port.",
    "Extra buses will serve the northern suburbs, and the operator says tickets bought"
    " for the tram will be accepted on them without any additional charge.",
    "Shops along the route were told to expect deliveries before dawn on race day,"
    " since lorries will not be allowed into the centre after six in the morning.",
)


def _item(base: str, slug: str, title: str, standfirst: str, guid: str = "") -> str:
    return (
        f"<item><title>{title}</title><guid>{guid or slug}</guid>"
        f"<link>{base}/news/{slug}</link>"
        f"<description>{standfirst}</description></item>"
    )


DAM = ("dam", "Reservoir works halted", "Cranes left the dam site for another project.")
TRAM = ("tram", "Trams cut for the marathon", "Three lines will run less often next week.")


def _feed(server: FeedServer, items: Sequence[tuple[str, ...]]) -> bytes:
    base = server.url("").rstrip("/")
    body = "".join(_item(base, *item) for item in items)
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>City Desk</title>'
        f"<link>{base}/</link><description>d</description>{body}</channel></rss>"
    ).encode()


def _config(
    tmp_path: Path,
    server: FeedServer,
    receiver: HttpReceiver,
    full_text: str,
    workers: int = 0,
    timeout: float = 5.0,
) -> list[str]:
    path = tmp_path / "ww.toml"
    path.write_text(f"""
{quiet_daemon(tmp_path / "ww.db", workers)}
[[feeds]]
name = "City Desk"
url = "{server.url("/feed.xml")}"
full_text = "{full_text}"
full_text_timeout = {timeout}
[notifiers.hook]
type = "webhook"
url = "{receiver.url("/hook")}"
[entities.minister]
entries = ["Ilona Marsh"]
[keywords.reservoir]
terms = ["dam"]
[[rules]]
name = "minister"
all_of = ["minister"]
[[rules]]
name = "reservoir"
all_of = ["reservoir"]
""")
    return ["run", "--once", "--config", str(path)]


def _page(paragraphs: Sequence[str], title: str) -> Route:
    return html_route(article_page(paragraphs, title=title).encode())


@pytest.fixture(name="site")
def _site() -> Iterator[tuple[FeedServer, HttpReceiver]]:
    with FeedServer() as server, HttpReceiver() as receiver:
        server.add_route("/news/dam", _page(PAGE, DAM[1]))
        server.add_route("/news/tram", _page(OTHER_PAGE, TRAM[1]))
        yield server, receiver


def _alerts(receiver: HttpReceiver) -> list[tuple[str, str]]:
    return sorted((r.json()["rule"], r.json()["title"]) for r in receiver.requests)


def _db_stats(config: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["db", "stats", "--config", config[-1], "--json"]) == 0
    record: dict[str, object] = json.loads(capsys.readouterr().out)
    return record


def _stored_titles(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "ww.db") as db:
        return sorted(row[0] for row in db.execute("SELECT title FROM articles"))


PDF = Reply(200, {"Content-Type": "application/pdf"}, b"%PDF-1.7 not an article page")


@pytest.mark.parametrize(
    ("full_text", "page", "workers", "alerts", "bodies"),
    [
        pytest.param("auto", None, 0, [("minister", DAM[1]), ("reservoir", DAM[1])], 2,
                     id="teaser-page-read"),
        pytest.param("always", None, 1, [("minister", DAM[1]), ("reservoir", DAM[1])], 2,
                     id="page-read-in-parse-workers"),
        pytest.param("never", None, 0, [("reservoir", DAM[1])], 0, id="never-fetched"),
        pytest.param("auto", Reply(404, {}, b"gone"), 0, [("reservoir", DAM[1])], 1,
                     id="page-404-feed-text-alone"),
        pytest.param("auto", PDF, 0, [("reservoir", DAM[1])], 1, id="page-pdf-feed-text-alone"),
    ],
)  # fmt: skip
def test_a_rule_needing_the_page_alerts_once_per_story(
    site: tuple[FeedServer, HttpReceiver],
    tmp_path: Path,
    full_text: str,
    page: Reply | None,
    workers: int,
    alerts: list[tuple[str, str]],
    bodies: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server, receiver = site
    if page is not None:
        server.add_route("/news/dam", lambda _request: page)
    server.add_feed("/feed.xml", _feed(server, [DAM, TRAM]))
    config = _config(tmp_path, server, receiver, full_text, workers)
    assert main(config) == 0
    assert _alerts(receiver) == alerts
    assert _stored_titles(tmp_path) == sorted([DAM[1], TRAM[1]])  # nothing lost
    fetched = 0 if full_text == "never" else 1
    assert len(server.requests_to("/news/dam")) == fetched
    stats = _db_stats(config, capsys)
    assert stats["article_bodies"] == bodies  # the pages read, kept with their articles
    assert bool(stats["article_body_bytes"]) is bool(bodies)


def test_a_redelivered_entry_is_not_fetched_again(
    site: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    server, receiver = site
    server.add_feed("/feed.xml", _feed(server, [DAM]))
    assert main(_config(tmp_path, server, receiver, "auto")) == 0
    # DAM again, under a new GUID: known by its link, as exact dedup finds it.
    server.add_feed("/feed.xml", _feed(server, [TRAM, (*DAM, "dam-revised")]))
    assert main(_config(tmp_path, server, receiver, "auto")) == 0
    assert len(server.requests_to("/news/dam")) == 1
    assert len(server.requests_to("/news/tram")) == 1
    assert _alerts(receiver) == [("minister", DAM[1]), ("reservoir", DAM[1])]


def test_a_late_page_leaves_the_entry_matched_on_the_feed_text(
    site: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    """The page never comes (it is held until the server closes): the entry does not
    wait past full_text_timeout, and the run ends with the fetch still in flight, its
    follow-up ended with the daemon (what a late page adds: test_late_pages.py)."""
    server, receiver = site
    server.add_route("/news/dam", held(server.release))
    server.add_feed("/feed.xml", _feed(server, [DAM]))
    assert main(_config(tmp_path, server, receiver, "auto", timeout=0.05)) == 0
    assert _alerts(receiver) == [("reservoir", DAM[1])]
    assert _stored_titles(tmp_path) == [DAM[1]]


def test_an_alert_on_a_name_in_the_page_quotes_the_page(
    site: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    """The minister is named in the page alone: the webhook's excerpt quotes the page
    around the name, marked; the rule matching the standfirst too quotes the page."""
    server, receiver = site
    server.add_feed("/feed.xml", _feed(server, [DAM]))
    assert main(_config(tmp_path, server, receiver, "auto")) == 0
    excerpts = {r.json()["rule"]: r.json()["excerpt"] for r in receiver.requests}
    assert sorted(excerpts) == ["minister", "reservoir"]
    minister = excerpts["minister"]
    assert [minister["text"][start:end] for start, end in minister["marks"]] == ["Ilona Marsh"]
    assert "Water minister Ilona Marsh visited the site" in minister["text"]
    reservoir = excerpts["reservoir"]
    assert "the concrete of the new dam half poured" in reservoir["text"]
    assert [reservoir["text"][start:end] for start, end in reservoir["marks"]] == ["dam"]


def _feed_record(config: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["feeds", "--config", config[-1], "--json"]) == 0
    record: dict[str, object] = json.loads(capsys.readouterr().out)
    return record


def test_feeds_shows_how_often_the_pages_were_read_since_the_feed_was_added(
    site: tuple[FeedServer, HttpReceiver], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One page read, one 404 in the first run; the second run (a new process, counts
    read back from the store) reads one more page and adds it to the first run's."""
    server, receiver = site
    server.add_route("/news/dam", lambda _request: Reply(404, {}, b"gone"))
    server.add_feed("/feed.xml", _feed(server, [DAM, TRAM]))
    config = _config(tmp_path, server, receiver, "auto")
    assert main(config) == 0
    pages = ("pages_tried", "pages_read", "page_last_issue")
    first = _feed_record(config, capsys)
    assert [first[key] for key in pages] == [2, 1, "http_status"]
    server.add_route("/news/pier", _page(OTHER_PAGE, "Pier reopens"))
    pier = ("pier", "Pier reopens", "The pier is open again after repairs.")
    server.add_feed("/feed.xml", _feed(server, [pier, DAM, TRAM]))
    assert main(config) == 0
    second = _feed_record(config, capsys)
    assert [second[key] for key in pages] == [3, 2, "http_status"]  # the last failure kept
    assert main(["feeds", "--config", config[-1]]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert row[header.index("full text") :].startswith("2/3 ")
