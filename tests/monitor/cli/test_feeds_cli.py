"""``wirewatch feeds``: health of every configured feed after a real ``run --once``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.api import feed_record
from monitor.cli.feeds import render_table
from monitor.cli.main import main
from monitor.config.feeds import FeedSettings
from monitor.records import FeedState
from tests.support.feedserver import FeedServer

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Up</title>
<item><title>One</title><guid>1</guid></item></channel></rss>"""


@pytest.fixture
def config_path(tmp_path: Path) -> Iterator[Path]:
    with FeedServer() as server:
        server.add_feed("/up.xml", RSS)
        server.add_status("/down.xml", 500)
        server.add_status("/gone.xml", 410)
        feeds = [
            ("Up", server.url("/up.xml"), ""),
            ("Down", server.url("/down.xml"), ""),
            ("Gone", server.url("/gone.xml"), ""),
            ("Off", server.url("/off.xml"), "enabled = false\n"),
        ]
        tables = "".join(
            f'\n[[feeds]]\nname = "{name}"\nurl = "{url}"\n{extra}' for name, url, extra in feeds
        )
        path = tmp_path / "wirewatch.toml"
        path.write_text(
            "[daemon]\nhost_spacing = 0\nparse_workers = 0\njitter = 0\n"
            f'[store]\npath = "{tmp_path / "ww.db"}"\n{tables}',
            encoding="utf-8",
        )
        yield path


def test_feeds_json_reports_each_feed_after_run_once(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--once", "--config", str(config_path)]) == 0
    capsys.readouterr()
    assert main(["feeds", "--config", str(config_path), "--json"]) == 0
    records = {r["feed"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert {name: r["status"] for name, r in records.items()} == {
        "Up": "ok",
        "Down": "failing",
        "Gone": "gone",
        "Off": "disabled",
    }
    up, down = records["Up"], records["Down"]
    assert (up["http_status"], up["consecutive_failures"], up["interval_seconds"]) == (200, 0, 300)
    assert up["last_success"] == up["last_attempt"] is not None
    assert (down["http_status"], down["consecutive_failures"]) == (500, 1)
    assert down["last_error"].startswith("http_status: HTTP 500")
    assert down["next_poll"] is not None and down["last_success"] is None


def test_feeds_table_before_any_poll(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feeds", "--config", str(config_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["feed", "status", "last"]
    assert [line.split()[1:3] for line in lines[1:4]] == [["never", "polled"]] * 3
    assert lines[4].split()[1] == "disabled"


def test_feeds_with_an_invalid_config_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[daemon]\nhost_concurrency = 0\n", encoding="utf-8")
    assert main(["feeds", "--config", str(path)]) == 1


def test_feeds_never_shows_credentials_of_an_unnamed_feed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        f'[store]\npath = "{tmp_path / "ww.db"}"\n'
        '[[feeds]]\nurl = "https://reader:s3cret@feeds.example/world.xml"\n',
        encoding="utf-8",
    )
    assert main(["feeds", "--config", str(path), "--json"]) == 0
    output = capsys.readouterr().out
    assert "s3cret" not in output
    assert json.loads(output)["feed"] == "https://feeds.example/world.xml"


@pytest.mark.parametrize("slow", [False, True])
def test_the_json_record_says_whether_the_last_fetch_was_slow(slow: bool) -> None:
    feed = FeedSettings(url="http://127.0.0.1:9/feed.xml", name="Slow")
    assert feed_record(feed, FeedState(url=feed.url, slow=slow))["slow"] is slow


@pytest.mark.parametrize(
    ("tried", "read", "shown"),
    [(0, 0, "—"), (15, 12, "12/15"), (4, 0, "0/4")],
)
def test_the_table_shows_how_often_full_text_worked(tried: int, read: int, shown: str) -> None:
    feed = FeedSettings(url="http://127.0.0.1:9/feed.xml", name="Desk")
    state = FeedState(url=feed.url, pages_tried=tried, pages_read=read)
    header, row = render_table([feed_record(feed, state)]).splitlines()
    assert row[header.index("full text") :].split()[0] == shown
