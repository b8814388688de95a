"""Redirects followed by hand, so every hop is checked: scheme, loops, count, and
credentials dropped when a hop leaves the origin; a chain that starts with permanent
redirects (301/308) tells where the feed now lives."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Final

import httpx

from monitor.feeds.errors import FetchError
from notifiers import is_credential_name

_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECTS: Final = frozenset({301, 308})
_ALLOWED_SCHEMES: Final = frozenset({"http", "https"})


def parse_url(url: str, kind: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise FetchError(kind, "invalid URL") from exc
    _check_scheme(parsed, kind)
    return parsed


class FeedAddresses:
    """Feeds' addresses parsed once and kept while the feeds are configured: a feed's
    address is fetched again at every poll, and parsing it cost the loop ~18 us of CPU each
    time (0.6 us kept; load ~16). One address is kept a feed (the one it was fetched at
    last: its own, or where it moved), whatever its interval, so the size is bounded by the
    feeds; the daemon's hourly prune lets go the addresses of feeds no longer configured
    (:meth:`retain`). No cap below that: a least-recently-used cache smaller than the
    feeds polled in turn would miss at every poll. An invalid address is never kept (it
    fails each time); an httpx.URL is never changed (its copies are new objects)."""

    def __init__(self) -> None:
        self._by_feed: dict[str, tuple[str, httpx.URL]] = {}  # feed URL: (address, parsed)

    def __len__(self) -> int:
        return len(self._by_feed)

    def parse(self, url: str, feed: str) -> httpx.URL:
        """``parse_url(url, "protocol")``, kept as ``feed``'s address."""
        kept = self._by_feed.get(feed)
        if kept is not None and kept[0] == url:
            return kept[1]
        parsed = parse_url(url, "protocol")
        self._by_feed[feed] = (url, parsed)
        return parsed

    def retain(self, feeds: Collection[str]) -> int:
        """The addresses of feeds not in ``feeds`` (no longer configured) let go; how many."""
        gone = [feed for feed in self._by_feed if feed not in feeds]
        for feed in gone:
            del self._by_feed[feed]
        return len(gone)


def _check_scheme(url: httpx.URL, kind: str) -> None:
    if url.scheme not in _ALLOWED_SCHEMES or not url.host:
        raise FetchError(kind, f"refusing non-http(s) URL scheme {url.scheme!r}")


def next_hop(response: httpx.Response, visited: set[str], max_redirects: int) -> httpx.URL:
    """The URL a redirect response points to, after loop, count and scheme checks."""
    try:
        target = response.url.join(response.headers["Location"])
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise FetchError("redirect", "redirect with an invalid Location") from exc
    _check_scheme(target, "redirect")
    if str(target) in visited:
        raise FetchError("redirect", f"redirect loop at {target}")
    if len(visited) > max_redirects:
        raise FetchError("redirect", f"more than {max_redirects} redirects")
    return target


def is_redirect(response: httpx.Response) -> bool:
    return response.status_code in _REDIRECT_STATUSES and "Location" in response.headers


def same_origin(url: httpx.URL, other: httpx.URL) -> bool:
    """Same scheme, host and port: credentials may follow a redirect only there."""
    return (url.scheme, url.host, url.port) == (other.scheme, other.host, other.port)


def without_credentials(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` without ``Authorization`` nor those named like a credential
    (``X-Api-Key``): what a request may carry to another origin."""
    return {
        name: value
        for name, value in headers.items()
        if name.lower() != "authorization" and not is_credential_name(name)
    }


@dataclass(slots=True)
class Hops:
    """Where the redirect chain went: the hops seen, and the target of its leading run of
    permanent redirects (the feed's new address), if any."""

    visited: set[str] = field(default_factory=set)
    moved_to: str | None = None
    only_permanent: bool = True

    def record(self, status: int, target: httpx.URL) -> None:
        if self.only_permanent and status in _PERMANENT_REDIRECTS:
            self.moved_to = str(target)
        else:
            self.only_permanent = False
