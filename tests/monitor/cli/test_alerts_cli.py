"""``wirewatch alerts``, ``silence add|list|remove`` and ``notify test`` on a real store."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.alerting import Routes
from monitor.cli.main import main
from monitor.ingest.story_alerts import AlertPolicy
from monitor.store.sqlite.store import SqliteStore
from tests.support.receiver import HttpReceiver, Response
from tests.support.stories import StoryDesk, match


@pytest.fixture(name="http_receiver")
def _http_receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver


def _config(tmp_path: Path, hook_url: str, *, enabled: bool = True) -> str:
    path = tmp_path / "wirewatch.toml"
    path.write_text(f"""
[store]
path = "{tmp_path / "cli.db"}"

[notifiers.hook]
type = "webhook"
url = "{hook_url}"
enabled = {str(enabled).lower()}

[[rules]]
name = "port-shelling"
any_of = [{{ terms = ["shelling"] }}]
""")
    return str(path)


async def _raise_alert(tmp_path: Path, story: str = "s1") -> None:
    store = SqliteStore(str(tmp_path / "cli.db"))
    await store.open()
    try:
        desk = StoryDesk(store, AlertPolicy(Routes(("hook",))), story_id=story)
        await desk.report("Shelling hits the port", outlet=1, matches=[match()])
    finally:
        await store.close()


def test_alerts_lists_each_alert_with_its_deliveries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9/hook")
    asyncio.run(_raise_alert(tmp_path))
    assert main(["alerts", "--config", config, "--since", "365d"]) == 0
    header, delivery = capsys.readouterr().out.splitlines()
    assert "port-shelling  new  Shelling hits the port" in header
    assert delivery.split()[:3] == ["hook", "pending", "attempts=0"]
    assert main(["alerts", "--config", config, "--since", "365d", "--state", "dead"]) == 0
    assert capsys.readouterr().out.startswith("no alerts since ")
    assert main(["alerts", "--config", config, "--since", "2020-01-01", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["deliveries"][0]["state"] == "pending"
    assert json.loads(line)["surge_id"] is None  # a rule's alert carries no surge


def test_alerts_refuses_a_bad_since(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9/hook")
    assert main(["alerts", "--config", config, "--since", "yesterday"]) == 1
    assert "use a duration" in capsys.readouterr().err


def test_silence_add_list_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9/hook")
    add = ["silence", "add", "--config", config, "--rule", "port-shelling", "--for", "2h"]
    assert main([*add, "--reason", "known\x1b[2J outage"]) == 0
    assert capsys.readouterr().out.startswith("silence 1 added: rule port-shelling until ")
    assert main(["silence", "list", "--config", config]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("1  rule port-shelling until ") and listed.rstrip().endswith(
        "known outage"
    )
    assert main(["silence", "remove", "--config", config, "1"]) == 0
    assert main(["silence", "remove", "--config", config, "1"]) == 1
    assert main(["silence", "list", "--config", config]) == 0
    assert "no silence 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        (["--rule", "nope", "--for", "2h"], "unknown rule 'nope'"),
        (["--for", "2h"], "needs --rule or --story"),
        (["--rule", "port-shelling", "--for", "forever"], "not a duration"),
        (["--story", "s1", "--notifier", "pager", "--for", "1h"], "unknown notifier 'pager'"),
    ],
)
def test_silence_add_refuses_mistakes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], error: str
) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9/hook")
    assert main(["silence", "add", "--config", config, *extra, "--reason", "x"]) == 1
    assert error in capsys.readouterr().err


def test_notify_test_sends_through_one_notifier(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], http_receiver: HttpReceiver
) -> None:
    config = _config(tmp_path, http_receiver.url("/hook"))
    assert main(["notify", "test", "--config", config, "hook"]) == 0
    assert capsys.readouterr().out == "sent a test alert through hook (webhook)\n"
    (request,) = http_receiver.wait_for(1)
    assert request.json()["rule"] == "notify-test"


@pytest.mark.parametrize(
    "table",
    ['type = "webhook"\nurl = "{url}"', 'type = "slack"\nwebhook_url = "{url}"'],
    ids=["webhook", "slack"],
)
def test_notify_test_sends_the_daemons_user_agent(
    tmp_path: Path, http_receiver: HttpReceiver, table: str
) -> None:
    """``notify test`` sends as the daemon would: with its User-Agent, not httpx's."""
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        '[daemon]\nuser_agent = "desk-monitor/3.1"\n'
        f'[store]\npath = "{tmp_path / "cli.db"}"\n'
        f"[notifiers.out]\n{table.format(url=http_receiver.url('/out'))}\n"
    )
    assert main(["notify", "test", "--config", str(path), "out"]) == 0
    (request,) = http_receiver.wait_for(1)
    assert request.headers["user-agent"] == "desk-monitor/3.1"


@pytest.mark.parametrize(
    ("name", "enabled", "answer", "error"),
    [
        (
            "hook",
            True,
            Response(403, body=b"forbidden"),
            "hook (webhook): webhook 'hook' returned 403",
        ),
        ("pager", True, None, "no notifier 'pager' (known: hook)"),
        ("hook", False, None, "notifier 'hook' is disabled"),
    ],
)
def test_notify_test_reports_failures(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_receiver: HttpReceiver,
    name: str,
    enabled: bool,
    answer: Response | None,
    error: str,
) -> None:
    if answer is not None:
        http_receiver.enqueue(answer)
    config = _config(tmp_path, http_receiver.url("/hook/SECRET-PATH"), enabled=enabled)
    assert main(["notify", "test", "--config", config, name]) == 1
    err = capsys.readouterr().err
    assert error in err and "SECRET-PATH" not in err
