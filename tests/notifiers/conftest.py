"""Fixtures for notifier tests: real loopback servers, an HTTP client, an alert builder."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from notifiers import Alert
from tests.support.receiver import http_receiver
from tests.support.smtp import smtp_server

__all__ = ["http_receiver", "smtp_server"]  # re-exported so pytest registers the fixtures

AlertFactory = Callable[..., Alert]

BASE_ALERT = Alert(
    alert_id="a1b2c3d4e5f60718",
    story_id="story-0042",
    rule="harbour-closures",
    severity="high",
    title="Port authority shuts northern harbour after crane collapse",
    link="https://news.example.org/harbour/crane-collapse",
    summary="Officials closed the northern harbour overnight.\nShipping was rerouted south.",
    feed="Example Coastal Wire",
    published=datetime(2024, 5, 1, 6, 30, tzinfo=UTC),
    first_seen=datetime(2024, 5, 1, 6, 32, 10, tzinfo=UTC),
    matched_terms=("harbour", "crane"),
    outlets=3,
)


@pytest.fixture
def make_alert() -> AlertFactory:
    """Build an :class:`Alert` from a plausible invented default, overriding any field."""

    def build(**changes: Any) -> Alert:
        return dataclasses.replace(BASE_ALERT, **changes)

    return build


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    """A real httpx client, as the daemon shares one between notifiers."""
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client
