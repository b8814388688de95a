"""Log lines: the keys every JSON line has, a level per logger from the config, and no
secret in any line (a delivery failure to a webhook whose URL is the secret)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog

from monitor.config.settings import ConfigError, load_config
from monitor.daemon.daemon import Daemon
from monitor.daemon.reload import log_secrets
from monitor.observability.logs import configure_logging, set_log_secrets
from tests.support.configs import one_feed_config
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver, Response

LINE_KEYS = {"timestamp", "level", "logger", "event"}


@pytest.fixture(autouse=True)
def _reset_levels() -> Iterator[None]:
    yield
    configure_logging("info", "json", io.StringIO())  # drops the per-logger levels set here
    set_log_secrets(())


def _structlog_event() -> None:
    structlog.get_logger("monitor.alerting.dispatch").warning(
        "delivery_retry", notifier="hook", delivery_id=7, story_id="s_1", rule="iran"
    )


def _stdlib_record() -> None:
    logging.getLogger("apscheduler.scheduler").warning("job missed")


def _exception() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        structlog.get_logger("monitor.daemon.daemon").exception(
            "feed_poll_crashed", feed_url="http://x/"
        )


@pytest.mark.parametrize(
    ("emit", "logger", "event", "level"),
    [
        (_structlog_event, "monitor.alerting.dispatch", "delivery_retry", "warning"),
        (_stdlib_record, "apscheduler.scheduler", "job missed", "warning"),
        (_exception, "monitor.daemon.daemon", "feed_poll_crashed", "error"),
    ],
)
def test_every_json_line_has_the_stable_keys(
    emit: Callable[[], None], logger: str, event: str, level: str
) -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream)
    emit()
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert set(record) >= LINE_KEYS
    assert (record["logger"], record["event"], record["level"]) == (logger, event, level)
    assert record["timestamp"].endswith("Z")


LEVELS = {"monitor.feeds.fetcher": "debug", "httpx": "info", "monitor.ingest.pipeline": "error"}


@pytest.mark.parametrize(
    ("logger", "level", "shown"),
    [
        ("monitor.feeds.fetcher", logging.DEBUG, True),  # its own level
        ("monitor.feeds.fetcher.hosts", logging.DEBUG, True),  # children inherit it
        ("monitor.alerting.dispatch", logging.DEBUG, False),  # the root's level: warning
        ("monitor.alerting.dispatch", logging.WARNING, True),
        ("monitor.ingest.pipeline", logging.WARNING, False),  # raised above the root's
        ("httpx", logging.INFO, True),  # a library opened up past its usual quiet
        ("httpcore", logging.INFO, False),  # still quiet
    ],
)
def test_a_level_per_logger(logger: str, level: int, shown: bool) -> None:
    stream = io.StringIO()
    configure_logging("warning", "json", stream, levels=LEVELS)
    structlog.get_logger(logger).log(level, "probe")
    assert bool(stream.getvalue()) is shown


@pytest.mark.parametrize(
    ("configured", "logger"),
    [
        ("monitor.fetcher", "monitor.feeds.fetcher"),
        ("monitor.pipeline", "monitor.ingest.pipeline"),
        ("monitor.dispatch", "monitor.alerting.dispatch"),
    ],
)
def test_a_logger_name_from_before_the_layout_still_sets_its_level(
    configured: str, logger: str
) -> None:
    stream = io.StringIO()
    configure_logging("warning", "json", stream, levels={configured: "debug"})
    structlog.get_logger(logger).debug("probe")
    assert json.loads(stream.getvalue())["logger"] == logger


def test_reconfiguring_drops_the_earlier_levels() -> None:
    configure_logging("warning", "json", io.StringIO(), levels=LEVELS)
    stream = io.StringIO()
    configure_logging("warning", "json", stream)
    structlog.get_logger("monitor.feeds.fetcher").debug("probe")
    assert stream.getvalue() == ""


def test_levels_from_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "ww.toml"
    path.write_text('[log.levels]\n"monitor.feeds.fetcher" = "debug"\nhttpx = "warning"\n')
    assert dict(load_config(path).settings.log.levels) == {
        "monitor.feeds.fetcher": "debug",
        "httpx": "warning",
    }


def test_an_unknown_level_is_a_config_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "ww.toml"
    path.write_text(
        '[log]\nlevel = "info"\n[log.levels]\nhttpx = "info"\n"monitor.feeds.fetcher" = "loud"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (error,) = caught.value.errors
    assert error.startswith(f"{path}:5: log.levels.monitor.feeds.fetcher: ")
    assert "'debug', 'info', 'warning' or 'error'" in error


FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Iranian troops reach Latakia</title><guid>w-1</guid></item></channel></rss>"""
SECRET_PATH = "/hook/T0KEN-s3cr3t-9f2c"


