"""Hostile feeds are each that feed's logged error; the other feeds are still processed."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from tests.support.configs import iran_watch
from tests.support.feedserver import FeedServer, Reply
from tests.support.receiver import HttpReceiver

GOOD = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title>
<link>https://good.example/</link><description>d</description>
<item><title>Iranian troops reach Latakia</title><guid>g-1</guid>
<link>https://good.example/1</link></item></channel></rss>"""

MIB = 1024 * 1024


def billion_laughs() -> bytes:
    """An RSS document whose internal subset expands to gigabytes (about 69 KB on the wire)."""
    entities = ['<!ENTITY lol0 "lololololololololololol">']
    entities += [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    padding = "<!-- " + "x" * 66_000 + " -->"
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{chr(10).join(entities)}\n]>\n'
        f'<rss version="2.0"><channel><title>Laughs</title>{padding}'
        "<item><title>&lol9;</title><guid>b-1</guid></item></channel></rss>"
    ).encode()


def gzip_bomb(decoded_bytes: int) -> bytes:
    """A small gzip body that decodes to ``decoded_bytes`` of spaces."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b" " * MIB
    parts = [packer.compress(chunk) for _ in range(decoded_bytes // MIB)]
    return b"".join(parts) + packer.flush()


def fifty_megabytes() -> Iterator[bytes]:
    block = b"<rss>" + b"a" * (MIB - 5)
    for _ in range(50):
        yield block


HOSTILE = {
    "/laughs.xml": "entity expansion",
    "/huge.xml": "50 MB body",
    "/bomb.xml": "gzip bomb",
    "/loop.xml": "redirect loop",
    "/page.html": "HTML page",
    "/garbage.xml": "undecodable body",
}


@pytest.fixture(name="server")
def _server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.add_feed("/good.xml", GOOD)
        server.add_feed("/laughs.xml", billion_laughs())
        server.add_stream("/huge.xml", fifty_megabytes, {"Content-Type": "application/rss+xml"})
        bomb = gzip_bomb(100 * MIB)
        server.add_route(
            "/bomb.xml",
            lambda _r: Reply(
                200, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}, bomb
            ),
        )
        server.add_redirect("/loop.xml", server.url("/loop2.xml"))
        server.add_redirect("/loop2.xml", server.url("/loop.xml"))
        server.add_feed(
            "/page.html",
            b"<!doctype html><html><head><title>Hi</title></head>"
            b"<body><p>Not a feed at all.</p></body></html>",
            content_type="text/html; charset=utf-8",
        )
        server.add_feed(
            "/garbage.xml",
            bytes(range(128, 256)) * 64,
            content_type="application/rss+xml; charset=utf-8",
        )
        yield server


async def test_each_hostile_feed_is_its_own_error_and_the_good_feed_alerts(
    server: FeedServer, tmp_path: Path
) -> None:
    with HttpReceiver() as receiver:
        feeds = "".join(
            f'\n[[feeds]]\nurl = "{server.url(path)}"\n' for path in ["/good.xml", *HOSTILE]
        )
        config_path = tmp_path / "ww.toml"
        config_path.write_text(f"""
[daemon]
max_body_bytes = {MIB}
host_spacing = 0  # every test feed is on 127.0.0.1
[store]
path = "{tmp_path / "ww.db"}"
{iran_watch(receiver.url("/hook"))}
{feeds}""")
        daemon = await Daemon.build(load_config(config_path))
        try:
            with capture_logs() as logs:
                outcomes = {o.feed_url: o for o in await daemon.run_once()}
            states = {path: await daemon.store.feed_state(server.url(path)) for path in HOSTILE}
        finally:
            await daemon.close()
        (alert,) = [r.json() for r in receiver.requests]

    assert alert["title"] == "Iranian troops reach Latakia"
    assert outcomes[server.url("/good.xml")].status == "ok"
    failed = {o.feed_url for o in outcomes.values() if o.status == "error"}
    assert failed == {server.url(p) for p in HOSTILE if p != "/laughs.xml"}
    logged = {e["feed_url"] for e in logs if e["event"] in ("feed_error", "feed_malformed")}
    assert {server.url(p) for p in HOSTILE} <= logged
    for path, state in states.items():
        if path != "/laughs.xml":
            assert state is not None and state.error_count == 1 and state.last_error, path
    assert "too_large" in (states["/huge.xml"].last_error or "")  # type: ignore[union-attr]
    assert "too_large" in (states["/bomb.xml"].last_error or "")  # type: ignore[union-attr]
    assert "redirect" in (states["/loop.xml"].last_error or "")  # type: ignore[union-attr]
    assert "not a feed" in (states["/page.html"].last_error or "")  # type: ignore[union-attr]
