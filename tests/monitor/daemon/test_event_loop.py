"""The daemon's event loop: uvloop unless configured otherwise, asyncio's own on request,
and a configuration asking for uvloop where it is not installed refused at load."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest
import uvloop

from monitor.config import ConfigError, load_config
from monitor.daemon.event_loop import loop_kind, run_in_loop, running_loop_kind


async def _loop_type() -> tuple[type[asyncio.AbstractEventLoop], str]:
    return type(asyncio.get_running_loop()), running_loop_kind()


@pytest.mark.parametrize(
    ("choice", "expected", "kind"),
    [("auto", uvloop.Loop, "uvloop"), ("uvloop", uvloop.Loop, "uvloop"),
     ("asyncio", asyncio.SelectorEventLoop, "asyncio")],
)  # fmt: skip
def test_run_in_loop_runs_on_the_chosen_loop(
    choice: str, expected: type[asyncio.AbstractEventLoop], kind: str
) -> None:
    loop_type, running = run_in_loop(_loop_type(), choice)  # type: ignore[arg-type]
    assert issubclass(loop_type, expected)
    assert running == kind


def test_auto_is_asyncio_where_uvloop_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)  # as on Windows
    assert loop_kind("auto") == "asyncio"
    assert loop_kind("asyncio") == "asyncio"


def _config(tmp_path: Path, event_loop: str) -> Path:
    path = tmp_path / "ww.toml"
    path.write_text(f'[daemon]\nevent_loop = "{event_loop}"\n[store]\npath = "{tmp_path}/ww.db"\n')
    return path


def test_the_setting_defaults_to_auto_and_names_its_choices(tmp_path: Path) -> None:
    assert load_config(_config(tmp_path, "asyncio")).settings.daemon.event_loop == "asyncio"
    with pytest.raises(ConfigError) as raised:
        load_config(_config(tmp_path, "trio"))
    assert any("daemon.event_loop" in line for line in raised.value.errors)
    (tmp_path / "ww.toml").write_text(f'[store]\npath = "{tmp_path}/ww.db"\n')
    assert load_config(tmp_path / "ww.toml").settings.daemon.event_loop == "auto"


def test_uvloop_asked_for_where_it_is_not_installed_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)  # as on Windows
    with pytest.raises(ConfigError) as raised:
        load_config(_config(tmp_path, "uvloop"))
    assert any("uvloop is not installed" in line for line in raised.value.errors)


@pytest.mark.asyncio(loop_factories=["uvloop", "asyncio"])
async def test_the_suite_can_run_a_test_on_each_loop(request: pytest.FixtureRequest) -> None:
    assert running_loop_kind() == request.node.callspec.id
