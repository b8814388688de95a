"""The page's canonical address joins exact dedup, end to end: real daemon runs
(``wirewatch run --once``) on a loopback site, alerts through a real webhook receiver.

An entry linking to an address another article's page named canonical is that article:
its page is not fetched, it joins the story (no second alert), and an entry of the same
feed whose page names a stored link as canonical is seen. A canonical address a page has
no business naming (a site root, another site's page, garbage) is ignored. What else the
page tells (time, byline, language) fills what the entry lacks."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.cli.main import main
from monitor.ingest.batch import article_keys
from monitor.records import Article
from tests.support.articles import article_page
from tests.support.configs import quiet_daemon, webhook_hook
from tests.support.feedserver import FeedServer
from tests.support.pages import html_route
from tests.support.receiver import HttpReceiver

PARAGRAPHS = (
    "A crane at the container terminal gave way shortly before dawn on Tuesday, dropping"
    " its boom across two berths and a stack of empty containers.",
    "Port officials said two workers were taken to hospital with minor injuries and that"
    " the terminal would stay closed while inspectors examine the other cranes.",
    "The operator said the crane had passed its annual inspection in the spring and that"
    " it would cooperate fully with the investigation into the collapse.",
)
PUBLISHED = "2026-12-01T06:30:00+00:00"


@pytest.fixture(name="site")
def _site() -> Iterator[tuple[FeedServer, HttpReceiver]]:
    with FeedServer() as server, HttpReceiver() as receiver:
        server.add_feed("/a.xml", _feed(server, []))
        server.add_feed("/b.xml", _feed(server, []))
        yield server, receiver


def _page(server: FeedServer, path: str, canonical: str | None, head: str = "") -> None:
    """An article page at ``path`` naming ``canonical`` (a path on this site, or any
    address), with its publication time."""
    href = server.url(canonical) if canonical and canonical.startswith("/") else canonical
    head += f'<meta property="article:published_time" content="{PUBLISHED}">'
    if canonical is not None:
        head += f'<link rel="canonical" href="{href}">'
    body = article_page(PARAGRAPHS, title="Terminal crane collapse", head=head)
    server.add_route(path, html_route(body.encode()))


def _feed(server: FeedServer, items: Sequence[tuple[str, str, str]]) -> bytes:
    """An RSS feed of (guid, title, link) teasers without dates; a link starting with "/"
    is on this site."""
    entries = "".join(
        f"<item><title>{title}</title><guid>{guid}</guid>"
        f"<link>{server.url(link) if link.startswith('/') else link}</link>"
        "<description>A crane came down at the port.</description></item>"
        for guid, title, link in items
    )
    return _rss(server, entries)


def _rss(server: FeedServer, entries: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>'
        f"<link>{server.url('/')}</link><description>d</description>{entries}</channel></rss>"
    ).encode()


def _config(tmp_path: Path, server: FeedServer, receiver: HttpReceiver) -> list[str]:
    path = tmp_path / "ww.toml"
    path.write_text(f"""
{quiet_daemon(tmp_path / "ww.db")}
[[feeds]]
name = "Harbour Desk"
url = "{server.url("/a.xml")}"
[[feeds]]
name = "Coast Wire"
url = "{server.url("/b.xml")}"
{webhook_hook(receiver.url("/hook"))}[keywords.crane]
terms = ["crane"]
[[rules]]
name = "crane"
all_of = ["crane"]
""")
    return ["run", "--once", "--config", str(path)]


def _alerted(receiver: HttpReceiver) -> list[str]:
    return sorted(request.json()["title"] for request in receiver.requests)


def _stored(tmp_path: Path) -> list[tuple[str, ...]]:
    """(title, link path, page canonical path, language, published) of every article,
    and how many stories they make."""
    with sqlite3.connect(tmp_path / "ww.db") as db:
        rows = db.execute(
            "SELECT title, link, page_canonical, language, coalesce(published, '')"
            " FROM articles ORDER BY title"
        ).fetchall()
    return [tuple(_path(value) for value in row) for row in rows]


def _stories(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "ww.db") as db:
        return int(db.execute("SELECT count(*) FROM stories").fetchone()[0])


def _path(value: str) -> str:
    """A loopback address as its path (the port changes from test to test)."""
    return "/" + value.split("/", 3)[3] if value.startswith("http://127.0.0.1:") else value


def test_an_entry_linking_to_a_known_canonical_is_not_fetched_and_joins_its_story(
    site: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    server, receiver = site
    _page(server, "/a", "/story/1")
    _page(server, "/story/1", "/story/1")
    config = _config(tmp_path, server, receiver)
    server.add_feed("/a.xml", _feed(server, [("a1", "Harbour crane collapses", "/a?utm_source=x")]))
    assert main(config) == 0
    assert _stored(tmp_path) == [("Harbour crane collapses", "/a", "/story/1", "en", PUBLISHED)]
    # Another outlet links to the canonical address under another headline.
    server.add_feed(
        "/b.xml", _feed(server, [("b1", "Port accident: lifting gear fails", "/story/1")])
    )
    assert main(config) == 0
    assert len(server.requests_to("/a")) == 1
    assert server.requests_to("/story/1") == []  # never fetched: the article is known
    assert _stories(tmp_path) == 1
    assert _alerted(receiver) == ["Harbour crane collapses"]  # no second alert


def test_two_feeds_in_one_run_make_one_story(
    site: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    """Both entries arrive in one run, in either order: whichever is ingested second is
    found by the first's keys (stored, or still being written) through the canonical."""
    server, receiver = site
    _page(server, "/a", "/story/1")
    _page(server, "/story/1", None)
    server.add_feed("/a.xml", _feed(server, [("a1", "Harbour crane collapses", "/a?utm_source=x")]))
    server.add_feed(
        "/b.xml", _feed(server, [("b1", "Port accident: lifting gear fails", "/story/1")])
    )
    assert main(_config(tmp_path, server, receiver)) == 0
    assert _stories(tmp_path) == 1
    assert len(_alerted(receiver)) == 1


