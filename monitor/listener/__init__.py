"""TODO listener."""

from monitor.listener.server import HttpListener, Request, Response

__all__ = ["HttpListener", "Request", "Response"]
