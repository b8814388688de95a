"""Config reload as an operator asks for it and reads its answer: SIGHUP, POST /reload (the
changes or every error), a broken file that changes nothing while the old config keeps
alerting, and the new config's advice logged without a secret. Real feed server, real
webhook receiver, real SQLite."""

from __future__ import annotations

import signal

import httpx
import pytest
from structlog.testing import capture_logs

from tests.support.daemon_process import DaemonProcess
from tests.support.reload_world import CRANES, FLOODS, Start, World
from tests.support.reload_world import alerts as _alerts
from tests.support.reload_world import jobs as _jobs
from tests.support.reload_world import rss as _rss

BROKEN = [
    pytest.param("[[feeds]\nurl = ", ["invalid TOML"], id="toml-syntax"),
    pytest.param(
        "[daemon]\nconcurrency = 0\n" + CRANES,
        [":2: daemon.concurrency: Input should be greater than or equal to 1"],
        id="validation",
    ),
    pytest.param(
        '[[rules]]\nname = "cranes"\nany_of = [{ terms = ["crane"] }]\nnotifiers = ["pager"]\n',
        ["unknown notifier 'pager'"],
        id="unknown-notifier",
    ),
    pytest.param(
        CRANES + '[rules.examples]\nmust_match = ["Floods close the river port"]\n',
        ["rule 'cranes': must_match example failed"],
        id="failed-rule-example",
    ),
    pytest.param(
        '[notifiers.hook]\ntype = "webhook"\nurl = "https://hooks.example/x"\n'
        'secret = "hunter2-very-secret"\ntimeout = 0\n' + CRANES,
        ["notifiers.hook.timeout"],
        id="notifier-with-a-secret",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BROKEN)
async def test_a_broken_config_is_rejected_and_the_old_one_keeps_alerting(
    reload_world: World, start_reload_daemon: Start, text: str, expected: list[str]
) -> None:
    reload_world.write("/a.xml")
    daemon = await start_reload_daemon()
    await _alerts(reload_world, 1)
    running = daemon.config
    jobs = _jobs(daemon)
    reload_world.path.write_text(text)

    with capture_logs() as logs:
        result = await daemon.reloader.reload()

    assert not result.ok
    for wanted in expected:
        assert any(wanted in error for error in result.errors), result.errors
    assert not any("hunter2" in error for error in result.errors)
    (failed,) = [entry for entry in logs if entry["event"] == "config_reload_failed"]
    assert failed["errors"] == list(result.errors)
    assert daemon.config is running
    assert _jobs(daemon) == jobs
    reload_world.feeds.add_feed("/a.xml", _rss("Harbour Wire", [("Second crane falls", "a-2")]))
    outcome = await daemon.poll(running.feeds[0])  # the old rules still match and send
    assert outcome.alerts == 1
    assert (await _alerts(reload_world, 2))[1]["rule"] == "cranes"


LISTENER = 'enabled = true\nport = 0\ntoken = "s3cret-token"'


async def test_post_reload_answers_with_the_changes_or_every_error(
    reload_world: World, start_reload_daemon: Start
) -> None:
    reload_world.write("/a.xml", listener=LISTENER)
    daemon = await start_reload_daemon()
    await _alerts(reload_world, 1)
    url = daemon.listener.url + "/-/reload"
    auth = {"Authorization": "Bearer s3cret-token"}
    reload_world.write("/a.xml", "/b.xml", rules=CRANES + FLOODS, listener=LISTENER)
    async with httpx.AsyncClient() as client:
        refused = await client.post(url)
        applied = await client.post(url, headers=auth)
        reload_world.path.write_text("[daemon]\nconcurrency = 0\n")
        rejected = await client.post(url, headers=auth)
    assert refused.status_code == 401
    assert applied.status_code == 200
    body = applied.json()
    assert body["status"] == "ok"
    assert body["changes"]["feeds_added"] == [reload_world.url("/b.xml")]
    assert body["changes"]["rules_added"] == ["floods"]
    assert rejected.status_code == 400
    assert rejected.json()["status"] == "error"
    assert any("daemon.concurrency" in error for error in rejected.json()["errors"])


def test_sighup_reloads_a_running_daemon_and_a_broken_file_is_logged(reload_world: World) -> None:
    reload_world.write("/a.xml")
    with DaemonProcess(reload_world.path) as daemon:
        daemon.wait_ready()
        assert [alert["rule"] for alert in reload_world.alerts(1)] == ["cranes"]
        reload_world.write("/a.xml", "/b.xml", rules=CRANES + FLOODS)
        daemon.send_signal(signal.SIGHUP)
        reloaded = daemon.wait_event("config_reloaded")
        assert reloaded["feeds_added"] == 1
        assert reloaded["rules_added"] == 1
        assert reloaded["trigger"] == "signal"
        assert reload_world.alerts(2)[1]["rule"] == "floods"  # the new feed, the new rule
        reload_world.path.write_text("[daemon]\nconcurrency = 0\n")
        daemon.send_signal(signal.SIGHUP)
        failed = daemon.wait_event("config_reload_failed")
        assert any("daemon.concurrency" in error for error in failed["errors"])
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait() == 0


async def test_a_reload_logs_the_new_configs_advice_never_a_secret(
    reload_world: World, start_reload_daemon: Start
) -> None:
    """A feed added with its secret written in the file reloads (it works), and the reload
    logs the deprecation naming the key and the feed, never the value, as a start does."""
    reload_world.write("/a.xml")
    daemon = await start_reload_daemon()
    await _alerts(reload_world, 1)
    inline = '/b.xml auth = { type = "bearer", secret = "inl1ne-s3cret" }'
    reload_world.write("/a.xml", inline, rules=CRANES + FLOODS)

    with capture_logs() as logs:
        result = await daemon.reloader.reload()

    assert result.ok, result.errors
    (advice,) = [entry for entry in logs if entry["event"] == "config_feed_secret_inline"]
    assert (advice["key"], advice["feed_url"], advice["use"]) == (
        "feeds.1.auth.secret",
        reload_world.url("/b.xml"),
        "token_env",
    )
    assert "inl1ne-s3cret" not in repr(logs)
