"""Configuration: loading, environment overrides, includes, and errors reported all at once."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import tomli

from monitor.config.feeds import FeedSettings
from monitor.config.settings import ConfigError, load_config
from tests.support.key_scans import counted_key_scans

ROOT = Path(__file__).resolve().parents[3]

MINIMAL = """
[store]
path = "ww.db"

[[feeds]]
name = "Wire"
url = "http://127.0.0.1:9/feed.xml"

[notifiers.console]
type = "console"

[notifiers.hook]
type = "webhook"
url = "http://127.0.0.1:9/hook"

[entities.iran]
kind = "actor"
entries = [{ name = "Iran", aliases = ["Iranian"] }]

[[rules]]
name = "iran"
all_of = ["iran"]
notifiers = ["console"]
"""


def _write(folder: Path, text: str, name: str = "wirewatch.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _errors(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.errors


def test_example_config_is_valid() -> None:
    """The shipped example validates: its rules, notifiers and feeds."""
    config = load_config(ROOT / "config.example.toml")
    assert {rule.name for rule in config.ruleset.rules} >= {"iran-in-syria", "russia-in-syria"}
    assert "console" in config.enabled_notifiers
    assert len(config.feeds) >= 5


def test_minimal_config_loads_with_defaults(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, MINIMAL))
    assert config.settings.daemon.default_interval == 300
    assert config.feeds[0].display_name == "Wire"
    assert set(config.enabled_notifiers) == {"console", "hook"}


@pytest.mark.parametrize(
    ("feed", "name"),
    [
        ({"url": "http://reader:pw@127.0.0.1/f?token=t", "name": "Wire"}, "Wire"),
        ({"url": "http://reader:pw@127.0.0.1/f?token=t"}, "http://127.0.0.1/f?token=[redacted]"),
        ({"url": "http://127.0.0.1/f"}, "http://127.0.0.1/f"),
    ],
)
def test_a_feed_without_a_name_is_known_by_its_redacted_url(
    feed: dict[str, str], name: str
) -> None:
    assert FeedSettings(**feed).display_name == name


def test_a_feeds_secrets_are_its_auth_its_url_credentials_and_key_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WW_FEED_PASSWORD", "from-env")
    auth = {"type": "basic", "username": "reader", "password_env": "WW_FEED_PASSWORD"}
    headers = {"X-Api-Key": "in-header", "Accept-Language": "en-GB"}
    url = "http://u:in-url@127.0.0.1/f?api_key=k1&page=2"
    feed = FeedSettings(url=url, auth=auth, headers=headers)
    assert feed.secret_values() == ["from-env", "in-header", "in-url", "k1"]


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWATCH_STORE__PATH", "/srv/other.db")
    monkeypatch.setenv("WIREWATCH_DAEMON__CONCURRENCY", "3")
    monkeypatch.setenv("WIREWATCH_NOTIFIERS__HOOK__SECRET", "s3cr3t-signing-key")
    config = load_config(_write(tmp_path, MINIMAL))
    assert config.settings.store.path == "/srv/other.db"
    assert config.settings.daemon.concurrency == 3
    assert "s3cr3t-signing-key" in config.notifiers["hook"].secret_values()


def test_three_mistakes_are_all_reported_with_locations(tmp_path: Path) -> None:
    text = MINIMAL.replace('path = "ww.db"', 'path = "ww.db"\nbusy_timeout_ms = "soon"')
    text = text.replace('url = "http://127.0.0.1:9/feed.xml"', 'url = "ftp://example.org/x"')
    text = text.replace('all_of = ["iran"]', 'all_of = ["iran", "hezbollah"]')
    path = _write(tmp_path, text)
    errors = _errors(path)
    assert len(errors) == 3, errors
    lines = text.splitlines()
    expected = {
        "store.busy_timeout_ms": lines.index('busy_timeout_ms = "soon"') + 1,
        "feeds[0].url": lines.index('url = "ftp://example.org/x"') + 1,
        "rules[0].all_of": lines.index('all_of = ["iran", "hezbollah"]') + 1,
    }
    for key, line in expected.items():
        assert any(f"{path}:{line}:" in error and key in error for error in errors), (key, errors)


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("ftp://example.org/x", "must start with http:// or https://"),
        ("https://example.org/a\\nInjected: 1", "control characters"),
        ("https://example.org/\\tfeed", "control characters"),
    ],
)
def test_a_feed_url_must_be_plain_http(tmp_path: Path, url: str, complaint: str) -> None:
    text = MINIMAL.replace('url = "http://127.0.0.1:9/feed.xml"', f'url = "{url}"')
    (error,) = _errors(_write(tmp_path, text))
    assert "feeds[0].url" in error and complaint in error


def test_secrets_never_appear_in_errors(tmp_path: Path) -> None:
    secret = "https://hooks.slack.com/services/T0/B0/TOPSECRETTOKEN"
    text = MINIMAL + f'\n[notifiers.slack]\ntype = "slack"\nwebhook_url = "{secret}"\nbogus = 1\n'
    errors = _errors(_write(tmp_path, text))
    assert any("notifiers.slack.bogus" in error for error in errors)
    assert not any("TOPSECRETTOKEN" in error for error in errors)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "[store]\npath = \n")
    (error,) = _errors(path)
    assert str(path) in error
    assert "line 2" in error


def test_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    assert _errors(tmp_path / "absent.toml") == [f"{tmp_path / 'absent.toml'}: file not found"]


def test_rules_may_live_in_included_files(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    _write(rules_dir, '[[rules]]\nname = "iran-extra"\nall_of = ["iran"]\n', "extra.toml")
    config = load_config(_write(tmp_path, 'include = ["rules.d/*.toml"]\n' + MINIMAL))
    assert [rule.name for rule in config.ruleset.rules] == ["iran", "iran-extra"]


def test_errors_in_included_files_name_that_file(tmp_path: Path) -> None:
    _write(tmp_path, '[[rules]]\nname = "broken"\nall_of = ["nowhere"]\n', "more.toml")
    errors = _errors(_write(tmp_path, 'include = ["more.toml"]\n' + MINIMAL))
    assert any(error.startswith(f"{tmp_path / 'more.toml'}:3:") for error in errors), errors


@pytest.mark.parametrize("where", ["main", "included"])
def test_a_number_longer_than_python_reads_is_an_invalid_toml_error(
    tmp_path: Path, where: str
) -> None:
    """The TOML parser turns a number into an int; one of more digits than Python converts
    raises a plain ValueError, which must be a clear error naming its file, not a crash."""
    hostile = f"x = {'1' * (sys.get_int_max_str_digits() + 1)}\n"
    if where == "main":
        path = named = _write(tmp_path, hostile + MINIMAL)
    else:
        named = _write(tmp_path, hostile, "more.toml")
        path = _write(tmp_path, 'include = ["more.toml"]\n' + MINIMAL)
    errors = _errors(path)
    expected = f"invalid TOML: a number of more than {sys.get_int_max_str_digits()} digits"
    assert any(e.startswith(f"{named}:") and e.endswith(expected) for e in errors), errors


def test_unknown_notifier_route_is_an_error(tmp_path: Path) -> None:
    errors = _errors(
        _write(tmp_path, MINIMAL.replace('notifiers = ["console"]', 'notifiers = ["pager"]'))
    )
    assert any("unknown notifier 'pager'" in error for error in errors), errors


def test_disabled_notifier_may_lack_its_secrets(tmp_path: Path) -> None:
    text = MINIMAL + '\n[notifiers.slack]\ntype = "slack"\nenabled = false\n'
    config = load_config(_write(tmp_path, text))
    assert "slack" not in config.enabled_notifiers


def test_duplicate_feed_urls_are_reported(tmp_path: Path) -> None:
    text = MINIMAL + '\n[[feeds]]\nurl = "http://127.0.0.1:9/feed.xml"\n'
    errors = _errors(_write(tmp_path, text))
    assert any("feeds[1].url" in error and "duplicate" in error for error in errors), errors


def test_a_bad_environment_value_names_the_variable_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIREWATCH_DAEMON__CONCURRENCY", "lots")
    errors = _errors(_write(tmp_path, MINIMAL))
    assert any(
        e.startswith("environment WIREWATCH_DAEMON__CONCURRENCY: daemon.concurrency:")
        for e in errors
    ), errors
    monkeypatch.delenv("WIREWATCH_DAEMON__CONCURRENCY")
    monkeypatch.setenv("WIREWATCH_NOTIFIERS__HOOK__URL", "gopher://secret-host/TOKEN42")
    errors = _errors(_write(tmp_path, MINIMAL))
    assert any(
        e.startswith("environment WIREWATCH_NOTIFIERS__HOOK__URL: notifiers.hook.url:")
        for e in errors
    ), errors
    assert not any("TOKEN42" in error for error in errors)


@pytest.mark.parametrize("value", ["-1", '"soon"', "3000000", "nan"])
def test_a_bad_retry_budget_is_reported_where_it_is(tmp_path: Path, value: str) -> None:
    text = f"[daemon]\nretry_for = {value}\n{MINIMAL}"
    path = _write(tmp_path, text)
    (error,) = _errors(path)
    assert f"{path}:2:" in error and "daemon.retry_for" in error


@pytest.mark.parametrize(("line", "budget"), [("retry_for = 7200", 7200.0), ("", None)])
def test_the_retry_budget_is_optional(tmp_path: Path, line: str, budget: float | None) -> None:
    config = load_config(_write(tmp_path, f"[daemon]\n{line}\n{MINIMAL}"))
    assert config.settings.daemon.retry_for == budget
    assert config.settings.daemon.max_attempts == 8


def test_each_file_is_parsed_once_and_a_feed_file_scanned_for_lines_only_for_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main file and each included one are parsed once, an included file's feeds and
    rules read from the one document; where an included feed file's keys are written is
    scanned only when a problem asks for a line. (With 10,000 feeds, each pass over the
    file is a large part of the load, which comes before the listener binds.)"""
    feeds = '[[feeds]]\nurl = "http://127.0.0.1:9/more.xml"\n'
    _write(tmp_path, feeds, "feeds.toml")
    _write(tmp_path, '[[rules]]\nname = "iran-more"\nall_of = ["iran"]\n', "rules.toml")
    parsed: list[str] = []
    parse = tomli.loads

    def counted_parse(text: str, **options: Any) -> dict[str, Any]:
        parsed.append(text)
        return parse(text, **options)

    monkeypatch.setattr(tomli, "loads", counted_parse)
    scanned = counted_key_scans(monkeypatch)
    main = _write(tmp_path, 'include = ["feeds.toml", "rules.toml"]\n' + MINIMAL)
    config = load_config(main)
    assert [feed.url for feed in config.feeds][-1] == "http://127.0.0.1:9/more.xml"
    assert [rule.name for rule in config.ruleset.rules] == ["iran", "iran-more"]
    texts = [path.read_text("utf-8") for path in (main, tmp_path / "feeds.toml")]
    assert sorted(parsed) == sorted([*texts, (tmp_path / "rules.toml").read_text("utf-8")])
    assert feeds not in scanned
    _write(tmp_path, feeds + 'url_typo = "x"\n', "feeds.toml")  # a problem: its line is read
    errors = _errors(main)
    assert any(error.startswith(f"{tmp_path / 'feeds.toml'}:3: ") for error in errors), errors


def test_a_valid_file_holding_feeds_and_rules_is_scanned_for_no_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Feeds and rules in one file, nothing wrong: no pass over the file looks for lines
    (before the listener binds), yet a rule's location still names its file and line."""
    scanned = counted_key_scans(monkeypatch)
    main = _write(tmp_path, MINIMAL)
    config = load_config(main)
    assert scanned == []
    assert str(config.ruleset.rules[0].location) == f"{main}:20: rules[0]"
    assert scanned == [MINIMAL]
