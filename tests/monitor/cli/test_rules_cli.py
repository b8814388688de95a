"""`wirewatch rules test|try|backtest` and `check` running rule examples, on real files."""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.cli.backtest import BacktestError, parse_since
from monitor.cli.main import main
from monitor.cli.progress import Progress
from monitor.records.models import Article, DedupDecision, Verdict
from monitor.store.sqlite.store import SqliteStore

RULES = """
[entities.iran]
entries = [{ name = "Iran", aliases = ["Iranian"] }]

[entities.syria]
entries = ["Homs", { name = "Latakia", aliases = ["Lattakia"] }]

[[rules]]
name = "iran-in-syria"
all_of = ["iran", "syria"]

[rules.examples]
must_match = ["Iranian troops reach Homs"]
must_not_match = ["Tirana hosts talks on Homs"]

[[rules]]
name = "iran-corroborated"
all_of = ["iran", "syria"]
min_outlets = 2
"""
BROKEN_EXAMPLE = '\n[rules.examples]\nmust_match = ["Iran holds talks in Baghdad"]\n'


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "wirewatch.toml"
    feeds = (
        '[[feeds]]\nname = "Levant Wire"\nurl = "https://lw.example/rss"\ntags = ["levant"]\n'
        '[[feeds]]\nname = "Gulf Dispatch"\nurl = "https://gd.example/rss"\n'
    )
    store = f'[store]\npath = "{tmp_path / "ww.db"}"\n'
    path.write_text(store + feeds + RULES + extra, encoding="utf-8")
    return path


def test_rules_test_passes_and_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "test", "--config", str(write_config(tmp_path))]) == 0
    assert capsys.readouterr().out.strip() == "2 examples, 2 passed, 0 failed"


def test_rules_test_fails_with_a_diff_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, BROKEN_EXAMPLE)
    assert main(["rules", "test", "--config", str(path)]) == 1
    out = capsys.readouterr().out
    assert "+++ rule iran-corroborated" in out
    assert "- expected: match\n+ got:      no match" in out
    assert "✗ syria: no hit" in out
    assert out.strip().endswith("3 examples, 2 passed, 1 failed")


def test_check_fails_on_a_failing_example_and_lists_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, BROKEN_EXAMPLE)
    assert main(["check", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "1 rule examples failed" in err
    assert "rules[1].examples.must_match[0]" in err


def test_rules_try_explains_firing_rules_with_hits_marked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path)
    assert main(["rules", "try", "--config", str(path), "Iranian troops reach Lattakia"]) == 0
    out = capsys.readouterr().out
    assert "iran-in-syria: FIRES (severity medium)" in out
    assert "title: [Iranian] troops reach [Lattakia]" in out
    assert out.strip().endswith("1 rules fire, 1 do not (--rule NAME explains one)")
    assert "\x1b[" not in out  # not a terminal: no colour codes


def test_rules_try_matches_an_article_page_text_given_as_body(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path)
    body = "Iranian advisers landed in Lattakia overnight, officials said."
    assert main(["rules", "try", "--config", str(path), "Advisers land", "--body", body]) == 0
    out = capsys.readouterr().out
    assert "iran-in-syria: FIRES (severity medium)" in out
    assert "body: [Iranian] advisers landed in [Lattakia] overnight" in out


def test_rules_try_explains_a_named_rule_that_does_not_fire(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path)
    argv = ["rules", "try", "--config", str(path), "--rule", "iran-corroborated", "Iran in Homs"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "iran-corroborated: does not fire" in out
    assert "✗ min_outlets (1 of 2 outlets)" in out
    assert main([*argv[:6], "--outlets", "2", argv[-1]]) == 0
    assert "iran-corroborated: FIRES" in capsys.readouterr().out


def test_rules_try_suggests_a_rule_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path)
    assert main(["rules", "try", "--config", str(path), "--rule", "iran-in-siria", "x"]) == 1
    assert "(did you mean 'iran-in-syria'?)" in capsys.readouterr().err


async def _store_articles(
    path: Path, rows: list[tuple[str, str, str, Verdict]], body: str = "", language: str = ""
) -> None:
    """``rows`` stored as (feed, title, story, verdict), each with ``body`` as its page
    and ``language`` as its identified language."""
    store = SqliteStore(str(path))
    await store.open()
    now = datetime.now(UTC)
    try:
        for index, (feed, title, story, verdict) in enumerate(rows):
            fetched = now - timedelta(hours=len(rows) - index)
            article = Article(f"a{index}", feed, "x", f"g{index}", title,
                              f"https://x.example/{index}", "", "", None, fetched,
                              body=body, language=language)  # fmt: skip
            await store.record_article(article, DedupDecision(verdict, story), [])
    finally:
        await store.close()


STORED = [
    ("https://lw.example/rss", "Iranian troops reach Homs", "s1", Verdict.NEW_STORY),
    ("https://gd.example/rss", "Iranian troops reach Homs, officials say", "s1", Verdict.FOLDED),
    ("https://lw.example/rss", "Markets close mixed", "s2", Verdict.NEW_STORY),
    ("https://gd.example/rss", "Iran said to eye Latakia port", "s3", Verdict.NEW_STORY),
]


def test_backtest_counts_alerts_per_story_and_never_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path)
    database = tmp_path / "ww.db"
    asyncio.run(_store_articles(database, STORED))
    before = hashlib.sha256(database.read_bytes()).hexdigest()

    assert main(["rules", "backtest", "--config", str(path), "--since", "2d"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("4 stored articles since ")
    assert "iran-in-syria: 2 alerts (3 articles)" in out
    assert "iran-corroborated: 1 alert (1 articles)" in out  # the second outlet's article
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before


def test_backtest_of_one_rule_and_a_short_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path)
    asyncio.run(_store_articles(tmp_path / "ww.db", STORED))
    argv = ["rules", "backtest", "--config", str(path), "--since", "90m", "--rule", "iran-in-syria"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("1 stored articles since ")
    assert "iran-in-syria: 1 alert (1 articles)" in out and "corroborated" not in out


def test_backtest_matches_the_stored_page_and_quotes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The headline names neither Iran nor Syria: the page read for it does, and the sample
    quotes the page around both, as the alert did."""
    path = write_config(tmp_path)
    body = (
        "Officials said on Monday that Iranian advisers landed in Lattakia overnight."
        "\n\nNo group has commented."
    )
    stored = [("https://lw.example/rss", "Advisers land on the coast", "s1", Verdict.NEW_STORY)]
    asyncio.run(_store_articles(tmp_path / "ww.db", stored, body=body))
    argv = ["rules", "backtest", "--config", str(path), "--since", "2d", "--rule", "iran-in-syria"]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert "iran-in-syria: 1 alert (1 articles)" in out
    quoted = "Officials said on Monday that [Iranian] advisers landed in [Lattakia] overnight."
    assert f"      body: {quoted} No group has commented." in out


FRENCH_RULE = """
[keywords.strikes]
terms = ["frappe aérienne"]

[[rules]]
name = "strikes"
any_of = ["strikes"]
"""


def test_backtest_reads_a_stored_article_in_its_language_and_marks_the_inflected_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A French article: the rule's term matches its plural there, and the sample quotes
    the page with that form marked, as the alert did."""
    path = write_config(tmp_path, FRENCH_RULE)
    stored = [("https://lw.example/rss", "Le port visé", "s1", Verdict.NEW_STORY)]
    body = "Deux frappes aériennes sur le port."
    asyncio.run(_store_articles(tmp_path / "ww.db", stored, body=body, language="fr"))
    argv = ["rules", "backtest", "--config", str(path), "--since", "2d", "--rule", "strikes"]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert "strikes: 1 alert (1 articles)" in out
    assert "      body: Deux [frappes aériennes] sur le port." in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "a week"], "--since 'a week': give 7d, 36h, 90m, 2w or a date"),
        (["--rule", "iran-in-siria"], "(did you mean 'iran-in-syria'?)"),
    ],
)
def test_backtest_usage_errors_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    path = write_config(tmp_path)
    asyncio.run(_store_articles(tmp_path / "ww.db", STORED))
    assert main(["rules", "backtest", "--config", str(path), *argv]) == 1
    assert message in capsys.readouterr().err


