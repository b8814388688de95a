"""Stories: folding syndicated and re-worded reports of one event into one story.

The story index (headline text, word rarity, names, vetoes, and the nearest headlines by
meaning: their sentence embeddings in a nearest-neighbour graph), the words of a headline in
its language (stop words, stems, casualty words, names in scripts without capitals), the
lead each article is
compared by (its page's lead paragraph, else its summary's opening), dedup's decision for
each article (exact by GUID, link or fingerprint, then near-identical or related), and the
story window shared with other daemons on one PostgreSQL store, and the index warmed at
start from its snapshot (or the store) and saved while the daemon runs."""

from monitor.stories.dedup import Deduplicator, Reading, reading_of
from monitor.stories.headlines import fold
from monitor.stories.shared import SharedStories, WatchedStories
from monitor.stories.warmup import StoryWarmup, snapshot_path

__all__ = [
    "Deduplicator",
    "Reading",
    "SharedStories",
    "StoryWarmup",
    "WatchedStories",
    "fold",
    "reading_of",
    "snapshot_path",
]
