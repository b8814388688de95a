"""Stories merged into one: their windowed members re-pointed to the survivor.

A report can show that stories the index holds apart are pieces of one event: a story
split early (docs/decisions/0070-where-recall-is-lost.md), or a one-article story the
report's words reach beside the story it joins (the late merge, docs/decisions/
0093-one-article-pieces-merged-late.md). ``StoryIndex`` steers a report to a split
story's oldest piece; this module finds the late piece, and merges either as the store
does.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from itertools import islice

from monitor.stories.evidence import Entry, IndexedStory
from monitor.stories.semantic import NearestVectors
from monitor.stories.whole import story_vector


def late_piece(
    joined: IndexedStory,
    reached: Sequence[IndexedStory],
    vectors: NearestVectors,
    bar: float,
) -> tuple[str, ...]:
    """The one-article story, among those the report's words reach too (over a bar, no
    gate), to be absorbed into ``joined``: the only one within ``bar`` of its story's
    vector, else none (0093)."""
    alone = {s.story_id: s for s in reached if len(s.members) == 1 and s is not joined}
    theirs = story_vector(joined, vectors) if alone else None  # most lookups: none
    if theirs is None:
        return ()
    close = (story_id for story_id, story in sorted(alone.items())
             if (mine := story_vector(story, vectors)) is not None
             and float(mine @ theirs) >= bar)  # fmt: skip
    late = tuple(islice(close, 2))  # as close to two: a subject's, none merged (0070)
    return late if len(late) == 1 else ()


def merge(
    stories: dict[str, IndexedStory],
    entries: dict[int, Entry],
    survivor_id: str,
    absorbed: Sequence[str],
) -> int:
    """Merge the ``absorbed`` stories into ``survivor_id``'s: their windowed members
    re-pointed to it in serial order (as a warm-up from the store adds them), at the
    absorbed members' cost; the first article of the one opened first, windowed or not,
    as the store (0093). Stories not held (a warm-up read them re-pointed) are passed
    over; how many were merged (the survivor's centroid is then to be read anew)."""
    survivor = stories.get(survivor_id)
    merged = 0
    for story_id in absorbed:
        story = stories.get(story_id) if story_id != survivor_id else None
        if survivor is None or story is None:
            continue
        del stories[story_id]
        for serial in story.members:
            entries[serial].story = survivor
        if story.opened < survivor.opened:  # its first report, pruned or not
            survivor.first_article_id, survivor.opened = story.first_article_id, story.opened
        survivor.members = list(heapq.merge(survivor.members, story.members))
        survivor.entries += story.entries
        survivor.last_seen = max(survivor.last_seen, story.last_seen)
        merged += 1
    if merged and survivor is not None:
        survivor.centroid = None
    return merged
