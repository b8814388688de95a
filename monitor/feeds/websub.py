"""WebSub subscriber (W3C Recommendation): hubs push new entries, polling stays as fallback.

* **Discovery**: a poll finds the hub in the feed's ``Link`` header or its own
  ``rel="hub"`` link (JSON Feed: ``hubs``), the topic in ``rel="self"``.
* **Subscribe**: a form POST to the hub naming our callback
  (``{public_url}/websub/{callback_id}``), the lease we want and a per-feed secret.
* **Verify intent**: the hub GETs the callback; we echo ``hub.challenge`` only for a topic
  we asked for, and remember the lease it granted.
* **Content**: the hub POSTs the feed document; it is processed through the same pipeline
  only when ``X-Hub-Signature`` is the HMAC of the body under our secret. A bad or
  missing signature is answered 2xx as the spec requires, and the content is dropped.
* **Renewal**: a periodic sweep re-subscribes leases that are close to expiry.

While a subscription is active, the feed is still polled, at ``listener.poll_fallback``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Final

import httpx
import structlog

from monitor.config import FeedSettings
from monitor.listener import WEBSUB_CALLBACK_PREFIX, HttpListener, Request, Response
from monitor.observability import redact_url
from monitor.records import SubscriptionState, WebSubSubscription
from monitor.store import Store, StoreNotWritableError

log = structlog.get_logger("monitor.feeds.websub")

CALLBACK_PREFIX: Final = WEBSUB_CALLBACK_PREFIX  # the early responder answers it 503 too
RENEW_SHARE: Final = 0.1  # renew when a tenth of the lease is left...
RENEW_MARGIN: Final = timedelta(minutes=10)  # ...or ten minutes, whichever is longer
MAX_LEASE: Final = 365 * 86_400
_DIGESTS: Final = {"sha1": hashlib.sha1, "sha256": hashlib.sha256,
                   "sha384": hashlib.sha384, "sha512": hashlib.sha512}  # fmt: skip

# Subscriptions a hub may push content for (one being verified may already get some).
_LIVE: Final = (SubscriptionState.ACTIVE, SubscriptionState.REQUESTED)

# A push the store could not take: the hub delivers it again later (WebSub 7: a non-2xx
# answer is a failed delivery, which hubs retry).
_RETRY_LATER: Final = (("Retry-After", "60"),)

ContentHandler = Callable[[FeedSettings, bytes, str | None], Awaitable[object]]


def renew_at(subscription: WebSubSubscription) -> datetime | None:
    """When to renew an active lease: before a tenth of it (at least ten minutes) is left."""
    if subscription.state is not SubscriptionState.ACTIVE or subscription.expires_at is None:
        return None
    lease = timedelta(seconds=subscription.lease_seconds or 0)
    return subscription.expires_at - max(lease * RENEW_SHARE, RENEW_MARGIN)


def _renewed_state(known: WebSubSubscription | None) -> SubscriptionState:
    """A renewal of an active subscription stays active while the hub verifies it again."""
    if known is not None and known.state is SubscriptionState.ACTIVE:
        return SubscriptionState.ACTIVE
    return SubscriptionState.REQUESTED


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature: method=hexdigest`` with sha1/256/384/512, compared in constant time."""
    method, _, given = (header or "").partition("=")
    digest = _DIGESTS.get(method.strip().lower())
    if digest is None or not given:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def _lease(value: str | None) -> int | None:
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 9:
        return None
    return min(int(value), MAX_LEASE)


