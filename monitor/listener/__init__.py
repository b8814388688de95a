"""The daemon's one HTTP listener (uvicorn): routes, requests and responses, and the
small responder that answers on its socket while the daemon starts (decision 0057).

Other subpackages add their routes to it (WebSub callbacks, health, metrics, status page,
reload); it knows none of them. Importing it does not import uvicorn."""

from monitor.listener.public import (
    API_PREFIX,
    FEEDBACK_PREFIX,
    PUBLIC_PREFIXES,
    WEBSUB_CALLBACK_PREFIX,
)
from monitor.listener.server import HttpListener, Request, Response
from monitor.listener.starting import Answer, StartingResponder, bind_early

__all__ = [
    "API_PREFIX",
    "FEEDBACK_PREFIX",
    "PUBLIC_PREFIXES",
    "WEBSUB_CALLBACK_PREFIX",
    "Answer",
    "HttpListener",
    "Request",
    "Response",
    "StartingResponder",
    "bind_early",
]
