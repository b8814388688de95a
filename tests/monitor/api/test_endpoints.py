"""The endpoints over HTTP as a client uses them: alerts filtered and paged, one alert
with its deliveries, rules with counts, feeds' health, silences added and expired,
surges, stories by id; times in UTC, ids stable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.records import AlertVerdict, Feedback
from tests.support.api_world import NOW, ApiWorld, api_world, write_config


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[ApiWorld]:
    async with api_world(write_config(tmp_path)) as served:
        yield served


async def _get(world: ApiWorld, path: str, **params: str) -> Any:
    async with httpx.AsyncClient() as client:
        response = await client.get(world.url + path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["al_l2", "al_l1", "al_h1"]),
        ({"rule": "homs"}, ["al_l2", "al_h1"]),
        ({"severity": "high"}, ["al_l1"]),
        ({"story_id": "s_homs"}, ["al_h1"]),
        ({"state": "pending"}, ["al_l2", "al_l1", "al_h1"]),
        ({"state": "sent"}, []),
        ({"since": "2026-03-02T10:00:00Z"}, ["al_l2", "al_l1"]),
        ({"until": "2026-03-02T11:05:00Z"}, ["al_l1", "al_h1"]),
    ],
)
async def test_alerts_are_filtered(
    world: ApiWorld, params: dict[str, str], expected: list[str]
) -> None:
    page = await _get(world, "/alerts", **params)
    assert [alert["alert_id"] for alert in page["items"]] == expected


async def test_alerts_page_by_cursor(world: ApiWorld) -> None:
    first = await _get(world, "/alerts", limit="2")
    second = await _get(world, "/alerts", limit="2", cursor=first["next_cursor"])
    assert [a["alert_id"] for a in first["items"] + second["items"]] == ["al_l2", "al_l1", "al_h1"]
    assert second["next_cursor"] is None


async def test_one_alert_has_each_delivery(world: ApiWorld) -> None:
    alert = await _get(world, "/alerts/al_l1")
    assert alert["rule"] == "hezbollah-syria"
    assert alert["created_at"] == "2026-03-02T11:00:00Z"
    assert [(d["notifier"], d["state"]) for d in alert["deliveries"]] == [("hook", "pending")]


@pytest.mark.parametrize("path", ["/alerts/al_nope", "/stories/s_nope", "/silences/999"])
async def test_unknown_ids_are_404_problems(world: ApiWorld, path: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(world.url + path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["instance"] == "/api/v1" + path


async def test_rules_carry_their_match_counts_and_precision(world: ApiWorld) -> None:
    async with httpx.AsyncClient() as client:
        for alert_id, verdict in (("al_l2", "useful"), ("al_h1", "false_positive")):
            mark = Feedback(alert_id, AlertVerdict(verdict), "test", NOW)
            assert await world.store.record_feedback(mark) is not None
        rules = (
            await client.get(world.url + "/rules", params={"since": "2026-03-01T00:00:00Z"})
        ).json()["items"]
        alert = (await client.get(world.url + "/alerts/al_h1")).json()
    assert [(r["name"], r["alerts"], r["stories"]) for r in rules] == [
        ("hezbollah-syria", 1, 1), ("homs", 2, 2)]  # fmt: skip
    assert [r["feedback"]["precision"] for r in rules] == [None, 0.5]
    assert [(r["feedback"]["useful"], r["feedback"]["false_positive"]) for r in rules] == [
        (0, 0), (1, 1)]  # fmt: skip
    assert alert["verdict"]["verdict"] == "false_positive"
    assert [item["judged_by"] for item in alert["feedback"]] == ["test"]


async def test_feeds_show_health_without_credentials(world: ApiWorld) -> None:
    feeds = (await _get(world, "/feeds"))["items"]
    assert [(f["feed"], f["url"], f["status"]) for f in feeds] == [
        ("Levant Desk", "https://levant.example/feed.xml", "never polled"),
        ("Moscow Wire", "https://moscow.example/rss", "never polled"),
    ]


async def test_surges_list_what_fired(world: ApiWorld) -> None:
    surges = (await _get(world, "/surges", since="2026-03-01T00:00:00Z"))["items"]
    assert [(s["state"], s["key"], s["rule"]) for s in surges] == [
        ("fired", "latakia", "surge:name:latakia")]  # fmt: skip


async def test_a_silence_is_added_listed_and_expired(world: ApiWorld) -> None:
    async with httpx.AsyncClient() as client:
        body = {"rule": "hezbollah-syria", "reason": "drill", "duration_seconds": 3600}
        added = await client.post(world.url + "/silences", json=body)
        assert added.status_code == 201
        silence = added.json()
        assert added.headers["location"] == f"/api/v1/silences/{silence['silence_id']}"
        assert (silence["expires_at"], silence["active"]) == ("2026-03-02T13:00:00Z", True)
        listed = (await client.get(world.url + "/silences")).json()["items"]
        expired = await client.delete(world.url + f"/silences/{silence['silence_id']}")
        again = await client.delete(world.url + f"/silences/{silence['silence_id']}")
        active = (await client.get(world.url + "/silences")).json()["items"]
        kept = (await client.get(world.url + "/silences", params={"all": "true"})).json()["items"]
    assert [s["rule"] for s in listed] == ["hezbollah-syria", "homs"]
    assert (expired.status_code, expired.json()["active"]) == (200, False)
    assert expired.json()["expires_at"] == "2026-03-02T12:00:00Z"
    assert again.status_code == 409
    assert [s["rule"] for s in active] == ["homs"]
    assert [s["rule"] for s in kept] == ["hezbollah-syria", "homs"]


@pytest.mark.parametrize(
    ("body", "status", "names"),
    [
        ({"reason": "x", "duration_seconds": 600}, 400, ["body"]),
        ({"rule": "nope", "reason": "x", "duration_seconds": 600}, 422, ["rule"]),
        ({"rule": "homs", "notifier": "nope", "reason": "x", "duration_seconds": 600}, 422,
         ["notifier"]),
        ({"rule": "homs", "reason": "x", "duration_seconds": 1}, 400, ["duration_seconds"]),
        ({"rule": "homs", "reason": "x", "duration_seconds": 600, "extra": 1}, 400, ["extra"]),
    ],
)  # fmt: skip
async def test_a_bad_silence_is_refused_naming_the_field(
    world: ApiWorld, body: dict[str, object], status: int, names: list[str]
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(world.url + "/silences", json=body)
    assert response.status_code == status
    assert [error["name"] for error in response.json()["errors"]] == names


async def test_a_body_that_is_not_json_is_refused(world: ApiWorld) -> None:
    async with httpx.AsyncClient() as client:
        wrong_type = await client.post(world.url + "/silences", content=b"{}")
        not_json = await client.post(world.url + "/silences", content=b"{",
                                     headers={"content-type": "application/json"})  # fmt: skip
    assert wrong_type.status_code == 415
    assert not_json.status_code == 400
