"""Logging: one renderer for our events and the stdlib's, JSON off a TTY, key=value on one."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator

import pytest
import structlog

from monitor.observability.logs import (
    INHERITED_SETTINGS,
    configure_inherited_logging,
    configure_logging,
)
from tests.support.environment import kept_in_environment


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def test_json_lines_when_not_on_a_tty() -> None:
    stream = io.StringIO()
    configure_logging("info", "auto", stream)
    structlog.get_logger("monitor.test").info("feed_polled", feed_url="http://x/feed")
    (line,) = stream.getvalue().splitlines()
    event = json.loads(line)
    assert event["event"] == "feed_polled"
    assert event["feed_url"] == "http://x/feed"
    assert event["level"] == "info"
    assert event["timestamp"].endswith("Z")


def test_stdlib_loggers_use_the_same_renderer() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream)
    logging.getLogger("apscheduler.scheduler").warning("job missed")
    event = json.loads(stream.getvalue())
    assert (event["event"], event["level"], event["logger"]) == (
        "job missed",
        "warning",
        "apscheduler.scheduler",
    )


def test_key_value_on_a_tty() -> None:
    stream = FakeTty()
    configure_logging("info", "auto", stream)
    structlog.get_logger("monitor.test").info("alert_raised", rule="iran")
    text = stream.getvalue()
    assert "alert_raised" in text and "rule" in text and "iran" in text
    assert not text.lstrip().startswith("{")


def test_level_filters_events_and_chatty_libraries_stay_quiet() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream)
    structlog.get_logger("monitor.test").debug("noise")
    logging.getLogger("httpx").info("HTTP Request: GET http://x")
    assert stream.getvalue() == ""


@pytest.mark.parametrize("key", ["feed_url", "url", "moved_to", "hub", "topic"])
def test_credentials_in_logged_urls_are_removed(key: str) -> None:
    """A feed configured as https://user:secret@host/feed never logs its secret."""
    stream = io.StringIO()
    configure_logging("info", "json", stream)
    structlog.get_logger("monitor.test").error(
        "feed_error", **{key: "https://reader:hunter2@x.example/f"}
    )
    event = json.loads(stream.getvalue())
    assert event[key] == "https://x.example/f"
    assert "hunter2" not in stream.getvalue()


@pytest.mark.parametrize("before", [None, "", '{"format": "console"}'])
def test_a_tests_handed_down_settings_are_put_back_after_it(
    request: pytest.FixtureRequest, before: str | None
) -> None:
    """Every test runs inside the suite's autouse fixture, which keeps the settings a
    test's ``configure_logging`` hands down from reaching the next test's processes."""
    assert "_restore_inherited_log_settings" in request.fixturenames
    with kept_in_environment(INHERITED_SETTINGS):
        if before is None:
            os.environ.pop(INHERITED_SETTINGS, None)
        else:
            os.environ[INHERITED_SETTINGS] = before
        with kept_in_environment(INHERITED_SETTINGS):
            configure_logging("debug", "json", levels={"httpx": "warning"})
            assert os.environ[INHERITED_SETTINGS] != before  # handed down
        assert os.environ.get(INHERITED_SETTINGS) == before


def test_the_settings_on_stderr_are_handed_down_with_auto_decided(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(INHERITED_SETTINGS, "")  # restored after the test
    configure_logging("warning", "auto", levels={"httpx": "info"})  # stderr: not a TTY here
    handed = json.loads(os.environ[INHERITED_SETTINGS])
    assert handed == {"format": "json", "level": "warning", "levels": {"httpx": "info"}}
    configure_logging("info", "console", io.StringIO())  # a stream of the caller's: its own
    assert json.loads(os.environ[INHERITED_SETTINGS]) == handed


@pytest.mark.parametrize(
    ("handed", "shown_as_json"),
    [
        ('{"format": "console", "level": "info", "levels": {}}', False),
        ('{"format": "json", "level": "info", "levels": {}}', True),
        ('{"format": "console", "levels": {"monitor": "loud"}}', True),  # unreadable: defaults
        ("{not json", True),
        ("", True),  # none handed down: the defaults (JSON off a TTY)
    ],
)
def test_a_child_process_logs_as_its_parent_configured(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], handed: str,
    shown_as_json: bool,
) -> None:  # fmt: skip
    monkeypatch.setenv(INHERITED_SETTINGS, handed)
    configure_inherited_logging()
    structlog.get_logger("monitor.test").warning("child_line", model="m")
    line = capsys.readouterr().err.strip()
    assert line.startswith("{") is shown_as_json
    assert "child_line" in line and "model" in line
