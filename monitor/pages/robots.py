"""robots.txt, honoured per origin (RFC 9309) for article pages.

Fetched through the feeds' :class:`~monitor.feeds.Fetcher` (politeness, redirects, caps)
with a small cap and timeout, parsed by :mod:`urllib.robotparser` and matched against the
daemon's product token, ``wirewatch``. Kept per origin for ``ttl`` (RFC 9309 2.4: at most
24 hours). An answer in the 4xx range (404 included) means there are no rules: everything
is allowed. A 5xx, 429, timeout or unreachable host means "complete disallow" (RFC 9309
2.3.1.4), kept for ``unreachable_ttl`` only, then asked again. Rules the standard library
does not read (``*`` and ``$`` inside paths) are matched literally.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final
from urllib.robotparser import RobotFileParser

import httpx

from monitor.feeds import Fetcher, FetchError, RequestOptions

ROBOTS_AGENT: Final = "wirewatch"
ROBOTS_MAX_BYTES: Final = 512 * 1024  # RFC 9309 2.5: parse at least 500 KiB
ROBOTS_TTL: Final = 24 * 3600.0
UNREACHABLE_TTL: Final = 600.0
ROBOTS_TIMEOUT: Final = 5.0
ORIGINS_KEPT: Final = 4096  # sites whose rules are kept; the least recently fetched go first


@dataclass(frozen=True, slots=True)
class _Rules:
    parser: RobotFileParser | None  # None: the verdict below for every path
    allow_all: bool
    expires: float

    def allows(self, url: str) -> bool:
        if self.parser is None:
            return self.allow_all
        return self.parser.can_fetch(ROBOTS_AGENT, url)


class RobotsRules:
    """Whether robots.txt lets ``wirewatch`` fetch a URL; one request per origin at a time."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        clock: Callable[[], float] = time.monotonic,
        ttl: float = ROBOTS_TTL,
        unreachable_ttl: float = UNREACHABLE_TTL,
        timeout: float = ROBOTS_TIMEOUT,
    ) -> None:
        self._fetcher = fetcher
        self._clock = clock
        self._ttl = ttl
        self._unreachable_ttl = unreachable_ttl
        self._timeout = timeout
        self._rules: OrderedDict[str, _Rules] = OrderedDict()
        self._pending: dict[str, asyncio.Task[_Rules]] = {}

    async def allows(self, url: str, options: RequestOptions) -> bool:
        origin = _origin(httpx.URL(url))
        rules = self._rules.get(origin)
        if rules is None or rules.expires <= self._clock():
            rules = await asyncio.shield(self._fetching(origin, options))
        return rules.allows(url)

    def _fetching(self, origin: str, options: RequestOptions) -> asyncio.Task[_Rules]:
        task = self._pending.get(origin)
        if task is None:
            task = self._pending[origin] = asyncio.create_task(self._fetch(origin, options))
            task.add_done_callback(lambda _done: self._pending.pop(origin, None))
        return task

    async def _fetch(self, origin: str, options: RequestOptions) -> _Rules:
        capped = replace(options, max_body_bytes=ROBOTS_MAX_BYTES, media_types=frozenset())
        try:
            async with asyncio.timeout(self._timeout):
                result = await self._fetcher.fetch(f"{origin}/robots.txt", options=capped)
        except FetchError as err:
            if err.kind == "private_address":  # the page's own refusal, not a verdict
                raise
            rules = self._verdict(_unavailable(err))
        except TimeoutError:
            rules = self._verdict(allow_all=False)
        else:
            rules = self._parsed(result.body)
        self._rules.pop(origin, None)
        self._rules[origin] = rules
        while len(self._rules) > ORIGINS_KEPT:
            self._rules.popitem(last=False)
        return rules

    def _parsed(self, body: bytes) -> _Rules:
        parser = RobotFileParser()
        parser.parse(body.decode("utf-8", errors="replace").splitlines())
        return _Rules(parser, allow_all=True, expires=self._clock() + self._ttl)

    def _verdict(self, allow_all: bool) -> _Rules:
        lifetime = self._ttl if allow_all else self._unreachable_ttl
        return _Rules(None, allow_all=allow_all, expires=self._clock() + lifetime)


def _unavailable(err: FetchError) -> bool:
    """RFC 9309 2.3.1.3: a 4xx robots.txt is "unavailable" (no rules). 429 is read as
    the server being overloaded, like a 5xx: unreachable."""
    return err.status is not None and 400 <= err.status < 500 and err.status != 429


def _origin(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port is not None else ""
    host = f"[{url.host}]" if ":" in url.host else url.host  # IPv6
    return f"{url.scheme}://{host}{port}"