def test_a_new_entry_whose_page_names_a_stored_link_is_seen(
    site: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    server, receiver = site
    _page(server, "/story/2", None)
    _page(server, "/p?id=2", "/story/2")
    config = _config(tmp_path, server, receiver)
    first = ("e1", "Harbour crane collapses", "/story/2")
    server.add_feed("/a.xml", _feed(server, [first]))
    assert main(config) == 0
    # The same article again, under a new GUID, headline and address.
    server.add_feed(
        "/a.xml", _feed(server, [("e2", "Crane down at the terminal", "/p?id=2"), first])
    )
    assert main(config) == 0
    assert len(server.requests_to("/p?id=2")) == 1  # nothing told it apart before
    assert [row[0] for row in _stored(tmp_path)] == ["Harbour crane collapses"]
    assert _alerted(receiver) == ["Harbour crane collapses"]


def test_a_canonical_the_page_has_no_business_naming_is_ignored(
    site: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    """Two pages name their site's home page, one another site's stored article, one
    garbage: four articles, four stories, four alerts, no canonical kept."""
    server, receiver = site
    victim = "http://victim.example/2026/real-story"
    config = _config(tmp_path, server, receiver)
    server.add_feed("/b.xml", _feed(server, [("v1", "Victim outlet's crane report", victim)]))
    assert main(config) == 0  # its page cannot be fetched: a reserved name
    pages = [("/h1", "/"), ("/h2", "/"), ("/h3", victim), ("/h4", "http://[::1")]
    for path, canonical in pages:
        _page(server, path, canonical)
    titles = ["Crane inquiry opens", "Crane tender announced", "Crane union strikes",
              "Crane museum reopens"]  # fmt: skip
    items = [(path[1:], title, path) for (path, _), title in zip(pages, titles, strict=True)]
    server.add_feed("/a.xml", _feed(server, items))
    assert main(config) == 0
    assert all(len(server.requests_to(path)) == 1 for path, _ in pages)
    assert _stories(tmp_path) == 5
    assert _alerted(receiver) == sorted([*titles, "Victim outlet's crane report"])
    assert {row[2] for row in _stored(tmp_path)} == {""}


def test_a_pages_canonical_is_one_of_its_articles_link_keys() -> None:
    """The batch and the writer know an article by either link, as the store does."""
    article = Article(
        article_id="a1", feed_url="http://desk.test/feed", feed_name="Desk", guid="g1",
        title="t", link="http://desk.test/a", summary="", content="", published=None,
        fetched_at=datetime(2026, 12, 1, tzinfo=UTC), page_canonical="http://desk.test/s/1",
    )  # fmt: skip
    links = sorted(key for key in article_keys(article) if key[0] == "link")
    assert links == [("link", "http://desk.test/a"), ("link", "http://desk.test/s/1")]


def test_the_page_fills_what_the_entry_lacks_and_the_feed_keeps_its_own(
    site: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    """The page's time and byline date and sign an entry that has none; an entry's own
    date and author are kept; the page's language is kept either way."""
    server, receiver = site
    for path in ("/dated", "/undated"):
        _page(server, path, None, head='<meta name="author" content="Page Byline">')
    dated = (
        f"<item><title>Crane inquiry opens</title><guid>d</guid><link>{server.url('/dated')}"
        "</link><pubDate>Tue, 01 Dec 2026 05:00:00 GMT</pubDate><author>Feed Writer</author>"
        "<description>A crane came down.</description></item>"
    )
    undated = (
        f"<item><title>Crane union strikes</title><guid>u</guid><link>{server.url('/undated')}"
        "</link><description>A crane came down.</description></item>"
    )
    server.add_feed("/a.xml", _rss(server, dated + undated))
    assert main(_config(tmp_path, server, receiver)) == 0
    with sqlite3.connect(tmp_path / "ww.db") as db:
        rows = db.execute(
            "SELECT title, published, author, language FROM articles ORDER BY title"
        ).fetchall()
    assert rows == [
        ("Crane inquiry opens", "2026-12-01T05:00:00+00:00", "Feed Writer", "en"),
        ("Crane union strikes", PUBLISHED, "Page Byline", "en"),
    ]
