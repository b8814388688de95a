"""Everything the daemon keeps between runs: feeds, stories, articles, alerts, the outbox.

``store/`` owns the storage interfaces (``interface``, ``outbox``), the records they take
and give (``records``), the two backends (``sqlite/``, ``postgres/``) on one SQL layer
(``sql/``: statements, row mappers, the dialect), their schema (``migrations/``),
retention, group commit, the instance lock, and whether writes go through
(``writability``: a full disk or a read-only file is one error, reported once a while).
Other packages use only the names below.
"""

from monitor.store.cancelled import Stored, WriteEnding, write_ending
from monitor.store.factory import open_store, opened_store
from monitor.store.instance_lock import InstanceLockError, instance_lock, lock_path_for
from monitor.store.interface import ArticleRecord, BatchIngestStore, FeedLeases, Store
from monitor.store.outbox import STATES, AlertListing, DeliveryUpdate, Outbox, ThreadRef
from monitor.store.postgres.migrate import migrate_store, render_migration
from monitor.store.records import (
    AlertFilter,
    AlertPlanner,
    DatabaseStats,
    DeliveryContext,
    FeedSet,
    Keyset,
    KnownArticle,
    MarkedWindow,
    NotifierQueue,
    NotWritableCause,
    OpenedElsewhere,
    RuleCount,
    RuleHour,
    SchemaTooOldError,
    StoredArticle,
    StoreNotWritableError,
    StoreUnavailableError,
    StoryArticle,
    StoryFilter,
    StorySummary,
    WindowArticle,
    links_of,
)
from monitor.store.retention import RetentionReport, run_retention
from monitor.store.sqlite.store import SqliteStore

__all__ = [
    "STATES",
    "AlertFilter",
    "AlertListing",
    "AlertPlanner",
    "ArticleRecord",
    "BatchIngestStore",
    "DatabaseStats",
    "DeliveryContext",
    "DeliveryUpdate",
    "FeedLeases",
    "FeedSet",
    "InstanceLockError",
    "Keyset",
    "KnownArticle",
    "MarkedWindow",
    "NotWritableCause",
    "NotifierQueue",
    "OpenedElsewhere",
    "Outbox",
    "RetentionReport",
    "RuleCount",
    "RuleHour",
    "SchemaTooOldError",
    "SqliteStore",
    "Store",
    "StoreNotWritableError",
    "StoreUnavailableError",
    "Stored",
    "StoredArticle",
    "StoryArticle",
    "StoryFilter",
    "StorySummary",
    "ThreadRef",
    "WindowArticle",
    "WriteEnding",
    "instance_lock",
    "links_of",
    "lock_path_for",
    "migrate_store",
    "open_store",
    "opened_store",
    "render_migration",
    "run_retention",
    "write_ending",
]
