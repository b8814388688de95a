"""The daemon's one HTTP listener (uvicorn): routes, requests and responses.

Other subpackages add their routes to it (WebSub callbacks, health, metrics, status page,
reload); it knows none of them."""

from monitor.listener.server import HttpListener, Request, Response

__all__ = ["HttpListener", "Request", "Response"]
