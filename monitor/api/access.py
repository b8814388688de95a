"""Who may use the API, and how often: bearer tokens with a scope, loopback without one,
and a token bucket per caller.

Tokens come from ``[api] tokens`` (values from the environment, :mod:`monitor.config.api`)
and, when set, the listener's own ``[listener] token`` as a *read* token named
"listener" (it is the read credential of the status pages and /metrics; writes need
an ``[api]`` token with write scope). A presented token is hashed and compared with
every configured token's hash by ``hmac.compare_digest``: the time taken tells nothing
about how much of a guess was right, nor which token it came close to. With no token
configured, only loopback clients are served (as ``loopback``, with write scope): the
API is never open to the network by default. Failed attempts are limited per client
address, so guessing is slow.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitor.api.problems import ApiError
from monitor.config import ApiScope, ApiSettings, ListenerSettings
from monitor.listener import Request

LOOPBACK = "loopback"
_CHALLENGE = 'Bearer realm="wirewatch"'


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made a request: a token's name (never its value), or ``loopback``."""

    name: str
    scope: ApiScope

    def may(self, needed: ApiScope) -> bool:
        return needed == ApiScope.READ or self.scope == ApiScope.WRITE


@dataclass(frozen=True, slots=True)
class Known:
    caller: Caller
    digest: bytes


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("latin-1", "replace")).digest()


def known_tokens(api: ApiSettings, listener: ListenerSettings) -> list[Known]:
    """Every token the API accepts, by the hash of its value."""
    found = [Known(Caller(t.name, t.scope), _digest(t.secret.get_secret_value()))
             for t in api.tokens]  # fmt: skip
    if listener.token is not None:
        caller = Caller("listener", ApiScope.READ)
        found.append(Known(caller, _digest(listener.token.get_secret_value())))
    return found


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def identify(request: Request, tokens: Sequence[Known]) -> Caller:
    """The caller making ``request``; an :class:`ApiError` (401, 403) when none may."""
    if not tokens:
        if is_loopback(request.client):
            return Caller(LOOPBACK, ApiScope.WRITE)
        raise ApiError(403, "loopback-only", "no API token is configured: loopback only")
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if not presented.strip() or scheme.lower() != "bearer":
        detail = "a bearer token is required"
        raise ApiError(401, "unauthorized", detail, headers=(("WWW-Authenticate", _CHALLENGE),))
    digest = _digest(presented.strip())
    matched = [known.caller for known in tokens if hmac.compare_digest(digest, known.digest)]
    if not matched:
        challenge = _CHALLENGE + ', error="invalid_token"'
        raise ApiError(401, "unauthorized", "the token is not valid",
                         headers=(("WWW-Authenticate", challenge),))  # fmt: skip
    return matched[0]


def require(caller: Caller, needed: ApiScope) -> None:
    if not caller.may(needed):
        challenge = _CHALLENGE + ', error="insufficient_scope", scope="write"'
        raise ApiError(403, "insufficient-scope", f"token {caller.name!r} may only read",
                         headers=(("WWW-Authenticate", challenge),))  # fmt: skip


class RateLimiter:
    """A token bucket per key: ``burst`` requests at once, refilled at ``per_minute``.

    Keys are callers' names and, for failed attempts, client addresses; the table is
    bounded: past ``MAX_KEYS`` the least recently seen key is forgotten, in constant
    time (an OrderedDict kept in order of use)."""

    MAX_KEYS = 10_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # (tokens, at)

    def take(self, key: str, per_minute: int, burst: int) -> float:
        """0 when ``key`` may go now (one request counted), else the seconds to wait."""
        now = self._clock()
        tokens, at = self._buckets.pop(key, (float(burst), now))  # re-added last: most recent
        tokens = min(float(burst), tokens + (now - at) * per_minute / 60)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) * 60 / per_minute
        self._buckets[key] = (tokens - 1, now)
        self._bound()
        return 0.0

    def _bound(self) -> None:
        while len(self._buckets) > self.MAX_KEYS:
            self._buckets.popitem(last=False)


def throttle(limiter: RateLimiter, key: str, api: ApiSettings) -> None:
    """Count one request of ``key``; a 429 problem when it is over its limit."""
    wait = limiter.take(key, api.rate_limit, api.burst)
    if wait:
        seconds = str(max(1, math.ceil(wait)))
        raise ApiError(429, "rate-limited", f"over {api.rate_limit} requests a minute",
                         headers=(("Retry-After", seconds),))  # fmt: skip
