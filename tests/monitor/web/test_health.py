"""/healthz and /readyz: readiness follows the store, the daemon's start and its checks;
the token guards everything else on the daemon's listener; the token's settings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from monitor.config.settings import ConfigError, load_config
from monitor.daemon.daemon import Daemon
from monitor.listener.server import HttpListener
from monitor.store.cancelled import answered_after_cancel
from monitor.store.factory import open_store
from monitor.web.health import (
    Health,
    Readiness,
    install_daemon_routes,
    install_routes,
    listener_for,
    start_listener,
)
from monitor.web.metrics import Metrics
from tests.support.pushing import pushing

TOKEN = "health-token-0123"


def _write_config(tmp_path: Path, listener: str = "") -> Path:
    path = tmp_path / "ww.toml"
    path.write_text(
        f'[daemon]\nparse_workers = 0\n[store]\npath = "{tmp_path / "ww.db"}"\n'
        f"[listener]\nport = 0\n{listener}"
        '[[feeds]]\nurl = "http://127.0.0.1:9/feed.xml"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(name="daemon")
async def _daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    """A started daemon serving its listener (as ``run`` does), not polling."""
    daemon = await Daemon.build(load_config(_write_config(tmp_path, f'token = "{TOKEN}"\n')))
    assert await start_listener(daemon.listener, daemon.config.settings.listener)
    try:
        yield daemon
    finally:
        await daemon.close()


async def test_readiness_flips_to_503_when_the_store_is_gone_and_back(daemon: Daemon) -> None:
    async with httpx.AsyncClient(base_url=daemon.listener.url) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        checks = {"config": "ok", "store": "ok", "stories": "ok"}
        assert ready.json() == {"status": "ready", "checks": checks}

        await daemon.store.close()  # the database is unreachable
        gone = await http.get("/readyz")
        assert gone.status_code == 503
        assert gone.json()["status"] == "not ready"
        assert gone.json()["checks"]["store"].startswith("failed (")
        assert gone.json()["checks"]["config"] == "ok"
        assert (await http.get("/healthz")).status_code == 200  # alive all the same

        daemon.store = open_store(daemon.config.settings.store)  # back
        await daemon.store.open()
        back = await http.get("/readyz")
        assert back.status_code == 200, back.text


async def test_a_daemon_not_started_is_alive_but_not_ready(tmp_path: Path) -> None:
    # Daemon.build installs these routes once started; here only the store is up.
    config = load_config(_write_config(tmp_path))
    store = open_store(config.settings.store)
    await store.open()
    listener = listener_for(config.settings.listener)
    readiness = Readiness(store=lambda: store, started=lambda: False, warm=lambda: False)
    install_daemon_routes(listener, Health(), Metrics(version="test"), readiness)
    try:
        assert await start_listener(listener, config.settings.listener)
        async with httpx.AsyncClient(base_url=listener.url) as http:
            assert (await http.get("/healthz")).text == "ok\n"
            answer = await http.get("/readyz")
        assert answer.status_code == 503
        checks = {"config": "not started", "store": "ok", "stories": "warming"}
        assert answer.json()["checks"] == checks
    finally:
        await listener.stop()
        await store.close()


ROUTES = [("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/status"),
          ("POST", "/-/reload")]  # fmt: skip
HEADERS = {"none": {}, "wrong": {"Authorization": "Bearer nope"},
           "right": {"Authorization": f"Bearer {TOKEN}"}}  # fmt: skip


async def test_the_daemon_token_guards_all_but_the_probes(daemon: Daemon) -> None:
    refused: dict[tuple[str, str], bool] = {}
    async with httpx.AsyncClient(base_url=daemon.listener.url) as http:
        for method, path in ROUTES:
            for name, headers in HEADERS.items():
                answer = await http.request(method, path, headers=headers)
                refused[path, name] = answer.status_code == 401
                if refused[path, name]:
                    assert answer.headers["www-authenticate"].startswith("Bearer")
    expected = {
        (path, name): path not in {"/healthz", "/readyz"} and name != "right"
        for _, path in ROUTES
        for name in HEADERS
    }
    assert refused == expected


@pytest.fixture(name="probe")
async def _probe() -> AsyncIterator[tuple[Health, HttpListener]]:
    health, listener = Health(timeout=0.05), HttpListener("127.0.0.1", 0)
    install_routes(listener, health, Metrics(version="test"))
    await listener.start()
    try:
        yield health, listener
    finally:
        await listener.stop()


async def test_a_check_that_hangs_or_raises_is_named_without_its_message(
    probe: tuple[Health, HttpListener], caplog: pytest.LogCaptureFixture
) -> None:
    health, listener = probe
    never = asyncio.Event()

    async def hangs() -> str | None:
        await never.wait()
        return None

    async def raises() -> str | None:
        raise RuntimeError("postgresql://user:hunter2@db/ww is down")

    health.add_check("slow", hangs)
    health.add_check("broken", raises)
    async with httpx.AsyncClient(base_url=listener.url) as http:
        answer = await http.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {
        "slow": "no answer within 0.05s", "broken": "failed (RuntimeError)"
    }  # fmt: skip
    assert "hunter2" not in answer.text


async def test_a_store_call_that_ends_as_its_check_times_out_is_a_timeout() -> None:
    # A store call cancelled as its write ends waits for it, then raises what the store's
    # edge raises (decision 0081): Python 3.11's asyncio.timeout must read it as its own.
    answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def ends_as_cancelled() -> str | None:
        try:
            await asyncio.shield(answer)
        except asyncio.CancelledError:
            answer.set_result(1)  # the write ends: stored
            await answered_after_cancel(answer, None)
        return None

    health = Health(timeout=0.05)
    health.add_check("store", ends_as_cancelled)
    assert await health.readiness() == {"store": "no answer within 0.05s"}
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_readiness_changes_are_logged_once_per_change(
    probe: tuple[Health, HttpListener], capsys: pytest.CaptureFixture[str]
) -> None:
    health, _ = probe
    up = True

    async def flaky() -> str | None:
        return None if up else "down"

    health.add_check("thing", flaky)
    for state in (True, False, False, True):
        up = state
        await health.readiness()
    logged = [line for line in capsys.readouterr().out.splitlines() if "readiness_changed" in line]
    assert len(logged) == 2  # down, then back up


def test_the_token_comes_from_the_environment_and_is_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIREWATCH_LISTENER__TOKEN", TOKEN)
    settings = load_config(_write_config(tmp_path)).settings.listener
    assert settings.token is not None and settings.token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())


@pytest.mark.parametrize("token", ["", "has space", "new\\nline", "ümlaut"])
def test_a_token_that_cannot_be_a_bearer_token_is_a_config_error(
    tmp_path: Path, token: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(_write_config(tmp_path, f'token = "{token}"\n'))
    (error,) = raised.value.errors
    assert "listener.token" in error and "RFC 6750" in error


@pytest.mark.parametrize(
    ("listener", "websub"),
    [("", False), ('public_url = "https://ww.example"\n', True), ("websub = true\n", True),
     ('public_url = "https://ww.example"\nwebsub = false\n', False)],
)  # fmt: skip
def test_websub_needs_a_public_url_or_asking(tmp_path: Path, listener: str, websub: bool) -> None:
    settings = load_config(_write_config(tmp_path, listener)).settings.listener
    assert settings.enabled  # the listener itself is on by default
    assert settings.websub_enabled is websub


async def test_websub_callbacks_stay_public_when_a_token_is_set(tmp_path: Path) -> None:
    path = _write_config(tmp_path, f'token = "{TOKEN}"\nwebsub = true\n')
    daemon = await Daemon.build(load_config(path))
    try:
        async with pushing(daemon), httpx.AsyncClient(base_url=daemon.listener.url) as http:
            callback = await http.get("/websub/unknown", params={"hub.mode": "subscribe"})
            scrape = await http.get("/metrics")
        assert callback.status_code == 404  # the WebSub handler answered, not the token check
        assert scrape.status_code == 401
    finally:
        await daemon.close()