def test_backtest_without_a_store_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "backtest", "--config", str(write_config(tmp_path))]) == 1
    assert "no store at" in capsys.readouterr().err
    assert not (tmp_path / "ww.db").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", datetime(2026, 11, 17, 12, tzinfo=UTC)),
        ("36h", datetime(2026, 11, 23, 0, tzinfo=UTC)),
        ("2w", datetime(2026, 11, 10, 12, tzinfo=UTC)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T06:00:00+02:00", datetime(2026, 11, 1, 4, tzinfo=UTC)),
    ],
)
def test_since_takes_spans_and_dates(text: str, expected: datetime) -> None:
    assert parse_since(text, now=datetime(2026, 11, 24, 12, tzinfo=UTC)) == expected


def test_since_refuses_nonsense() -> None:
    with pytest.raises(BacktestError):
        parse_since("yesterday")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_terminal_only_and_clears_its_line() -> None:
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        with Progress(200, stream) as bar:
            bar.add(100)
            bar.add(100)
    assert "\r[###############...............] 100/200 articles" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r")
    assert pipe.getvalue() == ""


def test_check_refuses_a_config_nested_too_deeply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    assert main(["check", "--config", str(path)]) == 1
    assert "arrays or tables nested too deeply" in capsys.readouterr().err


ARABIC_RULE = """
[[rules]]
name = "homs-arabic-press"
any_of = ["syria"]
languages = ["ar"]
"""
ARABIC_HEADLINE = "القوات الحكومية تستعيد السيطرة على بلدة قرب Homs بعد اشتباكات عنيفة"


@pytest.mark.parametrize(
    ("argv", "language", "fires"),
    [
        pytest.param([], "ar", True, id="identified"),
        pytest.param(["--language", "fa"], "fa", False, id="overridden"),
    ],
)
def test_rules_try_shows_the_language_and_scopes_rules_by_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], language: str, fires: bool
) -> None:
    path = write_config(tmp_path, ARABIC_RULE)
    command = ["rules", "try", "--config", str(path), "--rule", "homs-arabic-press"]
    assert main([*command, *argv, ARABIC_HEADLINE]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"language: {language}\n")
    assert ("homs-arabic-press: FIRES" in out) is fires
    assert (f"language {language!r} is not in languages" in out) is not fires
