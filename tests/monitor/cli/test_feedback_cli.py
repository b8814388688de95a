"""``wirewatch alerts mark`` and ``rules stats`` on a real SQLite file and on
PostgreSQL, with what ``wirewatch alerts`` and ``rules backtest`` then show."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.alerting import Routes
from monitor.cli.main import main
from monitor.config import load_config
from monitor.ingest.story_alerts import AlertPolicy
from monitor.store import opened_store
from tests.support.stores import STORE_BACKENDS, postgres_schema_sync
from tests.support.stories import StoryDesk, match


@pytest.fixture(name="store_table", params=STORE_BACKENDS)
def _store_table(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The ``[store]`` table of a file in ``tmp_path``, or of a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f'[store]\npath = "{tmp_path / "cli.db"}"\n'
        return
    with postgres_schema_sync() as url:
        yield f'[store]\nurl = "{url}"\n'


def _config(tmp_path: Path, store_table: str) -> str:
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        store_table
        + """

[[rules]]
name = "port-shelling"
any_of = [{ terms = ["shelling"] }]

[[rules]]
name = "quiet-rule"
any_of = [{ terms = ["nothing"] }]
"""
    )
    return str(path)


async def _raise_alerts(config: str, titles: list[str]) -> list[str]:
    """An alert of port-shelling on a story of its own for each title (whatever the title
    says: the rule's match is given), oldest first, in the config's store."""
    ids = []
    async with opened_store(load_config(config).settings.store) as store:
        for number, title in enumerate(titles):
            desk = StoryDesk(store, AlertPolicy(Routes(())), story_id=f"s{number}")
            (alert,) = await desk.report(title, outlet=1, matches=[match()])
            ids.append(alert.alert_id)
    return ids


@pytest.fixture(name="world")
def _world(tmp_path: Path, store_table: str) -> tuple[str, list[str]]:
    titles = ["Shelling hits the port", "Port shelling resumes", "Shelling near the docks"]
    config = _config(tmp_path, store_table)
    return config, asyncio.run(_raise_alerts(config, titles))


def test_mark_records_a_verdict_that_alerts_then_shows(
    world: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    config, (first, *_) = world
    mark = ["alerts", "mark", "--config", config, first]
    assert main([*mark, "useful"]) == 0
    assert main([*mark, "false_positive", "--note", "a football match\x1b[2J"]) == 0
    assert f"alert {first} (port-shelling) marked false_positive" in capsys.readouterr().out
    assert main(["alerts", "--config", config, "--since", "365d"]) == 0
    shown = capsys.readouterr().out
    assert "verdict false_positive by cli at " in shown
    assert "a football match" in shown and "\x1b" not in shown
    assert main(["alerts", "--config", config, "--since", "365d", "--json"]) == 0
    listed = {
        item["alert_id"]: item for item in map(json.loads, capsys.readouterr().out.split("\n")[:-1])
    }
    assert listed[first]["verdict"]["verdict"] == "false_positive"
    assert [item["verdict"] for item in listed[first]["feedback"]] == ["useful", "false_positive"]
    assert {listed[key]["verdict"] for key in listed if key != first} == {None}


@pytest.mark.parametrize(
    ("arguments", "status", "error"),
    [
        (["al_unknown", "useful"], 1, "no alert 'al_unknown'"),
        (["{first}", "great"], 2, "invalid choice: 'great'"),
        (["{first}", "useful", "--note", "x" * 2001], 1, "--note is 2001 characters"),
    ],
)
def test_mark_refuses_what_it_cannot_record(
    world: tuple[str, list[str]],
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    status: int,
    error: str,
) -> None:
    config, (first, *_) = world
    argv = ["alerts", "mark", "--config", config, *(a.format(first=first) for a in arguments)]
    if status == 2:
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
    else:
        assert main(argv) == status
    assert error in capsys.readouterr().err


def test_rules_stats_counts_verdicts_and_precision(
    world: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    config, ids = world
    for alert_id, verdict in zip(ids, ["useful", "false_positive", "duplicate"], strict=True):
        assert main(["alerts", "mark", "--config", config, alert_id, verdict]) == 0
    capsys.readouterr()
    assert main(["rules", "stats", "--config", config, "--since", "365d", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows == [
        {"rule": "port-shelling", "alerts": 3, "judged": 3, "precision": 0.5,
         "verdicts": {"useful": 1, "false_positive": 1, "duplicate": 1}},
        {"rule": "quiet-rule", "alerts": 0, "judged": 0, "precision": None,
         "verdicts": {"useful": 0, "false_positive": 0, "duplicate": 0}},
    ]  # fmt: skip
    assert main(["rules", "stats", "--config", config, "--since", "365d"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split() == ["port-shelling", "3", "1", "1", "1", "50%"]
    assert lines[3].split() == ["quiet-rule", "0", "0", "0", "0", "-"]


def test_backtest_shows_earlier_verdicts_beside_would_be_alerts(
    tmp_path: Path, store_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first three stories still match; the fourth (its alert judged a false positive)
    no longer would: the backtest says so."""
    config = _config(tmp_path, store_table)
    titles = ["Shelling hits the port", "Port shelling resumes", "Shelling near docks", "Regatta"]
    ids = asyncio.run(_raise_alerts(config, titles))
    marks = [
        (ids[0], "useful", "«верно»"),
        (ids[1], "duplicate", ""),
        (ids[3], "false_positive", ""),
    ]
    for alert_id, verdict, note in marks:
        assert main(["alerts", "mark", "--config", config, alert_id, verdict, "--note", note]) == 0
    capsys.readouterr()
    argv = ["rules", "backtest", "--config", config, "--since", "2026-11-01", "--samples", "5"]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert "port-shelling: 3 alerts (3 articles)" in out
    assert (
        "  earlier verdicts on these stories: 1 useful, 1 duplicate;"
        " judged alerts it would no longer raise: 1 false_positive"
    ) in out
    assert "      earlier verdict: useful by cli: «верно»" in out
    assert "      earlier verdict: duplicate by cli" in out
