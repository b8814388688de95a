"""TODO stories."""

from monitor.stories.dedup import Deduplicator
from monitor.stories.headlines import fold
from monitor.stories.shared import SharedStories, WatchedStories

__all__ = ["Deduplicator", "SharedStories", "WatchedStories", "fold"]
