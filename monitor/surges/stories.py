"""The detector's bookkeeping of stories: a story held by its first outlet given a track
at its second, and the sweeps that learn from stories whose first window is over and
forget those past ``story_hours`` (docs/decisions/0043, 0060, 0094)."""

from __future__ import annotations

import math

from monitor.surges.baselines import story_learned
from monitor.surges.memory import Memory, StoryLife
from monitor.surges.model import STORY
from monitor.surges.tracks import Report, Track


def second_outlet(
    memory: Memory, story_id: str, life: StoryLife, outlet: str, report: Report
) -> Track | None:
    """A story held by its first ``outlet``: a report from it again adds nothing (its
    pair is in the window); another outlet gives the story the track it would have
    had, its first report in it, for ``report`` to be added. A story is judged on its
    life, so its track's baseline fields stay at zero."""
    if report[2] == outlet:
        return None
    life.outlet = None
    track = Track(life.title, born=life.opened)
    track.add_report((life.opened, story_id, outlet), (story_id, outlet), -math.inf, 0.0)
    memory.tracks[STORY][story_id] = track
    return track


def sweep_stories(
    memory: Memory, now: float, *, window: float, story_span: float, forget: float
) -> float:
    """Learn from stories whose first ``window`` is over; drop those past ``story_span``.
    Return when the next sweep is due."""
    learned = []
    unsampled, lives, tracks = memory.unsampled, memory.lives, memory.tracks[STORY]
    while unsampled:
        life = lives.get(unsampled[0])
        if life is not None and life.opened + window > now:
            break
        story_id = unsampled.popleft()
        # Its first window is over: it can no longer fire, so its track goes (its
        # life stays, for its title and so that it does not open anew).
        tracks.pop(story_id, None)
        if life is not None and not life.sampled:
            life.sampled, life.outlet = True, None
            learned.append(life.first_outlets)
    if learned:
        _learn_stories(memory, learned, now, forget)
    opened = memory.opened
    while opened and lives[opened[0]].opened + story_span <= now:
        story_id = opened.popleft()
        del lives[story_id]
        tracks.pop(story_id, None)
    return _next_sweep(memory, window, story_span)


def _next_sweep(memory: Memory, window: float, story_span: float) -> float:
    """When the oldest stories' first window or tracking ends: the next sweep's time
    (a story opened later only ends later)."""
    due = math.inf
    if memory.unsampled:
        life = memory.lives.get(memory.unsampled[0])
        due = -math.inf if life is None else life.opened + window
    if memory.opened:
        due = min(due, memory.lives[memory.opened[0]].opened + story_span)
    return due


def _learn_stories(memory: Memory, learned: list[int], now: float, forget: float) -> None:
    """``story_learned`` of each story's outlets in turn: after the first, the rest are
    decayed over no time (a factor of exactly 1.0), so they are plain sums."""
    seen = story_learned(memory.stories_seen, memory.stories_seen_at, learned[0], now, forget)
    weight, total, squares = seen
    for outlets in learned[1:]:
        weight, total, squares = weight + 1, total + outlets, squares + outlets * outlets
    memory.stories_seen, memory.stories_seen_at = (weight, total, squares), now
