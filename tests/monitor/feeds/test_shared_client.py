"""The HTTP client the notifiers share: its pool never holds back a route's sends."""

from __future__ import annotations

import asyncio
import threading

from monitor.config import DaemonSettings
from monitor.feeds.request_options import http_client
from tests.support.receiver import HttpReceiver, Response

AT_ONCE = 120  # more than httpx's default pool of 100 connections


async def test_the_shared_client_holds_more_sends_at_once_than_a_default_pool() -> None:
    """Every answer held: all the sends reach the receiver together. With httpx's default
    pool the ones past 100 would wait for a connection until the pool timeout failed them,
    although each route's concurrency (up to 256) allows them."""
    gate = threading.Event()
    with HttpReceiver(default=Response(gate=gate)) as receiver:
        async with http_client(DaemonSettings()) as http:
            posts = [
                asyncio.create_task(http.post(receiver.url(), content=b"{}"))
                for _ in range(AT_ONCE)
            ]
            try:
                await asyncio.to_thread(receiver.wait_for, AT_ONCE)
            finally:
                gate.set()
                answers = await asyncio.gather(*posts)
    assert [answer.status_code for answer in answers] == [200] * AT_ONCE
