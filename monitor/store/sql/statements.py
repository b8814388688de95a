"""SQL text both backends run, written once in SQLite's parameter style.

Backends render each statement for their driver (:meth:`Dialect.render`), which fills
in the ``{fragments}`` where the dialects differ.
"""

# ruff: noqa: S608 - SQL here is built from constant fragments and column names, never input

from __future__ import annotations

from monitor.records import SURGE_ALERT
from monitor.store.sql.dialect import Dialect
from monitor.store.sql.rows import FEED_COLUMNS, WEBSUB_COLUMNS

TABLES = ("feeds", "websub", "stories", "story_outlets", "story_names", "articles",
          "pruned_articles", "alerts", "deliveries", "threads", "silences", "surges",
          "surge_state", "feedback", "story_merges")  # fmt: skip


def _upsert(table: str, columns: tuple[str, ...], key: str, rows: str = "") -> str:
    """One row's upsert; with ``rows`` (a SELECT of the columns), every row it gives."""
    # Quoted: "interval" is a keyword in PostgreSQL.
    quoted = [f'"{column}"' for column in columns]
    updates = ", ".join(f"{name} = excluded.{name}" for name in quoted if name != f'"{key}"')
    placeholders = ", ".join("?" * len(columns))
    insert = f"INSERT INTO {table} ({', '.join(quoted)}) {rows or f'VALUES ({placeholders})'} "
    return insert + f"ON CONFLICT ({key}) DO UPDATE SET {updates}"


# PostgreSQL's type of each feeds column FeedState has (a test holds them to the table's).
FEED_TYPES = {
    "url": "text", "etag": "text", "last_modified": "text", "body_hash": "text",
    "last_polled": "timestamptz", "last_status": "integer", "error_count": "integer",
    "last_error": "text", "last_success": "timestamptz", "failing_since": "timestamptz",
    "failure_alerted": "boolean", "items_per_day": "double precision",
    "feed_ttl": "double precision", "interval": "double precision",
    "next_poll": "timestamptz", "moved_to": "text", "disabled": "text", "slow": "boolean",
    "pages_tried": "bigint", "pages_read": "bigint", "page_last_issue": "text",
}  # fmt: skip
UPSERT_FEED = _upsert("feeds", FEED_COLUMNS, "url")
# Many feeds' states in one statement, one array per column (PostgreSQL): a batch of
# saves costs one statement, not one per feed (decision 0075). Rows are written in the
# arrays' order; each URL must be there once.
_FEED_ARRAYS = ", ".join(f"?::{FEED_TYPES[column]}[]" for column in FEED_COLUMNS)
UPSERT_FEEDS = _upsert("feeds", FEED_COLUMNS, "url", f"SELECT * FROM unnest({_FEED_ARRAYS})")
UPSERT_WEBSUB = _upsert("websub", WEBSUB_COLUMNS, "feed_url")
_FEED_LIST = ", ".join(f'"{column}"' for column in FEED_COLUMNS)
SELECT_FEEDS = f"SELECT {_FEED_LIST} FROM feeds"
SELECT_WEBSUB = f"SELECT {', '.join(WEBSUB_COLUMNS)} FROM websub"
STORY_OUTLETS = "SELECT outlet FROM story_outlets WHERE story_id = ?"
COUNT_ARTICLES = "SELECT count(*) AS n FROM articles WHERE fetched_at >= ?"
TOMBSTONE = "SELECT article_id, story_id FROM pruned_articles WHERE article_id = ?"

# --- articles and stories, written inside an article's transaction ---

# The outlet an article counts as (decision 0006): that of the story's first article
# whose lead is word for word its own (story, lead fingerprint), else its own (the third
# parameter). Read in the statement that stores it, not before it: no round trip of its own.
_OUTLET = """coalesce((SELECT a.outlet FROM articles a
                       WHERE a.story_id = ? AND a.lead_fingerprint = ? AND a.outlet <> ''
                         AND a.lead_fingerprint <> ''
                       ORDER BY a.fetched_at{tiebreak} LIMIT 1), ?)"""
INSERT_ARTICLE = f"""
INSERT INTO articles (article_id, story_id, feed_url, feed_name, guid, link, title, summary,
                      published, fetched_at, fingerprint, outlet, lead_fingerprint, body,
                      page_canonical, language, author, page_lead, embedding)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {_OUTLET}, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""
INSERT_STORY = """
INSERT INTO stories (story_id, first_article_id, title, first_seen, last_seen)
VALUES (?, ?, ?, ?, ?)
"""
ADD_OUTLET = f"""
INSERT INTO story_outlets (story_id, outlet) VALUES (?, {_OUTLET}) ON CONFLICT DO NOTHING
"""
COUNT_NAME = """
INSERT INTO story_names (story_id, name, kind) VALUES (?, ?, ?)
ON CONFLICT (story_id, kind, name) DO UPDATE SET mentions = story_names.mentions + 1
"""
STORY = """
SELECT story_id, first_article_id, title, article_count, updates, first_seen, last_seen
FROM stories WHERE story_id = ?
"""
INSERT_ALERT = """
INSERT INTO alerts (alert_id, story_id, article_id, rule, severity, terms, event, created_at,
                    outlets, reason)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""
