"""WebSub in a built daemon: callbacks on its listener, and what its push callback counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from monitor.surges import SurgeDetector
from tests.support.feedserver import FeedServer
from tests.support.metrics_scrape import parse
from tests.support.processes import HANG_GUARD
from tests.support.pushing import pushing
from tests.support.websub_hub import PUSHED, TOPIC, Hub


async def test_daemon_serves_callbacks_when_websub_is_on(tmp_path: Path) -> None:
    """[listener] websub = true: callbacks on the daemon's listener, polls discover hubs."""
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        f'[daemon]\nparse_workers = 0\n[store]\npath = "{tmp_path / "ww.db"}"\n'
        "[listener]\nwebsub = true\nport = 0\n"
        '[[feeds]]\nurl = "http://127.0.0.1:9/feed.xml"\n',
        encoding="utf-8",
    )
    daemon = await Daemon.build(load_config(path))
    try:
        async with pushing(daemon) as websub, httpx.AsyncClient() as http:
            answer = await http.get(daemon.listener.url + "/websub/unknown")
            assert answer.status_code == 404
            assert daemon.pipeline is not None
            assert daemon.pipeline.on_hub == websub.discovered
            assert websub.public_url == daemon.listener.url
    finally:
        await daemon.close()


async def test_a_daemons_push_whose_surge_count_raises_counts_as_an_error_poll(
    tmp_path: Path, servers: tuple[FeedServer, FeedServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon's own push callback counts the push as ``outcome="error"`` in
    ``wirewatch_polls_total`` and its alert in ``wirewatch_alerts_created_total``."""
    hub_server, feed_server = servers
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        f'[daemon]\nparse_workers = 0\n[store]\npath = "{tmp_path / "ww.db"}"\n'
        "[listener]\nwebsub = true\nport = 0\n[surge]\n[dedup]\nsemantic = false\n"
        f'[[feeds]]\nurl = "{feed_server.url("/feed.atom")}"\n'
        '[[rules]]\nname = "ferry"\nany_of = [{ terms = ["ferry"] }]\n',
        encoding="utf-8",
    )
    daemon = await Daemon.build(load_config(path))
    monkeypatch.setattr(SurgeDetector, "count", _failing_count)
    try:
        async with pushing(daemon) as websub, httpx.AsyncClient(timeout=HANG_GUARD) as http:
            hub = Hub(hub_server, http)
            await websub.subscribe(daemon.config.feeds[0], hub.url, TOPIC)
            form = hub.requests()[-1]
            assert (await hub.verify(form)).status_code == 200
            assert (await hub.publish(form, PUSHED)).status_code == 202
            scraped = parse(daemon.metrics.render().decode())
    finally:
        await daemon.close()
    assert scraped.value("wirewatch_polls_total", outcome="error") == 1
    assert scraped.value("wirewatch_alerts_created_total", event="new") == 1


def _failing_count(*_args: Any, **_kwargs: Any) -> None:
    raise RuntimeError("a detector fault")
