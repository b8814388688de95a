"""Feeds: everything between a feed URL and normalised articles.

HTTP fetching (timeouts, caps, redirects, conditional requests, decoding), politeness per
host, request options and credentials, parsing RSS/Atom/JSON, normalising entries,
adaptive intervals, feed health and its operator events, and WebSub subscriptions."""

from monitor.feeds.errors import FetchError
from monitor.feeds.fetcher import Fetcher
from monitor.feeds.health import (
    FeedEvent,
    FeedEventKind,
    FeedHealth,
    after_failure,
    after_gone,
    after_success,
    feed_health,
    interval_policy,
    settle_health,
)
from monitor.feeds.intervals import IntervalPolicy, backoff_delay
from monitor.feeds.normalise import canonical_url, declared_guid, normalise_entry, plain_line
from monitor.feeds.parse_new import ParsedNew, guid_digests, parse_new
from monitor.feeds.parse_pool import ParsePool
from monitor.feeds.parser import ParseError, parse_feed
from monitor.feeds.politeness import HostGate
from monitor.feeds.redirects import same_origin
from monitor.feeds.request_options import (
    RequestOptions,
    daemon_user_agent,
    http_client,
    user_agent_for,
)
from monitor.feeds.websub import WebSub

__all__ = [
    "FeedEvent",
    "FeedEventKind",
    "FeedHealth",
    "FetchError",
    "Fetcher",
    "HostGate",
    "IntervalPolicy",
    "ParseError",
    "ParsePool",
    "ParsedNew",
    "RequestOptions",
    "WebSub",
    "after_failure",
    "after_gone",
    "after_success",
    "backoff_delay",
    "canonical_url",
    "daemon_user_agent",
    "declared_guid",
    "feed_health",
    "guid_digests",
    "http_client",
    "interval_policy",
    "normalise_entry",
    "parse_feed",
    "parse_new",
    "plain_line",
    "same_origin",
    "settle_health",
    "user_agent_for",
]