INSERT_DELIVERY = """
INSERT INTO deliveries (alert_id, notifier, next_attempt_at, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""
# A story's alert state in one statement: its outlet count on every row, and one row per
# earlier alert, its own or a story's merged into it (a single row of NULLs when none):
# an alert sent for an absorbed story stays sent for the survivor (decision 0070).
ALERT_STATE = """
SELECT (SELECT count(*) FROM story_outlets WHERE story_id = ?) AS n,
       a.rule, a.event, a.severity, a.terms, a.outlets
FROM (SELECT 1 AS one) AS here LEFT JOIN (
    SELECT rule, event, severity, terms, outlets FROM alerts WHERE story_id = ?
    UNION ALL
    SELECT x.rule, x.event, x.severity, x.terms, x.outlets
    FROM story_merges m JOIN alerts x ON x.story_id = m.absorbed_id
    WHERE m.survivor_id = ?
) AS a ON 1 = 1
"""
ARTICLE_STORY = "SELECT story_id FROM articles WHERE article_id = ?"
# A page that came late: its text joins the article stored without it (never replaces one),
# with the language the article reads as with it ("": as it was).
ADD_BODY = (
    "UPDATE articles SET body = ?, language = COALESCE(NULLIF(?, ''), language)"
    " WHERE article_id = ? AND body IS NULL"
)


TOUCH_STORY = """
UPDATE stories SET article_count = article_count + 1,
                   last_seen = {greatest}(last_seen, ?), updates = updates + ?
WHERE story_id = ?
"""

STORY_NAMES = """
SELECT name, kind FROM story_names WHERE story_id = ? ORDER BY mentions DESC, name{collate}
"""

# The stories an article absorbed (decision 0070), space-separated, NULL when none: a
# warm-up, a snapshot's replay and another daemon's index merge them as the live index did.
ABSORBED = """(SELECT {concat}(m.absorbed_id, ' ') FROM story_merges m
        WHERE m.article_id = a.article_id) AS absorbed"""
# What the story index is warmed with of each windowed article.
_WINDOW = f"""
SELECT a.story_id, s.first_article_id, a.title, a.summary, a.published, a.fetched_at,
       coalesce(a.page_lead, '') AS page_lead, a.language, a.embedding, a.article_id,
       s.first_seen, {ABSORBED}
FROM articles a JOIN stories s USING (story_id)"""

RECENT_ARTICLES = (
    _WINDOW
    + """
WHERE a.fetched_at >= ?
ORDER BY a.fetched_at, a.{arrival}
"""
)

# Replayed over a story index snapshot: the window's articles stored after its mark and
# up to ``top``, in the order they were stored (the order the index first saw them).
WINDOW_AFTER = (
    _WINDOW
    + """
WHERE a.{arrival} > ? AND a.{arrival} <= ? AND a.fetched_at >= ?
ORDER BY a.{arrival}
"""
)
# The window up to an arrival mark, in the order the store's warm-up reads it: what a
# story index snapshot taken at that mark holds (a cold start warmed in a child process).
WINDOW_TO = (
    _WINDOW
    + """
WHERE a.fetched_at >= ? AND a.{arrival} <= ?
ORDER BY a.fetched_at, a.{arrival}
"""
)
ARRIVAL_TOP = "SELECT coalesce(max({arrival}), 0) AS top FROM articles"
ARTICLE_AT = "SELECT article_id FROM articles WHERE {arrival} = ?"

# The collation makes the page order and the (fetched_at, article_id) comparison agree
# with each other, and PostgreSQL's with SQLite's byte order.
ARTICLES_PAGE = """
SELECT article_id, story_id, feed_url, feed_name, guid, link, title, summary, published,
       fetched_at, body, page_canonical, language, author, outlet
