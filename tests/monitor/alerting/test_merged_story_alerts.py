"""Alerts when a story is merged into an older piece of its event (decision 0070), sent to
a real loopback webhook receiver: the absorbed story's alert stays sent and counts as the
survivor's; the survivor's follow-up counts the merged outlets, goes out only when they
cross the rule's growth threshold, and says which story it absorbed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from monitor.api import story_detail
from monitor.config.alerting import UpdateSettings
from monitor.records import DedupDecision, StoryFacts, Verdict
from monitor.store.interface import Store
from tests.support.desk import Desk, webhook
from tests.support.receiver import HttpReceiver
from tests.support.stories import article, match


@pytest.fixture(name="receiver")
def _receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver


async def _report(desk: Desk, *, outlet: int, absorbed: tuple[str, ...] = ()) -> None:
    """A report matching the rule from ``outlet`` joining s1 (``absorbed``: absorbing s2,
    as the story index decides a bridge)."""
    desk.now += timedelta(minutes=1)
    survivor = desk.story("s1")
    survivor.reported += 1
    item = article("Harbour cranes collapse, both reports one event", outlet=outlet,
                   number=survivor.reported, at=desk.now, story="s1")  # fmt: skip
    decision = DedupDecision(Verdict.FOLDED, "s1", survivor.first_article,
                             facts=StoryFacts(outlet=item.feed_url), absorbed=absorbed)  # fmt: skip
    plan = survivor.policy.plan(item, decision, [match()], desk.now)
    await desk.store.record_article(item, decision, plan)


@pytest.mark.parametrize(("threshold", "follow_up"), [(3, True), (4, False)])
async def test_a_merge_follows_up_only_when_the_merged_outlets_cross_the_threshold(
    store: Store,
    http: httpx.AsyncClient,
    receiver: HttpReceiver,
    threshold: int,
    follow_up: bool,
) -> None:
    desk = Desk(store, {"hook": webhook(receiver.url(), http)},
                updates=UpdateSettings(outlets=(threshold,)))  # fmt: skip
    await desk.story("s1").report("Harbour cranes collapse", outlet=1, at=desk.now)  # no rule
    await desk.alert("s2", outlet=2)  # the newer piece alerted on its own
    assert await desk.sweep() == {"sent": 1}
    await _report(desk, outlet=3, absorbed=("s2",))  # its "new" alert was sent (for s2)
    merged = await story_detail(store, "s2")  # the absorbed id answers with the survivor
    assert merged is not None and merged.story_id == "s1" and len(merged.articles) == 3
    sent = await desk.sweep()
    requests = receiver.wait_for(2 if follow_up else 1)
    first = json.loads(requests[0].body)
    assert (first["story_id"], first["event"]) == ("s2", "new")
    if not follow_up:
        assert sent == {}
        return
    assert sent == {"sent": 1}
    update = json.loads(requests[1].body)
    assert (update["story_id"], update["event"], update["outlets"]) == ("s1", "update", 3)
    assert update["change"] == "outlets>=3"
    assert update["reason"] == "reported by 3 outlets; merged story s2"
    await _report(desk, outlet=4)  # the story, merged, has had its alerts: quiet
    assert await desk.sweep() == {}


@pytest.mark.parametrize(("threshold", "follow_up"), [(3, True), (4, False)])
async def test_two_stories_that_both_alerted_merge_without_a_second_new_alert(
    store: Store,
    http: httpx.AsyncClient,
    receiver: HttpReceiver,
    threshold: int,
    follow_up: bool,
) -> None:
    """A late merge (decision 0093) can absorb a story that alerted into one that alerted
    too: both alerts stay sent, neither is sent again, and the survivor follows up once,
    when the merged outlets cross the growth threshold (at the merge, or at a later
    report)."""
    desk = Desk(store, {"hook": webhook(receiver.url(), http)},
                updates=UpdateSettings(outlets=(threshold,)))  # fmt: skip
    await desk.alert("s1", outlet=1)
    await desk.alert("s2", outlet=2)
    assert await desk.sweep() == {"sent": 2}
    await _report(desk, outlet=3, absorbed=("s2",))  # 3 outlets merged
    assert await desk.sweep() == ({"sent": 1} if follow_up else {})
    await _report(desk, outlet=4)
    assert await desk.sweep() == ({} if follow_up else {"sent": 1})
    await _report(desk, outlet=5)  # past the threshold once: quiet
    assert await desk.sweep() == {}
    bodies = [json.loads(request.body) for request in receiver.wait_for(3)]
    sent = [(body["story_id"], body["event"], body["outlets"]) for body in bodies]
    assert sorted(sent) == [("s1", "new", 1), ("s1", "update", threshold), ("s2", "new", 1)]
