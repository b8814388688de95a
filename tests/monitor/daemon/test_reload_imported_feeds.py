"""The OPML flow as a user runs it: a daemon is running, ``wirewatch feeds import`` adds a
reader's feeds to an include file, and a reload polls them (their folder a tag a rule
listens to) without a restart. Real feed server, real webhook receiver, real SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from monitor.cli.main import main
from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from tests.support.daemon_process import HANG_GUARD
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Sahel Desk</title>
<item><title>Convoy ambushed near Gao</title><guid>g-1</guid>
<link>https://news.example/g-1</link></item></channel></rss>"""
CONFIG = """include = ["feeds.d/*.toml"]
[daemon]
jitter = 0
host_spacing = 0
parse_workers = 0
[listener]
enabled = false
[store]
path = "{db}"
[notifiers.hook]
type = "webhook"
url = "{hook}"
[[rules]]
name = "sahel"
feed_tags = ["Sahel"]
any_of = [{{ terms = ["ambush*"] }}]
"""
OPML = """<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><body>
<outline text="Sahel"><outline type="rss" text="Sahel Desk" xmlUrl="{url}"/></outline>
</body></opml>"""


@pytest.fixture(name="daemon")
async def _daemon(tmp_path: Path) -> AsyncIterator[tuple[Daemon, Path, FeedServer, HttpReceiver]]:
    with FeedServer() as feeds, HttpReceiver() as hook:
        feeds.add_feed("/sahel.xml", RSS)
        config = tmp_path / "ww.toml"
        config.write_text(CONFIG.format(db=tmp_path / "ww.db", hook=hook.url("/hook")))
        daemon = await Daemon.build(load_config(config))
        stop = asyncio.Event()
        task = asyncio.create_task(daemon.run_forever(stop))
        try:
            yield daemon, config, feeds, hook
        finally:
            stop.set()
            await task
            await daemon.close()


async def test_imported_feeds_are_polled_after_a_reload(
    daemon: tuple[Daemon, Path, FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    running, config, feeds, hook = daemon
    opml = tmp_path / "reader.opml"
    opml.write_text(OPML.format(url=feeds.url("/sahel.xml")))
    argv = ["feeds", "import", "--config", str(config), str(opml)]
    assert await asyncio.to_thread(main, argv) == 0
    result = await running.reloader.reload()
    assert result.ok, result.errors
    assert result.changes is not None
    assert result.changes.feeds_added == (feeds.url("/sahel.xml"),)
    (request,) = await asyncio.to_thread(hook.wait_for, 1, HANG_GUARD)
    assert (request.json()["rule"], request.json()["title"]) == (
        "sahel",
        "Convoy ambushed near Gao",
    )
