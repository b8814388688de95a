"""A daemon with hostile feeds, polled once, its status page on a real listener (tests only).

The hostile text reaches the store two ways: through the real pipeline (a feed whose
titles, summary, name and links carry markup and quotes) and through the store API
(what a feed can put where the pipeline would clean it: a ``javascript:`` link, a
server's error text, a silence reason). Every payload would set ``document.title`` or
``window.pwned`` if it ran.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from monitor.listener.server import HttpListener
from monitor.records import Silence
from monitor.records.models import AlertRecord, Article, DedupDecision, FeedState, Verdict
from monitor.surges import Surge, SurgeKind, surge_id
from monitor.web.status_page import install_status_page
from rules import Severity
from tests.support.feedserver import FeedServer, Reply
from tests.support.receiver import HttpReceiver, Response
from tests.support.threaded import serve_world_in_thread

__all__ = ["HOSTILE", "StatusWorld", "World", "serve_in_thread", "status_world"]

SCRIPT = "<script>document.title='pwned'</script>"
IMG = "<img src=x onerror=\"window.pwned=1;document.title='pwned'\">"
HOSTILE = {
    "script_title": f"Iranian troops {SCRIPT} reach Latakia </title>",
    "img_summary": f"Offensive near Homs {IMG} \"quoted\" 'single' & more",
    "feed_name": 'Evil "Wire" </title><script>window.pwned=1</script>',
    "quote_link": 'https://evil.example/a?x="onmouseover=window.pwned=1',
    "js_link": "javascript:window.pwned=1;document.title='pwned'",
    "js_title": 'Iranian advisers seen in Homs <b onmouseover="window.pwned=1">hover</b>',
    "feed_error": 'HTTP 500: <svg onload="window.pwned=1"></svg>',
    "silence_reason": 'maintenance <iframe srcdoc="<script>parent.pwned=1</script>">',
    "surge_label": 'Kyiv <script>window.pwned=1</script> & "quotes"',
    "surge_story": 'Взрывы в Киеве <img src=x onerror="window.pwned=1">',
}


def _escaped_for_xml(text: str) -> str:
    """Twice escaped: the XML parser and the HTML-to-text step each undo one level, so
    the stored text keeps the markup characters literally."""
    once = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return once.replace("&", "&amp;")


RSS = f"""<?xml version="1.0"?><rss version="2.0"><channel>
<title>Evil Wire</title>
<link>https://evil.example/</link><description>d</description>
<item><title>{_escaped_for_xml(HOSTILE["script_title"])}</title><guid>e-1</guid>
<link>https://evil.example/1</link>
<description>{_escaped_for_xml(HOSTILE["img_summary"])}</description></item>
<item><title>Hezbollah fighters cross into Syria</title><guid>e-2</guid>
<link>{HOSTILE["quote_link"].replace("&", "&amp;").replace('"', "&quot;")}</link></item>
</channel></rss>"""

CONFIG = """
[daemon]
host_spacing = 0  # every test feed is on 127.0.0.1
read_timeout = 5
total_timeout = 20
max_attempts = 3

[store]
path = "{db}"

[[feeds]]
url = "{hostile}"

[[feeds]]
name = "Broken Wire"
url = "{broken}"

[notifiers.hook]
type = "webhook"
url = "{hook}"

[notifiers.down]
type = "webhook"
url = "{down}"

[entities.iran]
entries = [{{ name = "Iran", aliases = ["Iranian"] }}]

[entities.syria]
entries = ["Latakia", "Homs", "Syria"]

[[rules]]
name = "iran-in-syria"
severity = "high"
all_of = ["iran", "syria"]
"""


@dataclass(frozen=True, slots=True)
class StatusWorld:
    daemon: Daemon
    listener: HttpListener

    @property
    def url(self) -> str:
        return self.listener.url + "/status"


@contextlib.asynccontextmanager
async def status_world(tmp_path: Path) -> AsyncIterator[StatusWorld]:
    """The daemon after one cycle over the hostile feed, its status page served."""
    with FeedServer() as feeds, HttpReceiver() as receiver:
        feeds.add_feed("/hostile.xml", RSS.encode(), content_type="application/rss+xml")
        feeds.add_route("/broken.xml", lambda _: Reply(500, body=b"down"))
        receiver.enqueue(*[Response(200)] * 10)
        config_path = tmp_path / "ww.toml"
        config_path.write_text(CONFIG.format(
            db=tmp_path / "ww.db", hostile=feeds.url("/hostile.xml"),
            broken=feeds.url("/broken.xml"), hook=receiver.url("/hook"),
            down=f"http://127.0.0.1:{_closed_port()}/down",
        ))  # fmt: skip
        daemon = await Daemon.build(load_config(config_path))
        try:
            await daemon.run_once()
            await add_hostile_records(daemon, feeds.url("/broken.xml"))
            listener = HttpListener()
            install_status_page(listener, daemon.status_source)
            await listener.start()
            try:
                yield StatusWorld(daemon, listener)
            finally:
                await listener.stop()
        finally:
            await daemon.close()


def _closed_port() -> int:
    """A loopback port nothing listens on: deliveries there fail and stay pending."""
    import socket  # noqa: PLC0415

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def add_hostile_records(daemon: Daemon, broken_url: str) -> None:
    """What the pipeline would clean, written through the store API."""
    store, now = daemon.store, daemon.clock()
    article = Article(
        article_id="a_js", feed_url="https://js.example/feed", feed_name=HOSTILE["feed_name"],
        guid="js-1", title=HOSTILE["js_title"], link=HOSTILE["js_link"],
        summary="Advisers were filmed near Homs.", content="", published=now, fetched_at=now,
        language="fa",
    )  # fmt: skip
    alert = AlertRecord(
        alert_id="al_js", story_id="s_js", article_id="a_js", rule="iran-in-syria",
        severity=Severity.HIGH, terms=("Iranian", "Homs"), notifiers=(), created_at=now,
    )  # fmt: skip
    await store.record_article(article, DedupDecision(Verdict.NEW_STORY, "s_js"), [alert])
    state = await store.feed_state(broken_url) or FeedState(url=broken_url)
    await store.save_feed_state(replace(state, last_error=HOSTILE["feed_error"]))
    await store.add_silence(
        Silence(HOSTILE["silence_reason"], now, now + timedelta(hours=2), rule="iran-in-syria")
    )
    await store.record_surges([_hostile_surge(now)])


def _hostile_surge(now: datetime) -> Surge:
    start = now - timedelta(hours=1)
    return Surge(
        surge_id=surge_id(SurgeKind.NAME, "kyiv", start), kind=SurgeKind.NAME, key="kyiv",
        label=HOSTILE["surge_label"], window_start=start, window_end=now, fired_at=now,
        count=14, expected=1.25, outlets=9, score=11.3,
        top_stories=(("s_js", HOSTILE["surge_story"], 7),), top_outlets=(HOSTILE["feed_name"],),
    )  # fmt: skip


World = Callable[[Path], contextlib.AbstractAsyncContextManager[StatusWorld]]


@contextlib.contextmanager
def serve_in_thread(tmp_path: Path, world: World | None = None) -> Iterator[str]:
    """``world`` (:func:`status_world` unless given) on its own event loop in a thread;
    yields the status page's URL.

    For synchronous clients (a browser driver) in a test that runs no event loop itself.
    """
    make_world = world or status_world
    with serve_world_in_thread(lambda: make_world(tmp_path), "status-page") as url:
        yield url
