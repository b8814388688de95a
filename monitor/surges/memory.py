"""Everything the detector has learned, as one value: what a snapshot saves and restores.
Times are seconds since the epoch (UTC)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from monitor.surges.model import SurgeKind
from monitor.surges.profile import HourOfWeek
from monitor.surges.tracks import Tracked

# Before any story was seen: stories reach 1.5 outlets in their first window on average,
# with variance 3 (ten stories' worth).
PRIOR_STORIES = (10.0, 15.0, 10.0 * (3.0 + 1.5**2))


@dataclass(slots=True)
class StoryLife:
    """A story tracked since it opened: its title, and its outlets in its first window
    (what the population of stories is learned from).

    ``outlet``: while the story has had one outlet only, the outlet of its first report,
    which is then all it holds of its window (no track: most stories never get a second
    outlet); None once it has a track (docs/decisions/0094)."""

    opened: float
    title: str
    first_outlets: int = 0
    sampled: bool = False
    outlet: str | None = None


@dataclass(slots=True)
class Memory:
    """The learned baselines and the live windows of every tracked key."""

    started: float | None = None  # the first sighting's time
    clock: float | None = None  # the latest sighting's time
    exposure: float = 0.0  # decayed profile-weighted hours observed (rules and names)
    profile: HourOfWeek = field(default_factory=HourOfWeek)
    # Decayed (weight, sum, sum of squares) of stories' outlets in their first window.
    stories_seen: tuple[float, float, float] = PRIOR_STORIES
    stories_seen_at: float | None = None
    tracks: dict[SurgeKind, dict[str, Tracked]] = field(
        default_factory=lambda: {kind: {} for kind in SurgeKind}
    )
    lives: dict[str, StoryLife] = field(default_factory=dict)
    opened: deque[str] = field(default_factory=deque)  # story ids, in the order they opened
    unsampled: deque[str] = field(default_factory=deque)  # first window not over yet
