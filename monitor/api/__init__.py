"""The JSON API under ``/api/v1`` on the daemon's listener (issue 19, docs/api.md).

``routing`` declares and serves endpoints (one table, also the OpenAPI document's
source: ``openapi``); ``access`` says who may call and how often; ``problems`` writes
errors as RFC 9457 documents; ``paging`` the cursors and UTC times; ``models`` the
resources; ``stories`` the story read model the story pages share; ``*_routes`` the
endpoints; ``install`` puts it all on the listener.
"""

from monitor.api.access import Caller
from monitor.api.feed_routes import feed_record, feed_states
from monitor.api.install import build_router, install_api
from monitor.api.models import Alert, Article, RuleMatch, Story, StoryDetail, StoryPage
from monitor.api.paging import UtcTime, decode_cursor, iso
from monitor.api.problems import ApiError, InvalidParam, Problem, not_found
from monitor.api.routing import PREFIX, Call, Endpoint, Reply, Router
from monitor.api.source import ApiSource
from monitor.api.stories import StoryQuery, list_stories, story_detail
from monitor.api.surge_routes import ListedState, rising_now, surge_record

__all__ = [
    "PREFIX",
    "Alert",
    "ApiError",
    "ApiSource",
    "Article",
    "Call",
    "Caller",
    "Endpoint",
    "InvalidParam",
    "ListedState",
    "Problem",
    "Reply",
    "Router",
    "RuleMatch",
    "Story",
    "StoryDetail",
    "StoryPage",
    "StoryQuery",
    "UtcTime",
    "build_router",
    "decode_cursor",
    "feed_record",
    "feed_states",
    "install_api",
    "iso",
    "list_stories",
    "not_found",
    "rising_now",
    "story_detail",
    "surge_record",
]
