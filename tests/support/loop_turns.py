"""Turns of the event loop, so every task made ready meanwhile runs to its next wait."""

from __future__ import annotations

import asyncio

TURNS = 50  # far more than any chain of wake-ups in the code under test


async def run_ready_tasks() -> None:
    """Let the loop turn without any clock: a task that was about to start (a fourth
    send, an overtaking update) has started by the time this returns."""
    for _ in range(TURNS):
        await asyncio.sleep(0)
