"""``bench.feedfarm`` with a clock: when each cycle's feed requests came, for ``bench.scaleout``.

``GET /_cycle/N`` moves the farm to cycle N (as in ``bench.feedfarm``) and starts a new
tally; ``GET /_stats`` answers JSON: the cycle, how many distinct feeds were requested in
it, and the monotonic times of its first and latest feed request. The daemons share the
cores with this process, so the tally is kept cheap (a set and two floats).

Which feeds change follows :func:`balanced`, not ``bench.feedfarm.changed``: that one
changes the feeds whose number is ``-cycle`` modulo 5, whose item counts (15 + feed % 10)
average 17.5 to 21.5 depending on the cycle, so one cycle parsed up to a fifth more items
than the next. Here every cycle's changed fifth has the same item counts, and a cycle's
work depends on its number alone: ``bench.scaleout`` replays the same cycles for every
setup, each setup on its own copy of one warmed database (``/_cycle/N`` may go back).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import urllib.request
from typing import Any

from bench import feedfarm
from bench.scaleout_daemons import HANG_GUARD

BLOCK = 10  # consecutive feeds change together: one of each item count (feedfarm.item_count)


def balanced(feed: int, cycle: int) -> bool:
    """A fifth of the feeds change in each cycle (another fifth in the next), in blocks of
    ``BLOCK`` consecutive feeds, so each cycle's changed feeds hold the same items."""
    return (feed // BLOCK + cycle) % 5 == 0


class TimedFarm(feedfarm.Farm):
    first: float | None = None
    last: float | None = None
    seen: set[int]

    def answer(self, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if target == "/_stats":
            stats = {"cycle": self.cycle, "feeds": len(self.seen), "first": self.first,
                     "last": self.last}  # fmt: skip
            return 200, {"Content-Type": "application/json"}, json.dumps(stats).encode()
        if target.startswith("/_cycle/"):
            self.seen, self.first, self.last = set(), None, None
        elif target.startswith("/feed/"):
            now = time.monotonic()
            self.first = self.first or now
            self.last = now
            self.seen.add(int(target[6:-4]))
        return super().answer(target, headers)


def serve(feeds: int, hosts: int, ready: object) -> None:
    """Process entry point, as :func:`bench.feedfarm.serve`."""

    async def main() -> None:
        farm = TimedFarm(feeds, schedule=balanced)
        farm.seen = set()
        servers = [
            await asyncio.start_server(farm.handle, feedfarm.host(i), 0, backlog=1024)
            for i in range(hosts)
        ]
        addresses = [server.sockets[0].getsockname()[:2] for server in servers]
        ready.send(addresses)  # type: ignore[attr-defined]
        await asyncio.Event().wait()

    asyncio.run(main())


def farm_get(base: str, path: str) -> Any:
    """The farm's answer to ``path``: ``/_stats`` as JSON, anything else ignored."""
    with urllib.request.urlopen(f"{base}{path}", timeout=30) as answer:
        return json.loads(answer.read() or b"null") if path == "/_stats" else None


def set_cycle(base: str, cycle: int) -> None:
    """The farm at ``cycle`` (forward or back), its tally of requests started afresh."""
    farm_get(base, f"/_cycle/{cycle}")


def wait_for_cycle(base: str, feeds: int, daemons: list[subprocess.Popen[bytes]]) -> Any:
    """Once every feed was requested in this cycle: the farm's stats."""
    deadline = time.monotonic() + HANG_GUARD
    while (stats := farm_get(base, "/_stats"))["feeds"] < feeds:
        if time.monotonic() > deadline or any(d.poll() is not None for d in daemons):
            raise RuntimeError(f"cycle stalled at {stats['feeds']} of {feeds} feeds")
        time.sleep(0.5)  # a benchmark's progress check, not synchronisation in a test
    return stats