class WebSub:
    """Subscriptions of the configured feeds, their callbacks, and their renewal."""

    def __init__(
        self,
        *,
        store: Store,
        http: httpx.AsyncClient,
        feeds: Mapping[str, FeedSettings],
        public_url: str,
        lease_seconds: int,
        on_content: ContentHandler,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._http = http
        self._feeds = feeds
        self.public_url = public_url.rstrip("/")  # set by the daemon when not configured
        self._lease_seconds = lease_seconds
        self._on_content = on_content
        self._clock = clock
        self._by_feed: dict[str, WebSubSubscription] = {}

    def install(self, listener: HttpListener) -> None:
        # Public: hubs cannot send our bearer token; pushed content is checked by its HMAC.
        listener.route("GET", CALLBACK_PREFIX, self.verify, public=True)
        listener.route("POST", CALLBACK_PREFIX, self.receive, public=True)

    async def load(self) -> None:
        for subscription in await self._store.websub_subscriptions():
            if subscription.feed_url in self._feeds:
                self._by_feed[subscription.feed_url] = subscription

    def subscription(self, feed_url: str) -> WebSubSubscription | None:
        return self._by_feed.get(feed_url)

    def is_active(self, feed_url: str) -> bool:
        """The hub pushes this feed now (polling may slow down to the fallback)."""
        subscription = self._by_feed.get(feed_url)
        return bool(
            subscription
            and subscription.state is SubscriptionState.ACTIVE
            and subscription.expires_at
            and subscription.expires_at > self._clock()
        )

    # -- subscribing ------------------------------------------------------------------

    async def discovered(self, feed: FeedSettings, hub: str, topic: str) -> None:
        """A poll saw the feed's hub; subscribe unless we already asked this hub."""
        known = self._by_feed.get(feed.url)
        if (
            known
            and (known.hub, known.topic) == (hub, topic)
            and known.state is not SubscriptionState.FAILED
        ):
            return
        await self.subscribe(feed, hub, topic)

    async def subscribe(self, feed: FeedSettings, hub: str, topic: str) -> WebSubSubscription:
        known = self._by_feed.get(feed.url)
        same = known is not None and (known.hub, known.topic) == (hub, topic)
        subscription = WebSubSubscription(
            feed_url=feed.url,
            hub=hub,
            topic=topic,
            # Keep callback and secret across renewals: pushes in flight stay valid.
            callback_id=known.callback_id if known and same else secrets.token_urlsafe(18),
            secret=known.secret if known and same else secrets.token_hex(32),
            state=_renewed_state(known if same else None),
            requested_at=self._clock(),
            lease_seconds=known.lease_seconds if known and same else None,
            expires_at=known.expires_at if known and same else None,
        )
        subscription = replace(subscription, last_error=await self._request(subscription))
        if subscription.last_error and subscription.state is SubscriptionState.REQUESTED:
            subscription = replace(subscription, state=SubscriptionState.FAILED)
        await self._save(subscription)
        return subscription

    async def _request(self, subscription: WebSubSubscription) -> str | None:
        form = {
            "hub.mode": "subscribe",
            "hub.topic": subscription.topic,
            "hub.callback": self.callback_url(subscription),
            "hub.lease_seconds": str(self._lease_seconds),
            "hub.secret": subscription.secret,
        }
        try:
            answer = await self._http.post(subscription.hub, data=form)
        except httpx.HTTPError as err:
            error = f"{type(err).__name__}: {err}"
        else:
            if answer.status_code in (202, 204):
                log.info("websub_subscribe_sent", feed_url=subscription.feed_url,
                         hub=redact_url(subscription.hub))  # fmt: skip
                return None
            error = f"hub answered HTTP {answer.status_code}"
        log.warning("websub_subscribe_failed", feed_url=subscription.feed_url, error=error)
        return redact_url(error)[:300]

    def callback_url(self, subscription: WebSubSubscription) -> str:
        return f"{self.public_url.rstrip('/')}{CALLBACK_PREFIX}{subscription.callback_id}"

    async def renew_due(self) -> int:
        """Re-subscribe every lease due for renewal; returns how many were renewed."""
        now, renewed = self._clock(), 0
        for subscription in list(self._by_feed.values()):
            due = renew_at(subscription)
            feed = self._feeds.get(subscription.feed_url)
            if due is not None and due <= now and feed is not None:
                await self.subscribe(feed, subscription.hub, subscription.topic)
                renewed += 1
        return renewed

    # -- callbacks from the hub -------------------------------------------------------

    async def verify(self, request: Request) -> Response:
        """The hub's verification of intent (or a denial)."""
        subscription = self._for_callback(request.path)
        mode = request.query.get("hub.mode", "")
        if subscription is None or request.query.get("hub.topic") != subscription.topic:
            return Response(404, b"unknown subscription")
        if mode == "denied":
            reason = request.query.get("hub.reason", "")[:200]
            await self._save(
                replace(subscription, state=SubscriptionState.DENIED, last_error=reason or None)
            )
            log.warning("websub_denied", feed_url=subscription.feed_url, reason=reason)
            return Response(200, b"")
        challenge = request.query.get("hub.challenge", "")
        lease = _lease(request.query.get("hub.lease_seconds"))
        if mode != "subscribe" or not challenge or lease is None:
            return Response(404, b"not a subscription we asked for")
        now = self._clock()
        active = replace(subscription, state=SubscriptionState.ACTIVE, lease_seconds=lease,
                         expires_at=now + timedelta(seconds=lease), last_error=None)  # fmt: skip
        await self._save(active)
        log.info("websub_active", feed_url=subscription.feed_url, lease_seconds=lease)
        return Response(200, challenge.encode())

    async def receive(self, request: Request) -> Response:
        """Content the hub distributes: processed only under a valid signature."""
        subscription = self._for_callback(request.path)
        if subscription is None or subscription.state not in _LIVE:
            return Response(410, b"no such subscription")  # the hub should stop pushing
        header = request.headers.get("x-hub-signature")
        if not signature_valid(subscription.secret, request.body, header):
            log.warning("websub_bad_signature", feed_url=subscription.feed_url)
            return Response(202, b"")  # 2xx as the spec requires; the content is dropped
        feed = self._feeds[subscription.feed_url]
        try:
            await self._on_content(feed, request.body, request.headers.get("content-type"))
        except StoreNotWritableError:  # said by the store (rate-limited); nothing was kept
            return Response(503, b"store not writable", headers=_RETRY_LATER)
        return Response(202, b"")

    def _for_callback(self, path: str) -> WebSubSubscription | None:
        callback_id = path.removeprefix(CALLBACK_PREFIX)
        return next(
            (s for s in self._by_feed.values() if hmac.compare_digest(s.callback_id, callback_id)),
            None,
        )

    async def _save(self, subscription: WebSubSubscription) -> None:
        self._by_feed[subscription.feed_url] = subscription
        await self._store.save_websub_subscription(subscription)
