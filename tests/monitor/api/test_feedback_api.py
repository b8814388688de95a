"""``POST /api/v1/alerts/{alert_id}/feedback`` on a real listener: a write token's verdict
is kept under its name beside earlier ones and shows on the alert and the rule; a read
token may not give one; an unknown alert or a verdict not in the list is a problem."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from structlog.testing import capture_logs

from tests.support.api_world import ApiWorld, api_world, write_config

READ, WRITE = "read-token-" + "r" * 24, "write-token-" + "w" * 24  # 32+ characters
PROBLEM = "application/problem+json"


@pytest.fixture(name="world")
async def _world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ApiWorld]:
    monkeypatch.setenv("TEST_API_READ", READ)
    monkeypatch.setenv("TEST_API_WRITE", WRITE)
    tokens = {"read_env": "TEST_API_READ", "write_env": "TEST_API_WRITE"}
    async with api_world(write_config(tmp_path, tokens=tokens)) as served:
        yield served


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_verdict_is_kept_under_the_tokens_name_and_shows_on_the_alert(
    world: ApiWorld,
) -> None:
    url = world.url + "/alerts/al_h1/feedback"
    async with httpx.AsyncClient(headers=_auth(WRITE)) as client:
        with capture_logs() as logs:
            first = await client.post(url, json={"verdict": "useful"})
        second = await client.post(url, json={"verdict": "false_positive", "note": "  учения  "})
        alert = (await client.get(world.url + "/alerts/al_h1")).json()
        rules = (
            await client.get(world.url + "/rules", params={"since": "2026-03-01T00:00:00Z"})
        ).json()
    assert first.status_code == 201 and first.headers["location"] == "/api/v1/alerts/al_h1"
    assert first.json()["verdict"] == "useful" and first.json()["judged_by"] == "writer"
    assert second.json()["note"] == "учения"
    assert alert["verdict"]["verdict"] == "false_positive"
    assert [item["verdict"] for item in alert["feedback"]] == ["useful", "false_positive"]
    homs = next(rule for rule in rules["items"] if rule["name"] == "homs")
    assert homs["feedback"]["precision"] == 0.0
    assert any(entry["event"] == "api_write" and entry["caller"] == "writer" for entry in logs)
    assert WRITE not in str(logs)


@pytest.mark.parametrize(
    ("token", "path", "body", "status", "kind"),
    [
        (READ, "/alerts/al_h1/feedback", {"verdict": "useful"}, 403, "insufficient-scope"),
        (WRITE, "/alerts/al_nope/feedback", {"verdict": "useful"}, 404, "not-found"),
        (WRITE, "/alerts/al_h1/feedback", {"verdict": "great"}, 400, "invalid"),
        (
            WRITE,
            "/alerts/al_h1/feedback",
            {"verdict": "useful", "note": "x" * 2001},
            400,
            "invalid",
        ),
        (WRITE, "/alerts/al_h1/feedback", {"verdict": "useful", "who": "me"}, 400, "invalid"),
    ],
    ids=["read-token", "unknown-alert", "unknown-verdict", "long-note", "extra-field"],
)
async def test_what_cannot_be_recorded_is_a_problem_and_keeps_nothing(
    world: ApiWorld, token: str, path: str, body: dict[str, str], status: int, kind: str
) -> None:
    async with httpx.AsyncClient(headers=_auth(token)) as client:
        answer = await client.post(world.url + path, json=body)
    assert answer.status_code == status
    assert answer.headers["content-type"] == PROBLEM and kind in answer.json()["type"]
    assert await world.store.feedback_history(["al_h1"]) == {}
