"""Every mistake of a config file in one run: each at its key's line, misspelt keys and
names with a "did you mean", however the mistakes are mixed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.cli.main import main
from monitor.config.feeds import FeedAuth
from monitor.config.settings import ConfigError, load_config

BROKEN = """\
include = ["rules.d/*.toml"]

[daemon]
concurency = 4
host_spacing = "fast"
operator_notifiers = ["consle"]

[store]
path = "nowhere/ww.db"

[dedup]
title_similarity = 120

[retension]
enabled = false

[[feeds]]
name = "Wire"
url = "ftp://wire.example/feed.xml"

[notifiers.console]
type = "console"
strem = "stdout"

[notifiers.hook]
type = "webhook"
url = "http://127.0.0.1:9/hook"
timeout = -5

[alerting.routes.hok]
min_severity = "high"

[alerting.severity_routes]
critical = ["consol"]

[alerting.rules.iran-in-sria]
outlets = [2]

[entities.iran]
entries = ["Iran"]

[[rules]]
name = "iran-in-syria"
severty = "high"
all_of = ["iran"]
notifiers = ["console", "hoook"]
"""

INCLUDED = """\
[[rules]]
name = "iran-extra"
all_of = ["iran"]
notifiers = ["hook", "slack"]
"""

# (key, the line it is written on, what the message must say), in the order written.
EXPECTED = [
    ("daemon.concurency", "concurency = 4", "unknown key (did you mean 'concurrency'?)"),
    ("daemon.host_spacing", 'host_spacing = "fast"', "valid number"),
    ("daemon.operator_notifiers[0]", "operator_notifiers", "(did you mean 'console'?)"),
    ("store.path", 'path = "nowhere/ww.db"', "directory nowhere"),
    ("dedup.title_similarity", "title_similarity = 120", "less than or equal to 100"),
    ("retension", "[retension]", "unknown key (did you mean 'retention'?)"),
    ("feeds[0].url", 'url = "ftp://', "must start with http:// or https://"),
    ("notifiers.console.strem", 'strem = "stdout"', "unknown key (did you mean 'stream'?)"),
    ("notifiers.hook.timeout", "timeout = -5", "greater than 0"),
    ("alerting.routes.hok", "[alerting.routes.hok]",
     "unknown notifier 'hok' (did you mean 'hook'?)"),
    ("alerting.severity_routes.critical[0]", 'critical = ["consol"]',
     "unknown notifier 'consol' (did you mean 'console'?)"),
    ("alerting.rules.iran-in-sria", "[alerting.rules.iran-in-sria]",
     "unknown rule 'iran-in-sria' (did you mean 'iran-in-syria'?)"),
    ("rules[0].severty", 'severty = "high"', "(did you mean 'severity'?)"),
    ("rules[0].notifiers[1]", 'notifiers = ["console", "hoook"]',
     "unknown notifier 'hoook' (did you mean 'hook'?)"),
]  # fmt: skip


@pytest.fixture(name="broken")
def _broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules.d").mkdir()
    (tmp_path / "rules.d" / "extra.toml").write_text(INCLUDED, encoding="utf-8")
    path = tmp_path / "wirewatch.toml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def _line(text: str, marker: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if marker in line)


def test_every_mistake_is_listed_in_one_run_each_at_its_line(broken: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(broken, check_paths=True)
    errors = caught.value.errors
    included = broken.parent / "rules.d" / "extra.toml"
    expected = [
        (f"{broken}:{_line(BROKEN, marker)}: {key}: ", says) for key, marker, says in EXPECTED
    ]
    expected.append((f"{included}:4: rules[0].notifiers[1]: ", "unknown notifier 'slack'"))
    assert len(errors) == len(expected), "\n".join(errors)
    for (where, says), error in zip(expected, errors, strict=True):
        assert error.startswith(where) and says in error, (where, says, error)


def test_check_prints_them_all_and_exits_1(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--config", str(broken)]) == 1
    err = capsys.readouterr().err
    assert f"configuration is invalid ({len(EXPECTED) + 1} errors)" in err


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ('[daemon]\noperator_notifiers = ["pager"]\n',
         ":2: daemon.operator_notifiers[0]: unknown notifier 'pager' (known: console, hook)"),
        ('[alerting.routes.pager]\nmin_severity = "high"\n',
         ":1: alerting.routes.pager: unknown notifier 'pager' (known: console, hook)"),
        ('[alerting.severity_routes]\nhigh = ["console", "hooks"]\n',
         ":2: alerting.severity_routes.high[1]: unknown notifier 'hooks' (did you mean 'hook'?)"),
        ('[alerting.rules.nope]\nseverity = false\n',
         ":1: alerting.rules.nope: unknown rule 'nope' (known: iran)"),
    ],
    ids=["operator notifier", "route", "severity route", "rule override"],
)  # fmt: skip
def test_a_name_that_does_not_exist_is_reported_at_its_key(
    tmp_path: Path, table: str, error: str
) -> None:
    """Beside another mistake of another table, which used to hide these until fixed."""
    text = table + '[dedup]\nwindow_hours = "long"\n' + NAMES
    path = tmp_path / "ww.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"{path}{error}" in caught.value.errors, caught.value.errors
    assert any("dedup.window_hours" in line for line in caught.value.errors)


NAMES = """
[notifiers.console]
type = "console"
[notifiers.hook]
type = "webhook"
url = "http://127.0.0.1:9/hook"
[entities.iran]
entries = ["Iran"]
[[rules]]
name = "iran"
all_of = ["iran"]
"""


def test_a_mistake_that_an_earlier_one_hid_is_found_too(tmp_path: Path) -> None:
    """pydantic checks a table as a whole only once its keys are valid: a bad key and a
    contradiction in [store] are both reported in one run."""
    text = '[store]\nbusy_timeout_ms = "soon"\nurl = "postgresql://db/ww"\nbackend = "sqlite"\n'
    path = tmp_path / "ww.toml"
    path.write_text(text + NAMES, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.errors == [
        f"{path}:1: store: Value error, url is set but backend is sqlite; drop one of them",
        f"{path}:2: store.busy_timeout_ms: Input should be a valid integer, unable to parse"
        " string as an integer",
    ]


def test_check_runs_the_rule_examples_beside_the_config_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failing example is reported in the same run as a bad value of another table."""
    text = NAMES.replace(
        'all_of = ["iran"]', 'all_of = ["iran"]\n[rules.examples]\nmust_match = ["Iraq votes"]'
    )
    path = tmp_path / "ww.toml"
    path.write_text('[dedup]\nwindow_hours = "long"\n' + text, encoding="utf-8")
    assert main(["check", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: dedup.window_hours" in err
    assert "1 rule examples failed" in err and "Iraq votes" in err


@pytest.mark.parametrize(
    ("mistake", "expected"),
    [
        ('[notifiers]\nhook = "http://127.0.0.1:9/hook"\n',
         ":2: notifiers.hook: Input should be a valid dictionary"),
        ('[notifiers.hook]\ntype = "webhok"\n',
         ":2: notifiers.hook.type: unknown notifier type 'webhok'"),
    ],
    ids=["not a table", "unknown type"],
)  # fmt: skip
def test_a_broken_notifier_is_reported_once_not_again_where_it_is_named(
    tmp_path: Path, mistake: str, expected: str
) -> None:
    rule = '[entities.iran]\nentries = ["Iran"]\n[[rules]]\nname = "iran"\nall_of = ["iran"]\n'
    path = tmp_path / "ww.toml"
    path.write_text(mistake + rule + 'notifiers = ["hook"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (error,) = caught.value.errors
    assert error.startswith(f"{path}{expected}"), error


def test_an_unreadable_environment_variable_is_an_error_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIREWATCH_FEEDS", "not json, TOKEN42")
    path = tmp_path / "ww.toml"
    path.write_text(NAMES, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (error,) = caught.value.errors
    assert error.startswith("environment: ") and "feeds" in error, error
    assert "TOKEN42" not in error


@pytest.mark.parametrize(
    ("value", "says"),
    [("0", "greater than or equal to 1"), ("257", "less than or equal to 256"),
     ('"many"', "valid integer")],
    ids=["zero", "too many", "not a number"],
)  # fmt: skip
def test_a_route_concurrency_out_of_range_is_reported_at_its_key(
    tmp_path: Path, value: str, says: str
) -> None:
    path = tmp_path / "ww.toml"
    path.write_text(f"[alerting.routes.hook]\nconcurrency = {value}\n" + NAMES, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (error,) = caught.value.errors
    assert error.startswith(f"{path}:2: alerting.routes.hook.concurrency: ") and says in error


def test_a_route_sends_sixteen_at_once_unless_told(tmp_path: Path) -> None:
    path = tmp_path / "ww.toml"
    path.write_text("[alerting.routes.hook]\nconcurrency = 1\n" + NAMES, encoding="utf-8")
    alerting = load_config(path).settings.alerting
    assert (alerting.route("hook").concurrency, alerting.route("console").concurrency) == (1, 16)


@pytest.mark.parametrize(
    ("dedup", "error"),
    [
        ("related_similarity = 0.6\nrelated_similarity_later = 0.5\n",
         ":1: dedup: Value error, related_similarity_later (0.5) is below related_similarity"
         " (0.6)"),
        ("semantic_similarity = 0.7\nsemantic_similarity_later = 0.6\n",
         ":1: dedup: Value error, semantic_similarity_later (0.6) is below"
         " semantic_similarity (0.7)"),
    ],
    ids=["related", "semantic"],
)  # fmt: skip
def test_a_later_bar_below_its_recent_one_is_rejected_naming_both_keys(
    tmp_path: Path, dedup: str, error: str
) -> None:
    path = tmp_path / "ww.toml"
    path.write_text("[dedup]\n" + dedup + NAMES, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (found,) = caught.value.errors
    assert found.startswith(f"{path}{error}"), found


@pytest.mark.parametrize(
    ("dedup", "bars"),
    [
        ("", (0.4, 0.5, 0.48, 0.52)),
        ("related_similarity = 0.6\nrelated_similarity_later = 0.6\n", (0.6, 0.6, 0.48, 0.52)),
        ("semantic_similarity = 0.9\n", (0.4, 0.5, 0.9, 0.52)),  # unset: follows, in the index
    ],
    ids=["defaults", "equal", "later unset"],
)  # fmt: skip
def test_a_later_bar_at_or_above_its_recent_one_or_unset_is_accepted(
    tmp_path: Path, dedup: str, bars: tuple[float, float, float, float]
) -> None:
    path = tmp_path / "ww.toml"
    path.write_text("[dedup]\n" + dedup + NAMES, encoding="utf-8")
    d = load_config(path).settings.dedup
    found = (d.related_similarity, d.related_similarity_later, d.semantic_similarity,
             d.semantic_similarity_later)  # fmt: skip
    assert found == bars


@pytest.mark.parametrize(
    ("auth", "named"),
    [
        ({"type": "basic", "username": "reader"}, "basic auth needs password_env"),
        ({"type": "bearer"}, "bearer auth needs token_env"),
        ({"type": "basic", "username": "reader", "password_env": "WW_UNSET_1"}, "WW_UNSET_1"),
        ({"type": "bearer", "token_env": "WW_UNSET_2"}, "WW_UNSET_2"),
    ],
)
def test_feed_auth_without_its_secret_names_the_key_or_variable_wanted(
    auth: dict[str, str], named: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WW_UNSET_1", raising=False)
    monkeypatch.delenv("WW_UNSET_2", raising=False)
    with pytest.raises(ValidationError) as caught:
        FeedAuth.model_validate(auth)
    assert named in str(caught.value)
