"""``bench.feedfarm`` with a clock: when each cycle's feed requests came, for ``bench.scaleout``.

``GET /_cycle/N`` moves the farm to cycle N (as in ``bench.feedfarm``) and starts a new
tally; ``GET /_stats`` answers JSON: the cycle, how many distinct feeds were requested in
it, and the monotonic times of its first and latest feed request. The daemons share the
cores with this process, so the tally is kept cheap (a set and two floats).
"""

from __future__ import annotations

import asyncio
import json
import time

from bench import feedfarm


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
        farm = TimedFarm(feeds)
        farm.seen = set()
        servers = [
            await asyncio.start_server(farm.handle, feedfarm.host(i), 0, backlog=1024)
            for i in range(hosts)
        ]
        addresses = [server.sockets[0].getsockname()[:2] for server in servers]
        ready.send(addresses)  # type: ignore[attr-defined]
        await asyncio.Event().wait()

    asyncio.run(main())
