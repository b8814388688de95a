"""Who may call the API, on a real listener: bearer tokens with read or write scope, the
API closed to the network without one, per-token rate limits, writes logged by name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import httpx
import pytest
from pydantic import BaseModel
from structlog.testing import capture_logs

from monitor.api import ApiSource, Call, Endpoint, Reply, build_router
from monitor.api.access import RateLimiter
from monitor.config import ApiScope, ConfigError, load_config
from monitor.daemon.reload import config_changes
from monitor.listener import Request
from monitor.store import Store
from tests.support.api_world import NOW, ApiWorld, api_world, write_config

READ, WRITE = "read-token-" + "r" * 24, "write-token-" + "w" * 24  # 32+ characters
PROBLEM = "application/problem+json"


class Done(BaseModel):
    done: bool


async def _touch(_call: Call) -> Reply:
    return Reply(Done(done=True))


def _add_write_route(world: ApiWorld) -> None:
    world.router.add(Endpoint("POST", "/touch", _touch, "touch", "test", Done,
                              scope=ApiScope.WRITE))  # fmt: skip


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("TEST_API_READ", READ)
    monkeypatch.setenv("TEST_API_WRITE", WRITE)
    return {"read_env": "TEST_API_READ", "write_env": "TEST_API_WRITE"}


@pytest.fixture
async def guarded(tmp_path: Path, tokens: dict[str, str]) -> AsyncIterator[ApiWorld]:
    async with api_world(write_config(tmp_path, tokens=tokens)) as world:
        _add_write_route(world)
        yield world


@pytest.fixture
async def open_world(tmp_path: Path) -> AsyncIterator[ApiWorld]:
    async with api_world(write_config(tmp_path)) as world:
        _add_write_route(world)
        yield world


@pytest.mark.parametrize(
    ("method", "path", "authorization", "status", "challenge"),
    [
        ("GET", "/stories", None, 401, 'Bearer realm="wirewatch"'),
        ("GET", "/stories", "Bearer wrong-token", 401, 'error="invalid_token"'),
        ("GET", "/stories", f"Basic {READ}", 401, 'Bearer realm="wirewatch"'),
        ("GET", "/stories", f"Bearer {READ}x", 401, 'error="invalid_token"'),
        ("GET", "/stories", f"Bearer {READ}", 200, None),
        ("GET", "/stories", f"bearer {WRITE}", 200, None),
        ("POST", "/touch", f"Bearer {READ}", 403, 'error="insufficient_scope"'),
        ("POST", "/touch", f"Bearer {WRITE}", 200, None),
        ("POST", "/touch", None, 401, 'Bearer realm="wirewatch"'),
        ("GET", "/openapi.json", None, 200, None),  # the document is public
    ],
)
async def test_tokens_and_scopes(
    guarded: ApiWorld,
    method: str,
    path: str,
    authorization: str | None,
    status: int,
    challenge: str | None,
) -> None:
    headers = {"authorization": authorization} if authorization else {}
    async with httpx.AsyncClient() as client:
        response = await client.request(method, guarded.url + path, headers=headers)
    assert response.status_code == status
    if status >= 400:
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["status"] == status
        assert challenge is not None and challenge in response.headers["www-authenticate"]
        assert READ not in response.text and WRITE not in response.text


async def test_without_tokens_loopback_clients_may_read_and_write(open_world: ApiWorld) -> None:
    async with httpx.AsyncClient() as client:
        assert (await client.get(open_world.url + "/stories")).status_code == 200
        assert (await client.post(open_world.url + "/touch")).status_code == 200


@pytest.mark.parametrize("client", ["192.0.2.7", "10.0.0.1", "::ffff:203.0.113.9", ""])
async def test_without_tokens_other_clients_are_refused(open_world: ApiWorld, client: str) -> None:
    # The peer address is the listener's to fill in; loopback is all a test can reach.
    request = Request("GET", "/api/v1/stories", {}, {}, b"", client)
    response = await open_world.router.handle(request)
    assert response.status == 403
    assert response.content_type == PROBLEM
    assert b"loopback-only" in response.body


async def test_each_token_has_its_own_rate_limit(tmp_path: Path, tokens: dict[str, str]) -> None:
    config = write_config(tmp_path, tokens=tokens, rate_limit=1, burst=2)
    async with api_world(config) as world, httpx.AsyncClient() as client:
        reader = {"authorization": f"Bearer {READ}"}
        statuses = [(await client.get(world.url + "/stories", headers=reader)).status_code
                     for _ in range(3)]  # fmt: skip
        limited = await client.get(world.url + "/stories", headers=reader)
        other = await client.get(
            world.url + "/stories", headers={"authorization": f"Bearer {WRITE}"}
        )
    assert statuses == [200, 200, 429]
    assert limited.headers["content-type"] == PROBLEM
    assert int(limited.headers["retry-after"]) >= 1
    assert other.status_code == 200


async def test_failed_attempts_are_limited_per_address(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    config = write_config(tmp_path, tokens=tokens, rate_limit=1, burst=2)
    async with api_world(config) as world, httpx.AsyncClient() as client:
        wrong = {"authorization": "Bearer guess"}
        statuses = [(await client.get(world.url + "/stories", headers=wrong)).status_code
                    for _ in range(3)]  # fmt: skip
    assert statuses == [401, 401, 429]


async def test_the_listener_token_may_read_but_not_write(tmp_path: Path) -> None:
    listener_token = "l" * 40
    config = write_config(tmp_path)
    config.write_text(config.read_text() + f'\n[listener]\ntoken = "{listener_token}"\n')
    async with api_world(config) as world, httpx.AsyncClient() as client:
        _add_write_route(world)
        bearer = {"authorization": f"Bearer {listener_token}"}
        read = await client.get(world.url + "/stories", headers=bearer)
        write = await client.post(world.url + "/touch", headers=bearer)
    assert (read.status_code, write.status_code) == (200, 403)
    assert 'error="insufficient_scope"' in write.headers["www-authenticate"]


def test_the_rate_table_forgets_the_least_recently_seen_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(RateLimiter, "MAX_KEYS", 2)
    limiter = RateLimiter(clock=lambda: 0.0)  # frozen: no bucket refills
    assert [limiter.take("old", 1, 2) for _ in range(2)] == [0.0, 0.0]  # now empty
    assert limiter.take("recent", 1, 2) == 0.0
    assert limiter.take("new", 1, 2) == 0.0  # a third key: "old" is forgotten
    assert limiter.take("old", 1, 2) == 0.0  # a fresh bucket (forgets "recent")
    assert limiter.take("new", 1, 2) == 0.0
    assert limiter.take("new", 1, 2) > 0  # still remembered: its bucket is empty


async def test_a_write_is_logged_with_the_token_name_never_its_value(guarded: ApiWorld) -> None:
    with capture_logs() as logs:
        async with httpx.AsyncClient() as client:
            await client.post(guarded.url + "/touch", headers={"authorization": f"Bearer {WRITE}"})
    writes = [entry for entry in logs if entry["event"] == "api_write"]
    assert writes == [{"event": "api_write", "log_level": "info", "caller": "writer",
                       "method": "POST", "path": "/api/v1/touch", "status": 200}]  # fmt: skip
    assert WRITE not in repr(logs)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nope", 404), ("DELETE", "/stories", 405), ("GET", "", 404),
     ("POST", "/touch/extra", 404)],
)  # fmt: skip
async def test_unknown_routes_and_methods_are_problems(
    open_world: ApiWorld, method: str, path: str, status: int
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.request(method, open_world.url + path)
    assert response.status_code == status
    assert response.json()["type"].startswith("urn:wirewatch:problem:")
    if status == 405:
        assert response.headers["allow"] == "GET"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('{ name = "ci", token_env = "TEST_API_UNSET" }', "TEST_API_UNSET is not set"),
        ('{ name = "ci", token_env = "TEST_API_BAD" }', "RFC 6750"),
        ('{ name = "ci", token_env = "TEST_API_SHORT" }', "TEST_API_SHORT: a token is at least 32"),
        ('{ name = "ci", token_env = "TEST_API_READ", secret = "has spaces in it" }',
         "never in the config"),
        ('{ name = "ci", secret = "has spaces in it" }', "never in the config"),
        ('{ name = "c i", token_env = "TEST_API_READ" }', "token name"),
        ('{ name = "ci", scope = "admin", token_env = "TEST_API_READ" }', "scope"),
        ('{ name = "ci", token_env = "TEST_API_READ" }, { name = "ci", token_env = '
         '"TEST_API_WRITE" }', "share a name"),
    ],
)  # fmt: skip
def test_token_config_errors_name_the_problem(
    tmp_path: Path, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch, table: str,
    message: str,
) -> None:  # fmt: skip
    monkeypatch.delenv("TEST_API_UNSET", raising=False)
    monkeypatch.setenv("TEST_API_BAD", "has spaces in it" + "x" * 32)
    monkeypatch.setenv("TEST_API_SHORT", "has-spaces-in-it")  # 16 characters
    path = tmp_path / "ww.toml"
    path.write_text(f'[store]\npath = "{tmp_path / "ww.db"}"\n[api]\ntokens = [{table}]\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert any(message in error for error in raised.value.errors), raised.value.errors
    assert "has spaces" not in repr(raised.value.errors)
    assert "has-spaces" not in repr(raised.value.errors)


async def test_a_reload_applies_new_tokens_at_the_next_request(
    tmp_path: Path, tokens: dict[str, str]
) -> None:
    before = load_config(write_config(tmp_path))
    after = load_config(write_config(tmp_path, tokens=tokens))
    running = [before]
    source = ApiSource(cast(Store, None), lambda: running[-1], lambda: NOW)
    router = build_router(source)
    request = Request("GET", "/api/v1/openapi.json", {}, {}, b"", "192.0.2.7")
    refused = await router.handle(request)  # no token: loopback only
    running.append(after)
    served = await router.handle(request)  # tokens now: the document is public
    assert (refused.status, served.status) == (403, 200)
    assert "api" in config_changes(before, after).settings_changed
