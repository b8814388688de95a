"""The hub side of WebSub for tests: a real HTTP hub endpoint on 127.0.0.1 that records
subscription requests and, on demand, verifies a subscription and publishes signed content
to its callback."""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl

import httpx

from tests.support.feedserver import FeedServer, Reply

__all__ = ["PUSHED", "TOPIC", "Hub"]

TOPIC = "https://news.example/feed.atom"
PUSHED = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>
<entry><title>Ferry service resumes after storm</title><id>urn:n:1</id></entry></feed>"""


class Hub:
    """The hub side: records subscription requests; verifies and publishes on demand."""

    def __init__(self, server: FeedServer, http: httpx.AsyncClient) -> None:
        self.server = server
        self.http = http
        server.add_route("/hub", lambda _request: Reply(202, {}, b""))

    @property
    def url(self) -> str:
        return self.server.url("/hub")

    def requests(self) -> list[dict[str, str]]:
        return [dict(parse_qsl(r.body.decode())) for r in self.server.requests_to("/hub")]

    async def verify(
        self, form: dict[str, str], *, topic: str | None = None, lease: str = "3600"
    ) -> httpx.Response:
        params = {"hub.mode": "subscribe", "hub.topic": topic or form["hub.topic"],
                  "hub.challenge": "chal-8d2f", "hub.lease_seconds": lease}  # fmt: skip
        return await self.http.get(form["hub.callback"], params=params)

    async def publish(
        self, form: dict[str, str], body: bytes, signature: str | None = "sha256"
    ) -> httpx.Response:
        headers = {"Content-Type": "application/atom+xml"}
        if signature is not None:
            digest = hmac.new(form["hub.secret"].encode(), body, signature).hexdigest()
            headers["X-Hub-Signature"] = f"{signature}={digest}"
        return await self.http.post(form["hub.callback"], content=body, headers=headers)
