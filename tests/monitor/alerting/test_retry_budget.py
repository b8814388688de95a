"""Retry storms against a real loopback webhook: 429/503 with Retry-After for a while.

The receiver refuses every request during the storm; the test's clock moves from one
pending delivery's next attempt to the next, so a storm of an hour runs in moments and
nothing sleeps. A storm inside the retry budget loses nothing, however short the
Retry-After and however many attempts it takes; one that outlasts the budget ends in
dead letters that say why.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import httpx
import pytest
from structlog.testing import capture_logs

from monitor.alerting.retries import RETRY_FLOOR
from monitor.store.interface import Store
from tests.support.desk import Desk, keys, webhook
from tests.support.receiver import HttpReceiver, Response
from tests.support.stories import NOW

STORIES = ("s1", "s2", "s3", "s4")
BUDGET = timedelta(seconds=90)  # of max_attempts = 3: 30 s + 60 s
SWEEPS_AT_MOST = 500  # a guard against a loop that never ends, far above any case here


async def _sweep_until(desk: Desk, end: timedelta | None) -> Counter[str]:
    """Sweep at each pending delivery's next attempt, while one is due before ``end``
    (from NOW; None: while any is pending)."""
    outcomes: Counter[str] = Counter()
    for _ in range(SWEEPS_AT_MOST):
        moment = await desk.next_attempt()
        if moment is None or (end is not None and moment >= NOW + end):
            return outcomes
        outcomes.update(await desk.sweep_when_due())
    raise AssertionError(f"still pending after {SWEEPS_AT_MOST} sweeps")


@pytest.mark.parametrize(
    ("status", "retry_after", "storm"),
    [
        # What the old attempt count (8 by default) could not survive: 8 attempts 2 s apart
        # are spent in 14 s, 5 s apart in 35 s, 0 s apart at once.
        (429, "2", timedelta(seconds=20)),
        (429, "5", timedelta(seconds=45)),
        (429, "0", timedelta(seconds=1)),
        (503, "2", timedelta(seconds=20)),
        (503, "0", timedelta(minutes=10)),
        # Anything inside the default budget (63.5 min) is survived.
        (429, "2", timedelta(minutes=60)),
        (503, "5", timedelta(minutes=63)),
    ],
)
async def test_a_storm_inside_the_retry_budget_loses_nothing(
    store: Store, http: httpx.AsyncClient, status: int, retry_after: str, storm: timedelta
) -> None:
    refusal = Response(status, {"Retry-After": retry_after}, b"slow down")
    with HttpReceiver(default=refusal) as receiver:
        desk = Desk(store, {"hook": webhook(receiver.url(), http)}, max_attempts=8)
        for story in STORIES:
            await desk.alert(story)
        with capture_logs() as logs:
            during = Counter(await desk.sweep()) + await _sweep_until(desk, storm)
            receiver.default = Response(200)  # the storm is over
            calm = len(receiver.requests)
            after = await _sweep_until(desk, None)
        accepted = keys(receiver.requests[calm:])
    assert set(during) == {"retry"} and during["retry"] >= len(STORIES)
    assert after == {"sent": len(STORIES)}
    assert await desk.states() == {"sent": len(STORIES)}
    assert sorted(accepted) == sorted(set(accepted)) and len(accepted) == len(STORIES)
    assert not [entry for entry in logs if entry["event"] == "delivery_dead"]


@pytest.mark.parametrize(("status", "retry_after"), [(429, "2"), (503, "0"), (503, "")])
async def test_a_storm_outlasting_the_budget_dead_letters_saying_why(
    store: Store, http: httpx.AsyncClient, status: int, retry_after: str
) -> None:
    """max_attempts = 3: a budget of 90 s from the first attempt, whatever Retry-After says."""
    headers = {"Retry-After": retry_after} if retry_after else {}
    with HttpReceiver(default=Response(status, headers, b"busy")) as receiver:
        desk = Desk(store, {"hook": webhook(receiver.url(), http)}, max_attempts=3)
        await desk.alert("s1")
        with capture_logs() as logs:
            outcomes = Counter(await desk.sweep()) + await _sweep_until(desk, None)
        attempts = len(receiver.requests)
    assert outcomes == {"retry": attempts - 1, "dead": 1}
    # The last try is where the budget ends (or a second after the try before it).
    assert BUDGET <= desk.now - NOW <= BUDGET + RETRY_FLOOR
    (dead,) = [entry for entry in logs if entry["event"] == "delivery_dead"]
    assert (dead["reason"], dead["attempts"]) == ("retry_budget_spent", attempts)
    assert dead["retried_for"] == pytest.approx((desk.now - NOW).total_seconds(), abs=0.05)
    assert dead["error"] == f"webhook 'hook' returned {status}: busy"
    assert await desk.states() == {"dead": 1}
