"""Three daemons on one PostgreSQL database, one killed with SIGKILL and one stopped with
SIGTERM, poll 300 loopback feeds and alert a loopback webhook receiver.

Done means: every expected alert is delivered exactly once by its Idempotency-Key (a
resend of the same key after a kill is allowed: the receiver drops it; two different keys
for one story, rule and event are not), no delivery is left pending, and polling stays
live: every feed the killed daemon held is polled again by a survivor, every feed is
polled by the survivors after the kill and twice by the last daemon after the stop, and
no lease is left naming the killed or the stopped daemon. Liveness is counted in polls
and lease rows, never timed: how long a poll waits depends on the machine's load.

The farm (``tests/support/syndication.py``) serves groups of feeds carrying the same
stories under outlet-specific headlines; each round every group publishes a new story.
Each daemon sends its own User-Agent, so the farm's request log says who polled which
feed when. Every step waits on what can be observed (farm requests, lease rows, the
receiver's requests, process exits); the timeouts are hang guards.
"""

from __future__ import annotations

import signal
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.daemon_process import DaemonProcess
from tests.support.receiver import HttpReceiver, ReceivedRequest
from tests.support.stores import POSTGRES_URL, postgres_schema_sync
from tests.support.syndication import Story, SyndicationFarm, story_code_in

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]

# 300 feeds: more than the three daemons' claim batches (64) together, so each holds
# leases the others must take over; 1,000 took minutes longer for the same assertions.
FEEDS, GROUP_SIZE = 300, 10
INTERVAL, LEASE = 10.0, 5.0  # seconds: a feed's poll interval, a claimed feed's lease
SWEEPS = 2  # full rounds of polls the last daemon makes alone: it keeps polling every feed
INSTANCES = ("chaos-a", "chaos-b", "chaos-c")
HANG_GUARD = 300.0  # a hang guard only: a step under a shared machine's load takes longer
CONFIG = """
[daemon]
instance = "{instance}"
user_agent = "{instance}"
jitter = 0
min_interval = 1
parse_workers = 0
concurrency = 64
host_concurrency = 16
host_spacing = 0
dispatch_interval = 1
backoff_base = 5  # a failed poll is retried within the gap the test allows
backoff_max = 10
shutdown_timeout = 15
[store]
url = "{url}"
pool_max_size = 4
lease_seconds = {lease}
claim_interval = 1
claim_batch = 64
[listener]
enabled = false
[log]
format = "json"
level = "warning"
levels = {{ "monitor.daemon.collector" = "info" }}  # gc_frozen: the daemon is ready
[notifiers.hook]
type = "webhook"
url = "{hook}"
[alerting.updates]
outlets = [3]
[entities.latakia]
kind = "place"
entries = ["Latakia"]
[entities.hama]
kind = "place"
entries = ["Hama"]
[[rules]]
name = "latakia"
all_of = ["latakia"]
notifiers = ["hook"]
[[rules]]
name = "hama"
all_of = ["hama"]
notifiers = ["hook"]
"""


@pytest.fixture(name="world")
def _world(tmp_path: Path) -> Iterator[tuple[SyndicationFarm, HttpReceiver, str, list[Path]]]:
    with (
        postgres_schema_sync() as url,
        SyndicationFarm(FEEDS, GROUP_SIZE) as farm,
        HttpReceiver() as receiver,
    ):
        # Article pages as configured by default (full_text = "auto"): the farm's entries
        # are teasers linking to outlet hosts under .invalid, which never resolve (the
        # suite's loopback guard refuses them at once), so every page fails as a real
        # unreachable site would, while the store lookups and robots.txt requests made
        # for them load the daemons as they would in production.
        feeds = "".join(
            f'[[feeds]]\nname = "Outlet {n}"\nurl = "{u}"\ninterval = {INTERVAL}\n'
            for n, u in enumerate(farm.urls)
        )
        configs = []
        for instance in INSTANCES:
            path = tmp_path / f"{instance}.toml"
            text = CONFIG.format(instance=instance, url=url, lease=LEASE, hook=receiver.url())
            path.write_text(text + feeds, encoding="utf-8")
            configs.append(path)
        yield farm, receiver, url, configs


def _leases_held(url: str, instance: str) -> set[str]:
    """The feed URLs ``instance`` holds an unexpired lease on."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT url FROM feeds WHERE lease_owner = %s AND lease_expires > now()",
            (instance,),
        ).fetchall()
    return {str(row[0]) for row in rows}


def _leases_naming(url: str, instances: tuple[str, ...]) -> list[str]:
    """Feed URLs whose lease row still names one of ``instances``, lapsed or not."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT url FROM feeds WHERE lease_owner = ANY(%s) ORDER BY url", (list(instances),)
        ).fetchall()
    return [str(row[0]) for row in rows]


