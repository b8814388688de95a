"""A story merged into another piece of its event (decision 0070: the older piece;
decision 0093: the story the report joins, which may be the newer), in the bridging
article's transaction: its first report when it came first (article, title, first_seen),
its counts, outlets, names, articles and the tombstones of its pruned articles move to
the survivor (an entry listed again is seen in the story that holds its event now: the
absorbed id only answers with the survivor, and its row may be pruned; migration 0024);
its row stays, marked ``merged_into`` (its alerts, threads and the links in sent messages
name it), and earlier merges into it follow it to the survivor; ``story_merges`` records
the merge. Every statement goes out without a round trip of its own.
"""

from __future__ import annotations

from monitor.records import Article
from monitor.store.sql.dialect import Dialect
from monitor.store.sql.steps import Steps, written

MERGE_COUNTS = """
UPDATE stories SET
    article_count = article_count + coalesce((SELECT m.article_count FROM stories m
                                              WHERE m.story_id = ?), 0),
    updates = updates + coalesce((SELECT m.updates FROM stories m WHERE m.story_id = ?), 0)
WHERE story_id = ?
"""
# The survivor may be the newer story (decision 0093): it takes the absorbed story's first
# report (its article, title and first_seen) when that came first, so the story's first
# article is its earliest and first_seen its earliest article's. Ties keep the survivor's.
MERGE_FIRST = """
UPDATE stories SET
    first_article_id = coalesce((SELECT m.first_article_id FROM stories m
                                 WHERE m.story_id = ? AND m.first_seen < stories.first_seen),
                                first_article_id),
    title = coalesce((SELECT m.title FROM stories m
                      WHERE m.story_id = ? AND m.first_seen < stories.first_seen), title),
    first_seen = {least}(first_seen, coalesce((SELECT m.first_seen FROM stories m
                                               WHERE m.story_id = ?), first_seen))
WHERE story_id = ?
"""
MERGED_ROW = "UPDATE stories SET merged_into = ?, article_count = 0 WHERE story_id = ?"
MERGE_OUTLETS = """
INSERT INTO story_outlets (story_id, outlet)
SELECT ?, outlet FROM story_outlets WHERE story_id = ?
ON CONFLICT DO NOTHING
"""
MERGE_NAMES = """
INSERT INTO story_names (story_id, name, kind, mentions)
SELECT ?, name, kind, mentions FROM story_names WHERE story_id = ?
ON CONFLICT (story_id, kind, name) DO UPDATE SET mentions = story_names.mentions + excluded.mentions
"""
MERGE_ARTICLES = "UPDATE articles SET story_id = ? WHERE story_id = ?"
MERGE_TOMBSTONES = "UPDATE pruned_articles SET story_id = ? WHERE story_id = ?"
MERGE_EARLIER = "UPDATE story_merges SET survivor_id = ? WHERE survivor_id = ?"
MERGE_EARLIER_ROWS = """
UPDATE stories SET merged_into = ?
WHERE story_id IN (SELECT absorbed_id FROM story_merges WHERE survivor_id = ?)
"""
RECORD_MERGE = """
INSERT INTO story_merges (absorbed_id, survivor_id, article_id, merged_at) VALUES (?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""


def merge_story(dialect: Dialect, absorbed: str, survivor: str, article: Article) -> Steps[None]:
    """Merge the ``absorbed`` story into ``survivor``, as ``article`` showed them to be one
    event."""
    yield from written(MERGE_COUNTS, (absorbed, absorbed, survivor))
    yield from written(MERGE_FIRST, (absorbed, absorbed, absorbed, survivor))
    for statement in (MERGE_OUTLETS, MERGE_NAMES, MERGE_ARTICLES, MERGE_TOMBSTONES,
                      MERGE_EARLIER_ROWS, MERGE_EARLIER, MERGED_ROW):  # fmt: skip
        yield from written(statement, (survivor, absorbed))
    stamp = dialect.time(article.fetched_at)
    yield from written(RECORD_MERGE, (absorbed, survivor, article.article_id, stamp))