async def test_a_failed_delivery_logs_its_keys_and_never_the_webhook_url(tmp_path: Path) -> None:
    """The webhook URL is the secret (Slack-style); it must not appear in any line, even
    with httpx, which logs each request's URL, opened up to info."""
    with FeedServer() as feeds, HttpReceiver(default=Response(500, body=b"down")) as receiver:
        feeds.add_feed("/feed.xml", FEED)
        secret_url = receiver.url(SECRET_PATH)
        hook = f'[notifiers.hook]\ntype = "webhook"\nurl = "{secret_url}"'
        path = one_feed_config(tmp_path, feeds.url("/feed.xml"), hook)
        config = load_config(path)
        stream = io.StringIO()
        configure_logging("info", "json", stream, levels={"httpx": "info"})
        daemon = await Daemon.build(config)
        try:
            await daemon.run_once()
        finally:
            await daemon.close()
    assert receiver.requests, "the webhook was tried"
    text = stream.getvalue()
    assert SECRET_PATH not in text and "T0KEN" not in text
    records = [json.loads(line) for line in text.splitlines()]
    (retry,) = [r for r in records if r["event"] == "delivery_retry"]
    assert retry["notifier"] == "hook" and isinstance(retry["delivery_id"], int)
    assert {"story_id", "rule", "error"} <= set(retry)
    assert any(r["logger"] == "httpx" and "[redacted]" in r["event"] for r in records)


def test_store_listener_and_feed_secrets_never_reach_a_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WW_FEED_TOKEN", "feed-b3arer")
    path = tmp_path / "ww.toml"
    path.write_text(
        '[store]\nurl = "postgresql://ww:pg-s3cret@db.example/ww"\n'
        '[listener]\ntoken = "listener-t0ken"\n'
        '[[feeds]]\nurl = "https://reader:feed-pa55@f.example/a?api_key=feed-k3y"\n'
        '[[feeds]]\nurl = "https://f.example/b"\n'
        'auth = { type = "bearer", token_env = "WW_FEED_TOKEN" }\n',
        encoding="utf-8",
    )
    set_log_secrets(log_secrets(load_config(path)))
    out = io.StringIO()
    configure_logging("info", "json", out)
    # As a library's message would quote them: no URL around them to recognise.
    structlog.get_logger("monitor.store.interface").error(
        "store_failed",
        error="pg-s3cret listener-t0ken feed-pa55 feed-k3y feed-b3arer",
    )
    line = json.loads(out.getvalue().splitlines()[-1])
    assert line["error"] == " ".join(["[redacted]"] * 5)


def test_an_event_below_its_loggers_level_skips_the_processors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A dropped debug line costs a level check, not the redaction and rendering."""
    redacted: list[str] = []

    class Recording:
        def __bool__(self) -> bool:
            return True

        def __call__(self, value: str) -> str:
            redacted.append(value)
            return value

    stream = io.StringIO()
    configure_logging("warning", "json", stream, levels={"monitor.feeds.fetcher": "debug"})
    monkeypatch.setattr("monitor.observability.logs._redact", Recording())
    structlog.get_logger("monitor.ingest.pipeline").debug("feed_unchanged", feed_url="u1")
    assert (stream.getvalue(), redacted) == ("", [])
    structlog.get_logger("monitor.feeds.fetcher").debug("probe", feed_url="u2")
    assert "u2" in redacted and json.loads(stream.getvalue())["event"] == "probe"