def _deliveries_by_state(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall()
    return {state: int(count) for state, count in rows}


def _kill_while_holding_leases(farm: SyndicationFarm, url: str, victim: DaemonProcess) -> set[int]:
    """SIGKILL ``victim`` as soon as it polls the current round while holding leases; the
    feeds it held just before."""
    since = farm.advance()
    while True:
        polled = farm.polled_by(INSTANCES[0], since)

        def polled_again(before: int = polled) -> bool:
            return farm.polled_by(INSTANCES[0], since) > before

        farm.wait_until(polled_again, what="a polls")
        if held := _leases_held(url, INSTANCES[0]):
            victim.send_signal(signal.SIGKILL)
            index = {feed_url: feed for feed, feed_url in enumerate(farm.urls)}
            return {index[feed_url] for feed_url in held}


def _expected(stories: dict[str, Story]) -> set[tuple[str, str, str]]:
    """(story code, rule, event) for every alert the fixture must raise."""
    return {
        (story.code, term.lower(), event)
        for story in stories.values()
        for term in story.terms
        for event in ("new", "outlets>=3")
    }


def _alert_of(request: ReceivedRequest, stories: dict[str, Story]) -> tuple[str, str, str]:
    post: dict[str, Any] = request.json()
    story = story_code_in(post["title"], stories)
    code = story.code if story else f"unknown:{post['title']}"
    return code, post["rule"], post["change"] or post["event"]


def _keys_by_alert(
    requests: list[ReceivedRequest], stories: dict[str, Story]
) -> dict[tuple[str, str, str], set[str]]:
    keys: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for request in requests:
        keys[_alert_of(request, stories)].add(request.headers["idempotency-key"])
    return keys


def _polls_after(farm: SyndicationFarm, moment: float, agents: set[str]) -> dict[int, int]:
    """Per feed, how many polls ``agents`` made after ``moment``."""
    counts = dict.fromkeys(range(farm.feeds), 0)
    for poll in farm.snapshot():
        if poll.at > moment and poll.agent in agents:
            counts[poll.feed] += 1
    return counts


def test_three_daemons_one_killed_one_stopped_deliver_every_alert_once(
    world: tuple[SyndicationFarm, HttpReceiver, str, list[Path]],
) -> None:
    farm, receiver, url, configs = world
    survivors, last = set(INSTANCES[1:]), {INSTANCES[2]}
    with ExitStack() as stack:
        a, b, c = (stack.enter_context(DaemonProcess(config)) for config in configs)
        stack.callback(_print_logs, a, b, c)  # shown by pytest when the test fails
        started = time.monotonic()
        for daemon in (a, b, c):
            daemon.wait_ready()
        farm.wait_until(lambda: farm.all_polled_since(started), HANG_GUARD, "round 0 polled")

        held = _kill_while_holding_leases(farm, url, a)  # round 1
        assert a.wait() == -signal.SIGKILL
        killed = time.monotonic()
        farm.wait_until(lambda: farm.all_polled_since(killed, survivors), HANG_GUARD, "after kill")

        since = farm.advance()  # round 2: b is stopped while it polls it
        farm.wait_until(lambda: farm.polled_by(INSTANCES[1], since) > 0, HANG_GUARD, "b polls")
        b.send_signal(signal.SIGTERM)
        assert b.wait() == 0, b.stderr()
        stopped = time.monotonic()
        farm.wait_until(
            lambda: farm.fewest_polls_since(stopped, last) >= SWEEPS, HANG_GUARD, "c polls alone"
        )

        stories = farm.stories()
        expected = _expected(stories)
        _wait_for_alerts(receiver, stories, expected)
        c.send_signal(signal.SIGTERM)
        assert c.wait() == 0, c.stderr()

    keys = _keys_by_alert(receiver.requests, stories)
    missing, unexpected = sorted(expected - set(keys)), sorted(set(keys) - expected)
    assert (len(missing), len(unexpected)) == (0, 0), (missing[:5], unexpected[:5])
    split = {alert: sorted(ids) for alert, ids in keys.items() if len(ids) != 1}
    assert len(split) == 0, (
        f"{len(split)} alerts sent under several keys: {list(split.items())[:3]}"
    )
    _assert_live(farm, url, held, {"kill": (killed, survivors, 1), "stop": (stopped, last, SWEEPS)})
    states = _deliveries_by_state(url)
    assert states.get("pending", 0) == 0, states
    assert states.get("sent", 0) == len(expected), states


def _assert_live(
    farm: SyndicationFarm,
    url: str,
    held: set[int],
    phases: dict[str, tuple[float, set[str], int]],
) -> None:
    """Polling went on through the kill and the stop, counted from the farm's request log
    and the lease rows: ``phases`` maps a phase to (its start, the daemons polling after
    it, the polls each feed must have had from them)."""
    assert held, "a was killed holding no lease"
    after_kill = _polls_after(farm, phases["kill"][0], phases["kill"][1])
    assert sorted(feed for feed in held if after_kill[feed] == 0) == [], "claims not taken over"
    for phase, (moment, agents, least) in phases.items():
        counts = _polls_after(farm, moment, agents)
        short = sorted(feed for feed, count in counts.items() if count < least)
        assert short == [], f"after the {phase}, {len(short)} feeds polled under {least}x"
    assert _leases_naming(url, INSTANCES[:2]) == [], "leases left to a gone daemon"


def _print_logs(*daemons: DaemonProcess) -> None:
    for name, daemon in zip(INSTANCES, daemons, strict=True):
        print(f"--- {name} (warnings and errors) ---\n{daemon.stderr()[-4000:]}")


def _wait_for_alerts(
    receiver: HttpReceiver, stories: dict[str, Story], expected: set[tuple[str, str, str]]
) -> None:
    """Until every expected alert has reached the receiver (each request re-checks)."""
    deadline = time.monotonic() + HANG_GUARD
    count = len(receiver.requests)
    while not expected <= set(_keys_by_alert(receiver.requests, stories)):
        count += 1
        try:
            receiver.wait_for(count, timeout=max(deadline - time.monotonic(), 0.1))
        except AssertionError:
            return  # the assertions after the run say what is missing