FROM articles
WHERE fetched_at >= ? AND (fetched_at, article_id{collate}) > (?, ?)
ORDER BY fetched_at, article_id{collate}
LIMIT ?
"""


# --- finding stored articles ---

FIND_COLUMNS = """
SELECT a.article_id, a.story_id, a.feed_url, s.first_article_id, s.first_seen
FROM articles a JOIN stories s USING (story_id)
"""
FIND_BY_GUID = FIND_COLUMNS + "WHERE a.feed_url = ? AND a.guid = ?"


# The "<> ''" term lets the planner use the partial indexes (articles_link,
# articles_page_canonical, articles_fingerprint): it cannot know a bound parameter is
# non-empty.
FIND_FIRST_BY = {
    column: FIND_COLUMNS
    + f"WHERE a.{column} = ? AND a.{column} <> '' ORDER BY a.fetched_at{{tiebreak}} LIMIT 1"
    for column in ("link", "page_canonical", "fingerprint")
}


# --- the status page ---

HEALTH_COUNTS = """
SELECT CASE WHEN disabled IS NOT NULL THEN 'gone'
            WHEN last_polled IS NULL THEN 'never_polled'
            WHEN error_count > 0 THEN 'failing'
            ELSE 'ok' END AS health,
       count(*) AS n
FROM feeds GROUP BY 1
"""


STATUS_FEEDS = (
    SELECT_FEEDS
    + """
ORDER BY CASE WHEN disabled IS NOT NULL THEN 1 WHEN error_count > 0 THEN 0 ELSE 2 END,
         failing_since NULLS FIRST, next_poll IS NULL, next_poll, url{collate}
LIMIT ?
"""
)


def story_alerts(dialect: Dialect, count: int) -> str:
    return f"""
SELECT alert_id, story_id, article_id, rule, severity, terms, event, created_at, outlets, reason
FROM alerts WHERE {dialect.in_list("story_id", count)}
ORDER BY created_at, alert_id{{collate}}
"""


def rule_activity(dialect: Dialect, count: int) -> str:
    """Stories each of ``count`` rules first alerted on, per UTC hour, since a moment: at
    most rules × hours rows, whatever the number of alerts."""
    return f"""
SELECT rule, {{utc_hour}} AS hour, count(*) AS stories
FROM (SELECT rule, created_at AS first_at FROM alerts
      WHERE event = 'new' AND created_at >= {{time_param}} AND {dialect.in_list("rule", count)}
     ) firsts
GROUP BY rule, {{utc_hour}}
ORDER BY rule{{collate}}, hour
"""


# --- the outbox ---

# A delivery with all a notifier needs to render it (surge_alerts.delivery_context); a
# surge alert (id "su_" and the surge's) with its surge's columns, "sg_" before each.
# A surge alert's surge: its id after the prefix (compared, not LIKE: "_" is a wildcard).
_SURGE_OF_ALERT = (
    f"substr(al.alert_id, 1, {len(SURGE_ALERT)}) = '{SURGE_ALERT}'"
    f" AND sg.surge_id = substr(al.alert_id, {len(SURGE_ALERT) + 1})\n"
)
DELIVERY_CONTEXT = (
    """
SELECT d.delivery_id, d.alert_id, d.notifier, d.state, d.attempts, d.next_attempt_at,
       d.last_error, d.batch_id, d.hold, d.first_attempt_at, al.story_id, al.article_id,
       al.rule, al.severity,
       al.terms, al.event, al.created_at, al.outlets AS alert_outlets, al.reason,
       a.title, a.link, a.summary, a.feed_name, a.published, a.body AS packed_body, a.language,
       s.first_seen, t.ref AS thread,
       (SELECT count(*) FROM story_outlets o WHERE o.story_id = al.story_id) AS outlets,
       sg.surge_id AS sg_surge_id, sg.kind AS sg_kind, sg.surge_key AS sg_surge_key,
       sg.label AS sg_label, sg.window_start AS sg_window_start,
       sg.window_end AS sg_window_end, sg.fired_at AS sg_fired_at,
       sg.report_count AS sg_report_count, sg.expected AS sg_expected,
       sg.outlets AS sg_outlets, sg.score AS sg_score, sg.evidence AS sg_evidence
FROM deliveries d
JOIN alerts al USING (alert_id)
JOIN articles a ON a.article_id = al.article_id
JOIN stories s ON s.story_id = al.story_id
LEFT JOIN threads t ON t.story_id = al.story_id AND t.rule = al.rule AND t.notifier = d.notifier
LEFT JOIN surges sg ON """
    + _SURGE_OF_ALERT
)
# Which deliveries are due, held or in a batch (d: deliveries, al: alerts). A delivery
# waits while an earlier alert of the same story and rule has a pending, not yet due
# delivery on the same notifier: updates follow their first message.
DUE = """d.state = 'pending' AND d.next_attempt_at <= :now
  AND NOT EXISTS (
    SELECT 1 FROM alerts pa JOIN deliveries pd ON pd.alert_id = pa.alert_id
    WHERE pa.story_id = al.story_id AND pa.rule = al.rule AND pa.created_at < al.created_at
      AND pd.notifier = d.notifier AND pd.state = 'pending' AND pd.next_attempt_at > :now)"""
DUE_ORDER = "d.next_attempt_at, al.created_at, d.delivery_id"
DUE_ON = f"{DUE} AND d.notifier = :notifier"  # one notifier's drain
HELD = """d.notifier = :notifier AND d.state = 'pending' AND d.hold = :hold
  AND d.batch_id IS NULL"""
HELD_ORDER = "al.created_at, d.delivery_id"
MEMBERS = "d.batch_id = :batch AND d.state = 'pending'"
# One daemon's outbox (SQLite): the deliveries it sends are simply read.
PICKS = {
    "due": f"{DELIVERY_CONTEXT} WHERE {DUE} ORDER BY {DUE_ORDER} LIMIT :limit",
    "due_on": f"{DELIVERY_CONTEXT} WHERE {DUE_ON} ORDER BY {DUE_ORDER} LIMIT :limit",
    "members": f"{DELIVERY_CONTEXT} WHERE {MEMBERS}",
    "held": f"{DELIVERY_CONTEXT} WHERE {HELD} ORDER BY {HELD_ORDER}",
}
UPDATE_DELIVERY = """
UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?, hold = ?,
                      first_attempt_at = coalesce(first_attempt_at, ?), updated_at = ?
