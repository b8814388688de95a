"""A daemon whose config file a reload test rewrites: its feeds on a real feed server, alerts
to a real webhook receiver, and the rules and feeds the tests write."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from monitor.daemon.daemon import Daemon
from tests.support.daemon_process import HANG_GUARD
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver


def rss(title: str, items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{headline}</title><guid>{guid}</guid>"
        f"<link>https://news.example/{guid}</link></item>"
        for headline, guid in items
    )
    channel = f"<channel><title>{title}</title>{entries}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


HARBOUR = rss("Harbour Wire", [("Crane collapse shuts northern harbour", "a-1")])

RIVER = rss("River Desk", [("Floods close the river port", "b-1")])

CRANES = """
[[rules]]
name = "cranes"
any_of = [{ terms = ["crane"] }]
"""

FLOODS = """
[[rules]]
name = "floods"
any_of = [{ terms = ["flood*"] }]
"""


@dataclass
class World:
    path: Path
    feeds: FeedServer
    receiver: HttpReceiver

    def write(self, *paths: str, rules: str = CRANES, listener: str = "enabled = false") -> None:
        # full_text = "never": the entries link to news.example, no page is to be fetched.
        feeds = "".join(f'[[feeds]]\nurl = "{self.feeds.url(p)}"\nfull_text = "never"\n{extra}\n'
                        for p, extra in (split(p) for p in paths))  # fmt: skip
        self.path.write_text(f"""
[daemon]
jitter = 0
host_spacing = 0  # every test feed is on 127.0.0.1
parse_workers = 0
dispatch_interval = 3600
shutdown_timeout = 10
[log]
format = "json"
[listener]
{listener}
[store]
path = "{self.path.parent / "ww.db"}"
[notifiers.hook]
type = "webhook"
url = "{self.receiver.url("/hook")}"
{feeds}
{rules}
""")

    def url(self, path: str) -> str:
        return self.feeds.url(path)

    def alerts(self, count: int) -> list[dict[str, object]]:
        return [request.json() for request in self.receiver.wait_for(count, HANG_GUARD)]


def split(spec: str) -> tuple[str, str]:
    """``"/a.xml interval = 300"``: the feed's path and extra keys of its table."""
    path, _, rest = spec.partition(" ")
    return path, rest


Start = Callable[[], Awaitable[Daemon]]


def jobs(daemon: Daemon) -> set[str]:
    assert daemon.polling is not None
    assert daemon.polling.scheduler is not None
    return {job.id for job in daemon.polling.scheduler.get_jobs() if job.id.startswith("poll:")}


async def alerts(world: World, count: int) -> list[dict[str, object]]:
    return await asyncio.to_thread(world.alerts, count)
