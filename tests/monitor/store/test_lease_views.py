"""What shows which daemon does what, without a database: instance names, the feeds
table's "polled by" column, the instance metric; the PostgreSQL store shares leases."""

from __future__ import annotations

from monitor.api import feed_record
from monitor.cli.feeds import render_table
from monitor.config.feeds import FeedSettings
from monitor.daemon.leases import instance_name
from monitor.store import FeedLeases
from monitor.store.postgres.store import PostgresStore
from monitor.store.sqlite.store import SqliteStore
from monitor.web.metrics import Metrics

URLS = ["https://feeds.example/0.xml", "https://feeds.example/1.xml"]


def test_only_the_postgresql_store_shares_feed_leases() -> None:
    assert isinstance(PostgresStore("postgresql://h/db"), FeedLeases)
    assert not isinstance(SqliteStore(":memory:"), FeedLeases)


def test_instance_names_are_the_configured_one_or_unique() -> None:
    assert instance_name("poller-a") == "poller-a"
    assert instance_name() != instance_name()


def test_the_feeds_table_names_the_daemon_polling_each_feed() -> None:
    feeds = [FeedSettings(url=url, name=f"Feed {n}") for n, url in enumerate(URLS[:2])]
    records = [feed_record(feeds[0], None, "poller-a"), feed_record(feeds[1], None)]
    assert [record["polled_by"] for record in records] == ["poller-a", None]
    header, first, second = render_table(records).splitlines()
    assert header.startswith("polled by  feed")
    assert first.startswith("poller-a   Feed 0")
    assert second.startswith("-          Feed 1")
    assert not render_table(records[1:]).startswith("polled by")  # one daemon: no column


def test_metrics_name_the_daemon() -> None:
    text = Metrics(version="1.0", instance="poller-a").render().decode()
    assert 'wirewatch_instance_info{instance="poller-a"} 1.0' in text