WHERE delivery_id = ?
"""
# Per notifier with pending deliveries: any due by :now, and the earliest later one.
_QUEUES = """
SELECT notifier, max(CASE WHEN next_attempt_at <= :now THEN 1 ELSE 0 END) AS due,
       min(CASE WHEN next_attempt_at > :now THEN next_attempt_at END) AS upcoming
FROM deliveries WHERE state = 'pending'{only}
GROUP BY notifier ORDER BY notifier{{collate}}
"""
NOTIFIER_QUEUES = _QUEUES.format(only="")
NOTIFIER_QUEUE = _QUEUES.format(only=" AND notifier = :notifier")
DELIVERY_COUNTS = "SELECT state, count(*) AS n FROM deliveries GROUP BY state"
# The languages articles are in, each the least one past the last: one probe a language on
# ``articles_language`` (migration 0020), however many articles there are.
ARTICLE_LANGUAGES = """
WITH RECURSIVE found(language) AS (
    SELECT min(language) FROM articles WHERE language > ''
    UNION ALL
    SELECT (SELECT min(a.language) FROM articles a WHERE a.language > found.language)
    FROM found WHERE found.language IS NOT NULL
)
SELECT language FROM found WHERE language IS NOT NULL LIMIT ?
"""
OLDEST_PENDING = """
SELECT min(al.created_at) AS oldest FROM deliveries d JOIN alerts al USING (alert_id)
WHERE d.state = 'pending'
"""
SAVE_THREAD = """
INSERT INTO threads (story_id, rule, notifier, ref) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING
"""
ADD_SILENCE = """
INSERT INTO silences (rule, story_id, notifier, reason, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?)
RETURNING silence_id
"""
REMOVE_SILENCE = "DELETE FROM silences WHERE silence_id = ?"


def claim_batch(dialect: Dialect, count: int) -> str:
    where = dialect.in_list("delivery_id", count)
    return f"UPDATE deliveries SET batch_id = ? WHERE {where} AND batch_id IS NULL"


SILENCES = """
SELECT * FROM silences
WHERE {time_param} IS NULL OR (created_at <= ? AND expires_at > ?)
ORDER BY expires_at, silence_id
"""

LIST_ALERTS = """
SELECT al.*, al.outlets AS alert_outlets, a.title
FROM alerts al JOIN articles a ON a.article_id = al.article_id
WHERE al.created_at >= ?
  AND ({text_param} IS NULL OR EXISTS (
    SELECT 1 FROM deliveries d WHERE d.alert_id = al.alert_id AND d.state = ?))
ORDER BY al.created_at DESC, al.alert_id{collate}
LIMIT ?
"""

ONE_ALERT = """
SELECT al.*, al.outlets AS alert_outlets, a.title
FROM alerts al JOIN articles a ON a.article_id = al.article_id
WHERE al.alert_id = ?
"""


def deliveries_of(dialect: Dialect, count: int) -> str:
    """Every delivery of ``count`` alerts, by notifier within each alert."""
    where = dialect.in_list("alert_id", count)
    return f"SELECT * FROM deliveries WHERE {where} ORDER BY alert_id, notifier{{collate}}"


# --- statistics ---

ALERTS_BY_STATE = """
SELECT CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = al.alert_id
                         AND d.state = 'pending') THEN 'pending' ELSE 'done' END AS state,
       count(*) AS n
FROM alerts al GROUP BY 1
"""
ARTICLE_SPAN = "SELECT min(fetched_at) AS oldest, max(fetched_at) AS newest FROM articles"
# length() of a BLOB (SQLite) and of a bytea (PostgreSQL) is its size in bytes.
BODY_SIZES = "SELECT count(body) AS n, coalesce(sum(length(body)), 0) AS size FROM articles"
