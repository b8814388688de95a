"""Everything the daemon keeps between runs: feeds, stories, articles, alerts, the outbox.

``store/`` owns the storage interfaces (``interface``, ``outbox``), the records they take
and give (``records``), the two backends (``sqlite/``, ``postgres/``) on one SQL layer
(``sql/``: statements, row mappers, the dialect), their schema (``migrations/``), and
retention, group commit and the instance lock. Other packages use only the names below.
"""

from monitor.store.factory import open_store, opened_store
from monitor.store.instance_lock import InstanceLockError, instance_lock, lock_path_for
from monitor.store.interface import ArticleRecord, BatchIngestStore, FeedLeases, Store
from monitor.store.outbox import STATES, AlertListing, Outbox
from monitor.store.postgres.migrate import migrate_store, render_migration
from monitor.store.records import (
    DatabaseStats,
    DeliveryContext,
    KnownArticle,
    OpenedElsewhere,
    StoredArticle,
    StoreUnavailableError,
    StorySummary,
    WindowArticle,
)
from monitor.store.retention import RetentionReport, run_retention
from monitor.store.sqlite.store import SqliteStore

__all__ = [
    "STATES",
    "AlertListing",
    "ArticleRecord",
    "BatchIngestStore",
    "DatabaseStats",
    "DeliveryContext",
    "FeedLeases",
    "InstanceLockError",
    "KnownArticle",
    "OpenedElsewhere",
    "Outbox",
    "RetentionReport",
    "SqliteStore",
    "Store",
    "StoreUnavailableError",
    "StoredArticle",
    "StorySummary",
    "WindowArticle",
    "instance_lock",
    "lock_path_for",
    "migrate_store",
    "open_store",
    "opened_store",
    "render_migration",
    "run_retention",
]
