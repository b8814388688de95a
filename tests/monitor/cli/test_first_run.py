"""An operator's first hour: the example config run from a clone, a store directory that
is missing, and what ``run --once`` tells cron. Feeds are served on loopback only."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cli.main import main
from monitor.daemon import NO_FEED_POLLED
from tests.support.configs import one_feed_config
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver, Response

ROOT = Path(__file__).resolve().parents[3]
ITEM = "Iranian troops arrive via Latakia airport to back army offensive near Homs"
FEED = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<link>https://wire.example/</link><description>d</description>
<item><title>{ITEM}</title><guid>w-1</guid><link>https://wire.example/1</link></item>
</channel></rss>""".encode()


@pytest.fixture(name="clean_env")
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No WIREWATCH_* variable of the machine running the tests leaks in."""
    for name in [name for name in os.environ if name.startswith("WIREWATCH_")]:
        monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture(name="server")
def _server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.add_feed("/wire.xml", FEED, etag='"v1"')
        server.add_status("/down.xml", 503)
        server.add_status("/missing.xml", 404)
        yield server


def test_the_example_config_checks_and_runs_once_from_a_clone(
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
    server: FeedServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``cp config.example.toml wirewatch.toml``, then ``check`` and ``run --once`` as the
    README says. Only the feeds change, through the environment (the example's are real
    news sites): the file is the example as shipped."""
    shutil.copy(ROOT / "config.example.toml", tmp_path / "wirewatch.toml")
    clean_env.chdir(tmp_path)
    loopback = [{"name": "Loopback Wire", "url": server.url("/wire.xml")}]
    clean_env.setenv("WIREWATCH_FEEDS", json.dumps(loopback))
    assert main(["check", "--config", "wirewatch.toml"]) == 0, capsys.readouterr().err
    assert "OK" in capsys.readouterr().out
    assert main(["run", "--once", "--config", "wirewatch.toml"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert (tmp_path / "wirewatch.db").is_file()
    assert ITEM in out  # the console notifier's alert
    assert out.splitlines()[-1].startswith("polled 1 feed: 1 ok, 0 not modified, 0 failed;")
    assert [request.path for request in server.requests] == ["/wire.xml"]


# Parsing in a thread, no politeness delay, no embedding model: these runs are about the
# store path and the summary, not about parse workers or grouping by meaning. Last in the
# file, so that ``[store] path`` stays on line 2 (the config errors name the line).
QUICK = "[daemon]\nhost_spacing = 0\nparse_workers = 0\n\n[dedup]\nsemantic = false\n"


def _config(folder: Path, store: str, feed_url: str) -> Path:
    path = folder / "ww.toml"
    path.write_text(
        f'[store]\npath = "{store}"\n\n[[feeds]]\nurl = "{feed_url}"\n\n'
        '[notifiers.out]\ntype = "console"\n\n[entities.iran]\nentries = ["Iran"]\n\n'
        '[[rules]]\nname = "iran"\nall_of = ["iran"]\n\n' + QUICK,
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("command", [["check"], ["run", "--once"]])
@pytest.mark.parametrize(
    ("store", "from_env", "fragments"),
    [
        ("absent/ww.db", False, ["directory absent", "does not exist", "mkdir -p absent"]),
        ("blocker/ww.db", False, ["blocker", "is not a directory"]),
        ("gone/ww.db", True, ["directory", "gone does not exist", "set [store] path"]),
    ],
    ids=["missing directory", "a file in the way", "set from the environment"],
)
def test_an_unusable_store_directory_is_a_config_error_of_check_and_run(
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
    server: FeedServer,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    store: str,
    from_env: bool,
    fragments: list[str],
) -> None:
    clean_env.chdir(tmp_path)
    (tmp_path / "blocker").write_text("not a directory", encoding="utf-8")
    config = _config(tmp_path, "ww.db" if from_env else store, server.url("/wire.xml"))
    if from_env:
        clean_env.setenv("WIREWATCH_STORE__PATH", str(tmp_path / store))
    assert main([*command, "--config", str(config)]) == 1
    err = capsys.readouterr().err
    where = "environment WIREWATCH_STORE__PATH" if from_env else f"{config}:2"
    (line,) = [line.strip() for line in err.splitlines() if "store.path" in line]
    assert line.startswith(f"{where}: store.path: "), err
    for fragment in fragments:
        assert fragment in line, line
    assert "Traceback" not in err
    assert not (tmp_path / store).parent.is_dir()  # nothing was created
    assert server.requests == []  # `run` stopped before polling


@pytest.mark.parametrize(
    ("paths", "status", "summary"),
    [
        (["/down.xml", "/missing.xml"], NO_FEED_POLLED,
         "polled 2 feeds: 0 ok, 0 not modified, 2 failed; 0 new articles, 0 alerts queued,"
         " 0 sent; not polled: /down.xml, /missing.xml"),
        (["/wire.xml", "/down.xml"], 0,
         "polled 2 feeds: 1 ok, 0 not modified, 1 failed; 1 new article, 1 alert queued,"
         " 1 sent; not polled: /down.xml"),
        (["/wire.xml"], 0,
         "polled 1 feed: 1 ok, 0 not modified, 0 failed; 1 new article, 1 alert queued, 1 sent"),
        ([], 0, "polled 0 feeds: 0 ok, 0 not modified, 0 failed; 0 new articles,"
         " 0 alerts queued, 0 sent"),
    ],
    ids=["every feed failed", "one of two failed", "all polled", "no feeds"],
)  # fmt: skip
def test_run_once_prints_a_summary_and_fails_only_when_no_feed_was_polled(
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
    server: FeedServer,
    capsys: pytest.CaptureFixture[str],
    paths: list[str],
    status: int,
    summary: str,
) -> None:
    feeds = "".join(f'[[feeds]]\nname = "{path}"\nurl = "{server.url(path)}"\n' for path in paths)
    config = tmp_path / "ww.toml"
    config.write_text(
        f'[daemon]\nhost_spacing = 0\nparse_workers = 0\n[store]\npath = "{tmp_path}/ww.db"\n'
        f'{feeds}[notifiers.out]\ntype = "console"\n[entities.iran]\n'
        'entries = [{ name = "Iran", aliases = ["Iranian"] }]\n'
        '[[rules]]\nname = "iran"\nall_of = ["iran"]\n',
        encoding="utf-8",
    )
    assert main(["run", "--once", "--config", str(config)]) == status
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == summary


def test_run_once_counts_a_feed_answering_not_modified_as_polled(
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
    server: FeedServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = _config(tmp_path, str(tmp_path / "ww.db"), server.url("/wire.xml"))
    assert main(["run", "--once", "--config", str(config)]) == 0
    capsys.readouterr()
    assert main(["run", "--once", "--config", str(config)]) == 0
    assert server.requests[-1].headers["if-none-match"] == '"v1"'
    assert capsys.readouterr().out.splitlines()[-1] == (
        "polled 1 feed: 0 ok, 1 not modified, 0 failed; 0 new articles, 0 alerts queued, 0 sent"
    )


def test_run_once_counts_deliveries_that_must_be_retried(
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
    server: FeedServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with HttpReceiver() as receiver:
        receiver.enqueue(Response(503))
        hook = f'[notifiers.hook]\ntype = "webhook"\nurl = "{receiver.url("/hook")}"'
        config = one_feed_config(tmp_path, server.url("/wire.xml"), notifiers=hook)
        assert main(["run", "--once", "--config", str(config)]) == 0
        assert len(receiver.requests) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "polled 1 feed: 1 ok, 0 not modified, 0 failed; 1 new article, 1 alert queued,"
        " 0 sent, 1 retrying"
    )
