"""Liveness, readiness and metrics routes on the daemon's listener.

``GET /healthz`` answers 200 "ok" while the process serves requests at all (a liveness
probe: restart me if this fails). ``GET /readyz`` runs every readiness check at once, each
within ``[listener] readiness_timeout``, and answers 200 when all pass, else 503; the
JSON body names each check and why it fails (the store's: "not writable (disk_full)" while
a full disk refuses its writes). Both are public: probes (a load balancer, a
kubelet) carry no token, and they reveal nothing but the check names. ``GET /metrics`` is
the Prometheus text exposition (:mod:`monitor.web.metrics`), behind the bearer token if set.

A check is an async callable returning None when ready, else a short reason. Reasons are
served without authentication, so they never carry an exception's message (which could
name a path or a host); the full error goes to the log when a check changes state.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING

from monitor.config import ListenerSettings
from monitor.listener import HttpListener, Request, Response, StartingResponder
from monitor.store import Store
from monitor.web.metrics import CONTENT_TYPE, Metrics

log = structlog.get_logger("monitor.web.health")

Check = Callable[[], Awaitable[str | None]]  # None: ready; else why not
OK = "ok"


class Health:
    """Named readiness checks; others (a reload in progress, say) add theirs."""

    def __init__(self, timeout: float = 2.0) -> None:
        self.timeout = timeout
        self.checks: dict[str, Check] = {}
        self._last: dict[str, str] = {}

    def add_check(self, name: str, check: Check) -> None:
        self.checks[name] = check

    async def readiness(self) -> dict[str, str]:
        """Every check's verdict: ``"ok"`` or why it is not ready."""
        names = list(self.checks)
        verdicts = await asyncio.gather(*(self._verdict(name) for name in names))
        return dict(zip(names, verdicts, strict=True))

    async def ready(self) -> bool:
        return all(verdict == OK for verdict in (await self.readiness()).values())

    async def _verdict(self, name: str) -> str:
        error: Exception | None = None
        try:
            async with asyncio.timeout(self.timeout):
                verdict = await self.checks[name]() or OK
        except TimeoutError:
            verdict = f"no answer within {self.timeout:g}s"
        except Exception as err:
            error, verdict = err, f"failed ({type(err).__name__})"
        self._log_change(name, verdict, error)
        return verdict

    def _log_change(self, name: str, verdict: str, error: Exception | None) -> None:
        if self._last.get(name, OK) != verdict:
            level = log.info if verdict == OK else log.warning
            level("readiness_changed", check=name, verdict=verdict, error=repr(error))
        self._last[name] = verdict


def store_check(store: Callable[[], Store]) -> Check:
    """The store answers a real query (its schema version): cheap, and it goes through
    the same connection (SQLite: the same thread) as every poll and sweep. And it takes
    writes: not ready from a write refused for a full disk or a read-only file until a
    write check goes through (it writes only then, monitor.store.writability)."""

    async def check() -> str | None:
        await store().schema_version()
        problem = await store().write_check()
        return None if problem is None else f"not writable ({problem.cause})"

    return check


def scheduler_check(scheduler: Callable[[], AsyncIOScheduler | None]) -> Check:
    """Polls are being scheduled: not before ``run_forever`` starts the scheduler, nor
    once shutdown has paused it to drain."""

    async def check() -> str | None:
        current = scheduler()
        if current is not None and current.state == STATE_RUNNING:
            return None
        return "paused" if current is not None and current.state == STATE_PAUSED else "not running"

    return check


def condition_check(condition: Callable[[], bool], reason: str) -> Check:
    async def check() -> str | None:
        return None if condition() else reason

    return check


def listener_for(
    settings: ListenerSettings, starting: StartingResponder | None = None
) -> HttpListener:
    """The daemon's listener; ``starting``: the responder it takes the socket over from."""
    token = settings.token.get_secret_value() if settings.token else None
    return HttpListener(settings.host, settings.port, token=token, starting=starting)


@dataclass(frozen=True, slots=True)
class Readiness:
    """What the daemon's standing readiness checks read."""

    store: Callable[[], Store]  # the store in use now
    started: Callable[[], bool]  # running from its config
    warm: Callable[[], bool] = lambda: True  # the story index holds the window
    workers: Callable[[], bool] | None = None  # the parse processes are up (None: no pool)


def install_daemon_routes(
    listener: HttpListener, health: Health, metrics: Metrics, readiness: Readiness
) -> None:
    """The daemon's readiness checks (started from its config, store answering, story
    index warm, parse processes up when there is a pool; the scheduler's is added by
    ``run_forever``) and the routes on its listener."""
    health.add_check("config", condition_check(readiness.started, "not started"))
    health.add_check("store", store_check(readiness.store))
    health.add_check("stories", condition_check(readiness.warm, "warming"))
    if readiness.workers is not None:
        health.add_check("parse_workers", condition_check(readiness.workers, "starting"))
    install_routes(listener, health, metrics)


async def start_listener(listener: HttpListener, settings: ListenerSettings) -> bool:
    """Serve ``listener`` unless disabled or serving already; True when it serves. A bind
    failure (a port in use) is logged, not fatal: alerts matter more than the listener."""
    if not settings.enabled or listener.serving:
        return listener.serving
    try:
        await listener.start()
    except OSError as err:
        log.error("listener_failed", host=settings.host, port=settings.port, error=str(err))
        return False
    if settings.token is None and not _loopback(settings.host):
        log.warning("listener_without_token", host=settings.host)
    return True


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def install_routes(listener: HttpListener, health: Health, metrics: Metrics) -> None:
    """``/healthz`` and ``/readyz`` (public) and ``/metrics`` on ``listener``."""

    async def healthz(_request: Request) -> Response:
        return Response(200, b"ok\n")

    async def readyz(_request: Request) -> Response:
        verdicts = await health.readiness()
        ready = all(verdict == OK for verdict in verdicts.values())
        body = {"status": "ready" if ready else "not ready", "checks": verdicts}
        return Response(200 if ready else 503, _json(body), "application/json")

    async def scrape(_request: Request) -> Response:
        return Response(200, metrics.render(), CONTENT_TYPE)

    listener.route("GET", "/healthz", healthz, public=True)
    listener.route("GET", "/readyz", readyz, public=True)
    listener.route("GET", "/metrics", scrape)


def _json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True).encode() + b"\n"
