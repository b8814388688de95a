"""What really happened on the background of ``bench.surge``: which of its own stories
are events of the issue's target size, so a flag on one of them is not a false flag.

The spread background is not quiet: a large story of the data set reaches 10
independent outlets within an hour at its peak, which is exactly the event the
detector is asked to catch. A background flag is therefore counted *false* only when
nothing real happened: none of the stories it names as evidence (the story itself, or
a rule's or name's top stories) reaches 10 independent outlets within an hour at some
moment from the flag's window start to a day after it. The strict count (every flag on
the background) is reported beside it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import timedelta

from monitor.surges import Sighting, Surge, SurgeKind

TARGET_OUTLETS = 10
TARGET_SECONDS = 3600.0
LOOK_AHEAD = timedelta(days=1)


class BackgroundTruth:
    """For each background story, the moments it has 10 independent outlets within the
    hour before (its first report from each outlet counts)."""

    def __init__(self, background: Iterable[Sighting]) -> None:
        firsts: dict[str, list[float]] = {}
        seen: set[tuple[str, str]] = set()
        for sighting in background:
            if (sighting.story_id, sighting.outlet) not in seen:
                seen.add((sighting.story_id, sighting.outlet))
                firsts.setdefault(sighting.story_id, []).append(sighting.at.timestamp())
        self.bursts = {story: _burst_moments(times) for story, times in firsts.items()}

    def stories_bursting(self) -> int:
        """Background stories that are target-size events at some moment."""
        return sum(bool(moments) for moments in self.bursts.values())

    def is_real(self, surge: Surge) -> bool:
        start = surge.window_start.timestamp()
        end = (surge.window_start + LOOK_AHEAD).timestamp()
        stories = [surge.key] if surge.kind is SurgeKind.STORY else []
        stories += [story_id for story_id, _, _ in surge.top_stories]
        return any(self._bursts_between(story, start, end) for story in stories)

    def _bursts_between(self, story: str, start: float, end: float) -> bool:
        moments = self.bursts.get(story, [])
        index = bisect.bisect_left(moments, start)
        return index < len(moments) and moments[index] <= end

    def false_flags(self, surges: Sequence[Surge]) -> list[Surge]:
        return [surge for surge in surges if not self.is_real(surge)]


def _burst_moments(times: list[float]) -> list[float]:
    """The times of reports that make ``TARGET_OUTLETS`` within ``TARGET_SECONDS``."""
    reach = TARGET_OUTLETS - 1
    return [
        moment
        for index, moment in enumerate(times)
        if index >= reach and moment - times[index - reach] <= TARGET_SECONDS
    ]
