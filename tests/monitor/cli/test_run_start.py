"""``wirewatch run``'s start-up (decision 0057): the listener answers ``/healthz`` while
the daemon is still being built, ``/readyz`` says 503 until it is ready, the full
listener takes the socket over; an invalid configuration exits 1 with nothing bound; and
the ``run`` path imports none of the daemon before the bind."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.cli import run as run_command
from monitor.cli.main import main
from monitor.config import load_config
from monitor.daemon import wiring
from monitor.listener import StartingResponder, bind_early
from monitor.store.sqlite.store import SqliteStore
from tests.support.configs import one_feed_config
from tests.support.feedserver import FeedServer
from tests.support.processes import HANG_GUARD

TOKEN = "start-up-token-1"
SERVED_ONCE = f'[listener]\nport = 0\nserve_once = true\ntoken = "{TOKEN}"'
_RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>
<link>https://wire.example/</link><description>d</description>
<item><title>Quiet day</title><guid>q-1</guid><link>https://wire.example/q-1</link></item>
</channel></rss>"""


class _Start:
    """The responder ``run`` bound, and a store whose opening holds the main thread (the
    daemon half built) until the test has probed."""

    def __init__(self) -> None:
        self.responder: StartingResponder | None = None
        self.building, self.release = threading.Event(), threading.Event()
        self.answers: dict[str, httpx.Response] = {}


@pytest.fixture(name="start")
def _start(monkeypatch: pytest.MonkeyPatch) -> _Start:
    start = _Start()

    def spied(*args: Any, **kwargs: Any) -> StartingResponder | None:  # bind_early's own
        start.responder = bind_early(*args, **kwargs)
        return start.responder

    class HeldStore(SqliteStore):
        async def open(self) -> None:
            start.building.set()
            start.release.wait(HANG_GUARD)  # blocks the whole event loop, as imports do
            await super().open()

    monkeypatch.setattr(run_command, "bind_early", spied)
    monkeypatch.setattr(wiring, "open_store", lambda settings: HeldStore(settings.path))
    return start


def _probe(start: _Start) -> None:
    try:
        start.building.wait(HANG_GUARD)
        assert start.responder is not None
        base = f"http://127.0.0.1:{start.responder.port}"
        for route in ("/healthz", "/readyz", "/status", "/api/v1/stories"):
            start.answers[route] = httpx.get(base + route, timeout=HANG_GUARD)
    finally:
        start.release.set()


def test_healthz_answers_while_the_daemon_is_still_being_built(
    tmp_path: Path, start: _Start
) -> None:
    with FeedServer() as feeds:
        feeds.add_feed("/feed.xml", _RSS)
        config = one_feed_config(tmp_path, feeds.url("/feed.xml"), tables=SERVED_ONCE)
        prober = threading.Thread(target=_probe, args=(start,))
        prober.start()
        status = main(["run", "--once", "--config", str(config)])
        prober.join(HANG_GUARD)
        polled = feeds.requests_to("/feed.xml")

    assert (start.answers["/healthz"].status_code, start.answers["/healthz"].text) == (200, "ok\n")
    readyz = start.answers["/readyz"]
    assert readyz.status_code == 503
    assert readyz.json() == {  # no scheduler: --once polls without one
        "checks": {"config": "ok", "stories": "starting", "store": "starting"},
        "status": "not ready",
    }
    assert start.answers["/status"].status_code == 401  # the token is asked for already
    api = start.answers["/api/v1/stories"]  # the API checks its own tokens, once it is up
    assert (api.status_code, api.text, api.headers["retry-after"]) == (503, "starting\n", "1")
    assert status == 0
    assert len(polled) == 1  # the daemon went on to run its round


def test_an_invalid_config_exits_1_before_anything_is_bound(
    tmp_path: Path, start: _Start, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[listener]\nport = "eighty"\n[[feeds]]\nurl = "ftp://x"\n', "utf-8")
    assert main(["run", "--config", str(config)]) == 1
    assert "configuration is invalid" in capsys.readouterr().err
    assert start.responder is None
    assert not start.building.is_set()


def test_run_help_is_the_full_command_lines(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as light:
        main(["run", "--help"])
    light_help = capsys.readouterr().out
    from monitor.cli.commandline import main as full  # noqa: PLC0415

    with pytest.raises(SystemExit) as full_exit:
        full(["run", "--help"])
    assert (light.value.code, full_exit.value.code) == (0, 0)
    assert light_help == capsys.readouterr().out
    assert "--once" in light_help


def test_the_run_path_imports_none_of_the_daemon_before_the_bind() -> None:
    code = (
        "import json, sys; import monitor.cli.main, monitor.cli.run; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('monitor.daemon', "
        "'monitor.store', 'monitor.stories', 'monitor.web', 'uvicorn', 'apscheduler', "
        "'lxml', 'numpy', 'trafilatura', 'feedparser')))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(loaded) == []


async def _full_readyz(config: Path, *, once: bool) -> dict[str, object]:
    """The full listener's ``/readyz`` of a daemon built from ``config`` and started the
    way ``run`` (``once``) or ``run --once`` starts it, stopped before its warm-up."""
    from monitor.daemon.daemon import Daemon  # noqa: PLC0415
    from monitor.web import start_listener  # noqa: PLC0415

    daemon = await Daemon.build(load_config(config), warm=False)
    try:
        if once:
            assert await start_listener(daemon.listener, daemon.config.settings.listener)
        else:
            stopped = asyncio.Event()
            stopped.set()
            await daemon.run_forever(stopped)  # checks added, listener up, no warm-up
        async with httpx.AsyncClient(base_url=daemon.listener.url) as client:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            body: dict[str, object] = (await client.get("/readyz", headers=headers)).json()
            return body
    finally:
        await daemon.close()


@pytest.mark.parametrize(
    ("parse_workers", "once"),
    [(0, False), (2, False), (0, True), (2, True)],
    ids=["thread", "parse pool", "thread, once", "parse pool, once"],
)
async def test_the_early_readyz_has_the_full_listeners_shape(
    tmp_path: Path, parse_workers: int, once: bool
) -> None:
    config = one_feed_config(
        tmp_path, "http://127.0.0.1:9/feed.xml", parse_workers=parse_workers, tables=SERVED_ONCE
    )
    early = run_command.starting_answers(load_config(config).settings, once=once)["/readyz"]
    full = await _full_readyz(config, once=once)
    early_body = json.loads(early.body)
    assert sorted(early_body) == sorted(full)
    assert sorted(early_body["checks"]) == sorted(full["checks"])  # type: ignore[call-overload]
    assert ("parse_workers" in early_body["checks"]) is (parse_workers > 0)


def test_checking_a_config_imports_no_notifier_transport_nor_the_rule_matcher() -> None:
    """The example config's Slack, email and webhook notifiers and its rules are validated
    before the bind; their transports and the rules' compiler load only once used."""
    example = Path(__file__).resolve().parents[3] / "config.example.toml"
    code = (
        "import json, sys; import monitor.cli.run; from monitor.config import load_config; "
        f"config = load_config({str(example)!r}); assert config.ruleset.rules; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', "
        "'aiosmtplib', 'rapidfuzz', 'tomllib') or m in ('rules.matcher', 'rules.examples'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(loaded) == []
