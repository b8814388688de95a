"""Who we say we are, and what one feed's requests carry (headers, credentials, proxy, TLS)."""

from __future__ import annotations

import base64
import importlib.metadata
import os
from dataclasses import dataclass, field
from typing import Final

import httpx

from monitor.config import MAX_CONCURRENCY, DaemonSettings, FeedSettings
from monitor.feeds.http_hints import media_type
from monitor.feeds.spread_transport import SpreadTransport


def _package_version() -> str:
    try:
        return importlib.metadata.version("wirewatch")
    except importlib.metadata.PackageNotFoundError:
        return "dev"


DEFAULT_CONTACT_URL: Final = "https://github.com/wirewatch/wirewatch"


def user_agent_for(contact_url: str = DEFAULT_CONTACT_URL, override: str = "") -> str:
    """``override`` as is, else ``wirewatch/VERSION (+contact_url)``: who polls, and how
    a publisher reaches the operator."""
    return override or f"wirewatch/{_package_version()} (+{contact_url or DEFAULT_CONTACT_URL})"


DEFAULT_USER_AGENT: Final = user_agent_for()


def daemon_user_agent(daemon: DaemonSettings) -> str:
    """The User-Agent of every request the daemon makes, as its ``[daemon]`` settings say."""
    return user_agent_for(daemon.contact_url, daemon.user_agent)


def http_client(daemon: DaemonSettings) -> httpx.AsyncClient:
    """The client shared by the notifiers (and WebSub's hub requests): it says who we are,
    as feed fetches do, rather than ``python-httpx``; a plugin not using it can read
    ``http.headers["User-Agent"]``. Redirects are not followed: an endpoint that moves is
    an error to fix, not a place to send an alert's credentials.

    No cap on connections: each route's ``concurrency`` (up to 256, several routes
    sharing this client) already bounds its sends, and a pool cap below their sum
    would queue sends for a connection until the pool timeout failed them. Up to the
    highest route concurrency stay open between bursts, so a busy receiver is not
    re-dialled (and its TLS not re-negotiated) for every burst; idle ones still
    close after httpx's keep-alive expiry. Each request in flight has a one-connection
    pool of its own (``monitor.feeds.spread_transport``), so sixteen sends in flight cost
    each no more than one; a proxy from the environment (``HTTPS_PROXY``…) is still used, and a host
    its ``NO_PROXY`` names is sent to through one pool as before."""
    return httpx.AsyncClient(
        headers={"User-Agent": daemon_user_agent(daemon)},
        timeout=httpx.Timeout(20.0),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=MAX_CONCURRENCY),
        mounts=_spread_mounts(),
    )


def _spread_mounts() -> dict[str, httpx.AsyncBaseTransport]:
    """Every URL through the spread pools, unless the environment proxies every URL
    (``ALL_PROXY``): a mount for all URLs would take its place. The environment's
    proxies for a scheme are more specific than this mount and keep theirs."""
    if any(os.environ.get(name) for name in ("ALL_PROXY", "all_proxy")):
        return {}
    return {"all://": SpreadTransport(httpx.create_ssl_context())}


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """Per-feed request settings. Credentials are excluded from ``repr``."""

    headers: tuple[tuple[str, str], ...] = ()
    basic: tuple[str, str] | None = field(default=None, repr=False)  # username, password
    bearer: str | None = field(default=None, repr=False)
    proxy: str | None = None
    verify_tls: bool = True
    max_body_bytes: int | None = None
    # The response media types whose bodies are wanted (empty: any); another type's
    # response is returned without its body, which is then never downloaded.
    media_types: frozenset[str] = frozenset()
    # A feed's own poll, which the feed fetch metrics count; False for the article pages
    # and robots.txt fetched on its behalf (counted as page fetches instead).
    polls_feed: bool = True
    # A URL taken from feed content (an article page): connect to public addresses only
    # (and the fetcher's allowed private networks), except at ``trusted_host``, the host
    # of the feed itself, which the operator configured (monitor.feeds.addresses).
    public_only: bool = False
    trusted_host: str = ""

    @classmethod
    def for_feed(cls, feed: FeedSettings) -> RequestOptions:
        auth = feed.auth
        secret = auth.secret.get_secret_value() if auth else ""
        return cls(
            headers=tuple(feed.headers.items()),
            basic=(auth.username, secret) if auth and auth.type == "basic" else None,
            bearer=secret if auth and auth.type == "bearer" else None,
            proxy=feed.proxy,
            verify_tls=feed.verify_tls,
            max_body_bytes=feed.max_body_bytes,
        )

    def wants_body(self, content_type: str | None) -> bool:
        """Whether a response of ``content_type`` (a header value) is worth reading."""
        if not self.media_types:
            return True
        return media_type(content_type) in self.media_types

    def guards(self, host: str) -> bool:
        """Whether a request to ``host`` may reach public addresses only."""
        return self.public_only and host.lower() != self.trusted_host.lower()

    def request_headers(self) -> dict[str, str]:
        """The feed's headers and its ``Authorization`` (the fetcher drops that one when a
        redirect leaves the feed's origin)."""
        headers = dict(self.headers)
        if self.bearer:
            headers["Authorization"] = f"Bearer {self.bearer}"
        elif self.basic:
            pair = f"{self.basic[0]}:{self.basic[1]}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return headers
