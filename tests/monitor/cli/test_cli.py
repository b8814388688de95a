"""The command-line contracts: ``check`` exit codes and ``replay``'s JSON lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from monitor.cli.main import main
from monitor.stories import embedding
from tests.support.feedserver import FeedServer
from tests.support.processes import COLD_START_GUARD

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = str(ROOT / "config.example.toml")
REPLAY = ROOT / "tests" / "data" / "replay"
LEVANT = str(REPLAY / "levant-wire.xml")
GULF = str(REPLAY / "gulf-dispatch.xml")
CONTRACT_KEYS = {"feed", "title", "link", "published", "story_id", "duplicate_of", "matches"}


def _replay(
    capsys: pytest.CaptureFixture[str], *sources: str
) -> tuple[int, list[dict[str, Any]]]:  # JSON rows
    status = main(["replay", "--config", EXAMPLE, *sources])
    lines = capsys.readouterr().out.splitlines()
    return status, [json.loads(line) for line in lines]


def test_check_accepts_the_example_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--config", EXAMPLE]) == 0
    assert "OK" in capsys.readouterr().out


def test_check_lists_every_error_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = Path(EXAMPLE).read_text(encoding="utf-8")
    text = text.replace("\nconcurrency = 32 ", "\nconcurrency = -1 ", 1)
    text = text.replace('severity = "high"', 'severity = "urgent"', 1)
    text = text.replace('all_of = ["russia", "syria"]', 'all_of = ["russia", "syrai"]', 1)
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["check", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "3 errors" in err
    for key in ("daemon.concurrency", "severity", "syrai"):
        assert key in err
    assert "Traceback" not in err


def test_check_reads_the_config_path_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WIREWATCH_CONFIG", EXAMPLE)
    assert main(["check"]) == 0
    assert EXAMPLE in capsys.readouterr().out


def test_check_without_any_config_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WIREWATCH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 1
    assert "wirewatch.toml: file not found" in capsys.readouterr().err


def test_replay_prints_the_json_lines_contract(capsys: pytest.CaptureFixture[str]) -> None:
    status, rows = _replay(capsys, LEVANT, GULF)
    assert status == 0
    assert [row["title"] for row in rows][:2] == [
        "Iranian troops arrive via Latakia airport to back army offensive near Homs",
        "Hamas officials meet mediators in Cairo",
    ]
    assert len(rows) == 5
    for row in rows:
        assert row.keys() >= CONTRACT_KEYS
    assert rows[0]["feed"] == "Levant Wire"
    assert rows[0]["link"] == "https://levantwire.example/2026/11/iran-troops-latakia"
    assert rows[0]["published"] == "2026-11-24T08:15:00+00:00"


def test_replay_folds_syndicated_copies_into_one_story(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, rows = _replay(capsys, LEVANT, GULF)
    first, copy = rows[0], rows[3]
    assert copy["feed"] == "Gulf Dispatch"
    assert copy["story_id"] == first["story_id"]
    assert first["duplicate_of"] is None
    assert copy["duplicate_of"] == first["id"]
    assert len({row["story_id"] for row in rows}) == 4


def test_replay_matches_the_iran_in_syria_rule_with_its_terms(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, rows = _replay(capsys, LEVANT)
    matches = {m["rule"]: m for m in rows[0]["matches"]}
    iran = matches["iran-in-syria"]
    assert iran["severity"] == "high"
    assert {"Iranian", "Latakia", "Homs", "troops"} <= set(iran["terms"])
    assert rows[1]["matches"] == [] and rows[2]["matches"] == []  # Hamas, Tirana


def test_replay_reads_urls_and_reports_unreadable_sources(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with FeedServer() as server:
        server.add_feed("/levant.xml", Path(LEVANT).read_bytes())
        status = main(
            ["replay", "--config", EXAMPLE, "/nonexistent/feed.xml", server.url("/levant.xml")]
        )
    out, err = capsys.readouterr()
    assert status == 1
    assert "/nonexistent/feed.xml: cannot read" in err
    assert len(out.splitlines()) == 3


def test_replay_embeds_each_feeds_headlines_as_the_daemon_does(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The embedding stage runs in replay (one call per source, every headline), so that
    replay groups as the daemon would."""
    calls: list[list[str]] = []
    encode = embedding.encode_headlines

    def recorded(titles: list[str]) -> list[bytes]:
        calls.append(list(titles))
        return encode(titles)

    monkeypatch.setattr(embedding, "encode_headlines", recorded)
    _, rows = _replay(capsys, LEVANT, GULF)
    assert [title for call in calls for title in call] == [row["title"] for row in rows]
    assert len(calls) == 2


def test_replay_is_deterministic_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _, once = _replay(capsys, LEVANT, GULF)
    _, twice = _replay(capsys, LEVANT, GULF)
    assert [row["story_id"] for row in once] == [row["story_id"] for row in twice]
    assert list(tmp_path.iterdir()) == []


CEDAR = str(REPLAY / "cedar-post.xml")
ORONTES = str(REPLAY / "orontes-daily.xml")


def test_replay_groups_syndicated_and_reworded_reports_and_keeps_events_apart(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Across four outlets: a wire copy, a Reuters-credited copy and a re-worded report of
    the Latakia landing share one story; a rising Homs toll is an update of its story; the
    same toll south of Idlib is another event."""
    status, rows = _replay(capsys, LEVANT, GULF, CEDAR, ORONTES)
    assert status == 0
    story = {row["title"]: row["story_id"] for row in rows}
    latakia = story["Iranian troops arrive via Latakia airport to back army offensive near Homs"]
    assert story["Thousands of Iranian soldiers land at Syrian airbase"] == latakia
    assert (
        story[
            "Iranian troops arrive via Latakia airport to back army offensive near Homs (Reuters)"
        ]
        == latakia
    )
    homs = story["Air strikes north of Homs kill 14 civilians"]
    assert story["UPDATE 2-Air strikes north of Homs kill 40 civilians - Orontes Daily"] == homs
    assert story["Air strikes south of Idlib kill 14 civilians"] not in {homs, latakia}
    assert len(set(story.values())) == 7  # 11 articles, 4 of them folded
    links = {row["link"] for row in rows}
    assert "https://cedarpost.example/news/homs-strikes" in links  # m. host and /amp dropped


def test_a_closed_output_pipe_ends_quietly() -> None:
    """``wirewatch replay … | head -1`` exits 141 without a traceback."""
    command = [sys.executable, "-m", "monitor", "replay", "--config", EXAMPLE, *[LEVANT] * 300]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()
        stderr = process.stderr.read().decode()
        process.wait(timeout=COLD_START_GUARD)  # a fresh interpreter loads the models
    assert process.returncode == 141, stderr
    assert "Traceback" not in stderr


ARABIC_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Barada Press</title><link>https://barada.example/</link>
<item><guid>b1</guid><title>القوات الحكومية تستعيد السيطرة على بلدة قرب حمص بعد اشتباكات</title>
<link>https://barada.example/1</link></item>
<item><guid>b2</guid><title>Homs</title><link>https://barada.example/2</link></item>
</channel></rss>
"""


def test_replay_prints_each_articles_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Identified from the text; "" when too short to tell and no feed setting hints."""
    feed = tmp_path / "barada.xml"
    feed.write_text(ARABIC_FEED, encoding="utf-8")
    status, rows = _replay(capsys, LEVANT, str(feed))
    assert status == 0
    assert rows[0]["language"] == "en"
    assert [row["language"] for row in rows[-2:]] == ["ar", ""]
