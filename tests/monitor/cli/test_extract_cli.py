"""``wirewatch extract``: HTML files and pages served on loopback through the daemon's
extraction, printed as text or JSON lines; unreadable sources reported, the rest printed."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import DaemonSettings
from monitor.feeds import daemon_user_agent
from tests.support.articles import ENGLISH, PERSIAN, RUSSIAN, article_page
from tests.support.feedserver import FeedServer

PAGE = article_page(
    ENGLISH, head='<meta property="article:published_time" content="2026-03-03T09:15:00Z">'
)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        running.add_feed("/pier", PAGE.encode(), content_type="text/html; charset=utf-8")
        running.add_feed(
            "/ru",
            article_page(RUSSIAN, lang="ru").replace('charset="utf-8"', "").encode("koi8-r"),
            content_type="text/html; charset=koi8-r",
        )
        running.add_redirect("/short/1", "/pier")
        running.add_status("/gone", 404)
        running.add_feed("/photo.png", b"\x89PNG\r\n\x1a\n\x00\x00", content_type="image/png")
        yield running


@pytest.fixture(autouse=True)
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No config file: the command runs on the daemon's defaults."""
    monkeypatch.setenv("WIREWATCH_CONFIG", str(tmp_path / "absent.toml"))


def _records(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


@pytest.mark.parametrize(
    ("path", "body_start", "language"),
    [("/pier", ENGLISH[0], "en"), ("/short/1", ENGLISH[0], "en"), ("/ru", RUSSIAN[0], "ru")],
    ids=["page", "through-a-redirect", "koi8-r-declared-by-the-server"],
)
def test_a_served_page_as_json(
    server: FeedServer,
    capsys: pytest.CaptureFixture[str],
    path: str,
    body_start: str,
    language: str,
) -> None:
    assert main(["extract", "--json", server.url(path)]) == 0
    [record] = _records(capsys.readouterr().out)
    assert record["source"] == server.url(path)
    assert record["url"] == server.url("/ru" if path == "/ru" else "/pier")
    assert str(record["text"]).startswith(body_start)
    assert record["language"] == language
    assert record["reason"] is None
    assert {"title", "published", "author", "canonical_url", "lead"} <= record.keys()


def test_the_request_says_who_we_are(server: FeedServer) -> None:
    assert main(["extract", "--json", server.url("/pier")]) == 0
    assert server.requests_to("/pier")[0].headers["user-agent"] == daemon_user_agent(
        DaemonSettings()
    )


def test_a_file_as_readable_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(PAGE.encode())
    assert main(["extract", str(path)]) == 0
    out = capsys.readouterr().out
    head, body = out.split("\n\n", 1)
    assert head.splitlines()[:2] == [f"== {path}", "title: Pier closed after cracks found"]
    assert "published: 2026-03-03T09:15:00+00:00" in head.splitlines()
    assert body.strip() == "\n\n".join(ENGLISH)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("/gone", "http_status 404"),
        ("/photo.png", "not_html (image/png)"),
        ("missing.html", "cannot read"),
        ("binary.html", "not_html"),
    ],
    ids=["http-error", "image", "missing-file", "binary-file"],
)
def test_an_unreadable_source_fails_after_the_others_are_printed(
    server: FeedServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    bad: str,
    message: str,
) -> None:
    (tmp_path / "binary.html").write_bytes(bytes(range(256)) * 4)
    source = server.url(bad) if bad.startswith("/") else str(tmp_path / bad)
    good = tmp_path / "fa.html"
    good.write_bytes(article_page(PERSIAN, lang="fa").encode())
    assert main(["extract", "--json", source, str(good)]) == 1
    captured = capsys.readouterr()
    [record] = _records(captured.out)
    assert str(record["text"]).startswith(PERSIAN[0])
    assert captured.err.startswith(f"error: {source}: {message}")


def test_a_selector_is_used_and_its_miss_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(PAGE.encode())
    assert main(["extract", "--json", "--selector", ".comments", str(path)]) == 0
    assert _records(capsys.readouterr().out)[0]["method"] == "selector"
    assert main(["extract", "--selector", ".no-such-class", str(path)]) == 0
    assert "selector: matched nothing; trafilatura used" in capsys.readouterr().out


def test_an_invalid_selector_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["extract", "--selector", "p[", str(tmp_path / "x.html")]) == 2
    assert "invalid CSS selector" in capsys.readouterr().err


DOCS = Path(__file__).resolve().parents[3] / "docs" / "pages.md"
DOCS_HOME = "file:///home/desk"  # where the docs' reader keeps ferry.html


def _worked_example() -> tuple[str, list[tuple[str, str]]]:
    """docs/pages.md's content_selector example: its page, and each command it shows with
    the output it says the command prints."""
    section = DOCS.read_text(encoding="utf-8").split("### A worked example", 1)[1]
    page = re.search(r"```html\n(.*?)```", section, re.DOTALL)
    assert page is not None
    sessions = re.findall(r"```console\n\$ (.*?)\n(.*?)```", section, re.DOTALL)
    return page.group(1), sessions


def test_the_docs_worked_selector_example_prints_what_the_docs_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page, sessions = _worked_example()
    (tmp_path / "ferry.html").write_text(page, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the commands name the page as the reader saved it
    assert len(sessions) == 3
    for command, shown in sessions:
        assert main(shlex.split(command)[1:]) == 0, command
        out = capsys.readouterr().out.replace(tmp_path.as_uri(), DOCS_HOME)
        assert out.rstrip("\n") == shown.rstrip("\n"), command
