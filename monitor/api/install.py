"""Put the API on the daemon's listener."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from monitor.api.feed_routes import feed_endpoints
from monitor.api.feedback_routes import feedback_endpoints
from monitor.api.openapi import openapi_document
from monitor.api.routing import PREFIX, Call, Endpoint, Reply, Router, Settings
from monitor.api.rule_routes import rule_endpoints
from monitor.api.silence_routes import silence_endpoints
from monitor.api.source import ApiSource
from monitor.api.story_routes import story_endpoints
from monitor.api.surge_routes import surge_endpoints
from monitor.listener import HttpListener


class OpenApiDocument(BaseModel):
    """The OpenAPI 3.1 document itself (its fields as OpenAPI defines them)."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, object]
    paths: dict[str, object]
    components: dict[str, object]


def build_router(source: ApiSource) -> Router:
    """Every endpoint of the API, on a router reading its settings from ``source``."""
    settings = Settings(
        api=lambda: source.config().settings.api,
        listener=lambda: source.config().settings.listener,
        clock=source.clock,
    )
    router = Router(settings)
    for endpoints in (story_endpoints, rule_endpoints, feed_endpoints, silence_endpoints,
                      surge_endpoints, feedback_endpoints):  # fmt: skip
        for endpoint in endpoints(source):
            router.add(endpoint)

    async def openapi(_call: Call) -> Reply:
        return Reply(OpenApiDocument.model_validate(openapi_document(router.endpoints)))

    router.add(Endpoint("GET", "/openapi.json", openapi, "This document", "meta",
                        OpenApiDocument, public=True))  # fmt: skip
    return router


def install_api(listener: HttpListener, source: ApiSource) -> Router:
    """Serve the API under ``/api/v1`` on ``listener``; the router takes more endpoints
    (``router.add``) until the listener starts. The listener's own token check is left to
    the router (``public`` at the listener), which knows scopes and rate limits."""
    router = build_router(source)
    listener.route("*", PREFIX, router.handle, public=True)  # every method: 405 is ours
    return router
