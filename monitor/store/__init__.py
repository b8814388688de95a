"""Storage: the ``Store`` interface and its records, the factory that opens the configured
backend, and the backends themselves (``sqlite/`` embedded, ``postgres/`` shared by
several daemons) with their migrations; retention, group commit and the instance lock.

Everything above reaches the database only through this package."""

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
