"""``[surge]``: defaults, and each mistake reported at its key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import SurgeSettings
from monitor.config.settings import ConfigError, load_config
from rules import Severity

CONSOLE = '\n[notifiers.console]\ntype = "console"\n'


def _load(tmp_path: Path, text: str) -> SurgeSettings:
    path = tmp_path / "wirewatch.toml"
    path.write_text(text + CONSOLE, encoding="utf-8")
    return load_config(path).settings.surge


def test_surges_are_on_by_default_for_every_kind(tmp_path: Path) -> None:
    surge = _load(tmp_path, "")
    assert (surge.enabled, surge.stories, surge.rules, surge.names) == (True, True, True, True)
    assert surge.notifiers == () and surge.severity is Severity.MEDIUM


def test_a_written_table_is_read(tmp_path: Path) -> None:
    text = '[surge]\nnames = false\nsensitivity = 1e-4\nnotifiers = ["console"]\nseverity = "high"'
    surge = _load(tmp_path, text)
    assert (surge.names, surge.sensitivity, surge.notifiers) == (False, 1e-4, ("console",))
    assert surge.severity is Severity.HIGH


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("sensitivty = 0.1", ":2: surge.sensitivty: unknown key (did you mean 'sensitivity'?)"),
        ("sensitivity = 2", ":2: surge.sensitivity: Input should be less than 1"),
        ("min_count = 0", ":2: surge.min_count: Input should be greater than or equal to 1"),
        ('notifiers = ["consle"]',
         ":2: surge.notifiers[0]: unknown notifier 'consle' (did you mean 'console'?)"),
        ('severity = "urgent"', ":2: surge.severity: Input should be"),
        ("window_minutes = 600\nstory_hours = 2", ":1: surge: Value error, window_minutes "
         "exceeds story_hours"),
    ],
)  # fmt: skip
def test_a_mistake_is_named_at_its_line(tmp_path: Path, lines: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, f"[surge]\n{lines}")
    [error] = caught.value.errors
    assert expected in error
