"""Registry: the explicit built-ins, entry-point plugins, config dispatch and construction.

``importlib.metadata.entry_points`` is the one seam replaced here: tests hand the
registry real ``EntryPoint`` objects that point into this module.
"""

from __future__ import annotations

import re
from importlib.metadata import EntryPoint
from typing import ClassVar, Literal

import httpx
import pytest
from pydantic import ValidationError

import notifiers
from notifiers import (
    ENTRY_POINT_GROUP,
    REGISTRY,
    Alert,
    AppriseNotifier,
    ConsoleNotifier,
    EmailNotifier,
    Notifier,
    NotifierConfig,
    NotifierPlugin,
    SlackConfig,
    SlackNotifier,
    WebhookNotifier,
    build_notifier,
    discover_plugins,
    notifier_types,
    validate_notifier_config,
)
from notifiers import registry as registry_module


class PagerConfig(NotifierConfig):
    """Config of the fake third-party notifier."""

    type: Literal["pager"] = "pager"
    number: str


class PagerNotifier(NotifierPlugin):
    """A well-formed third-party notifier, as a plugin package would ship it."""

    type_name: ClassVar[str] = "pager"
    Config: ClassVar[type[NotifierConfig]] = PagerConfig

    async def send(self, alert: Alert) -> None:
        """Nothing to deliver in a registry test."""


class MisnamedNotifier(PagerNotifier):
    type_name: ClassVar[str] = "beeper"


class NotAPlugin:
    type_name: ClassVar[str] = "pager"


class BadConfigNotifier(PagerNotifier):
    Config: ClassVar[type[NotifierConfig]] = dict  # type: ignore[assignment]


def _entry(name: str, target: str) -> EntryPoint:
    return EntryPoint(name=name, value=f"{__name__}:{target}", group=ENTRY_POINT_GROUP)


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> list[EntryPoint]:
    """The entry points the registry sees; append to "install" a plugin."""
    entries: list[EntryPoint] = []

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        return [entry for entry in entries if entry.group == group]

    monkeypatch.setattr(registry_module, "entry_points", fake_entry_points)
    return entries


def test_registry_is_the_explicit_dict_of_built_ins() -> None:
    """The five built-ins are listed by hand under their type names."""
    assert dict(REGISTRY) == {
        "apprise": AppriseNotifier,
        "console": ConsoleNotifier,
        "email": EmailNotifier,
        "slack": SlackNotifier,
        "webhook": WebhookNotifier,
    }
    assert all(cls.type_name == name for name, cls in REGISTRY.items())


def test_registry_cannot_be_mutated_at_runtime() -> None:
    """REGISTRY is read-only: plugins come through entry points, not monkeypatching."""
    with pytest.raises(TypeError):
        REGISTRY["pager"] = PagerNotifier  # type: ignore[index]


def test_a_valid_entry_point_plugin_is_usable_end_to_end(
    installed: list[EntryPoint], http_client: httpx.AsyncClient
) -> None:
    """An installed plugin appears in notifier_types, validates its table and builds."""
    installed.append(_entry("pager", "PagerNotifier"))
    assert notifier_types()["pager"] is PagerNotifier
    config = validate_notifier_config({"type": "pager", "number": "+15550100"})
    notifier = build_notifier("on-call", config, http=http_client)
    assert isinstance(notifier, PagerNotifier)
    assert notifier.name == "on-call"


BROKEN = [
    pytest.param("pager", "no_such_module_xyz:Thing", "ModuleNotFoundError", id="import-fails"),
    pytest.param("pager", f"{__name__}:Missing", "AttributeError", id="missing-attribute"),
    pytest.param("pager", f"{__name__}:NotAPlugin", "not a subclass", id="not-a-plugin"),
    pytest.param(
        "pager", f"{__name__}:MisnamedNotifier", "type_name does not match", id="misnamed"
    ),
    pytest.param("pager", f"{__name__}:BadConfigNotifier", "Config is not", id="bad-config"),
    pytest.param("slack", f"{__name__}:PagerNotifier", "already registered", id="shadows-built-in"),
]


@pytest.mark.parametrize(("name", "value", "reason"), BROKEN)
def test_broken_plugins_are_reported_not_raised(
    installed: list[EntryPoint], name: str, value: str, reason: str
) -> None:
    """A plugin that fails to load or qualify is skipped and described; built-ins still work."""
    installed.append(EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP))
    scan = discover_plugins()
    assert dict(scan.plugins) == {}
    (problem,) = scan.problems
    assert problem.entry_point == f"{name} = {value}"
    assert reason in problem.reason
    assert notifier_types()["slack"] is SlackNotifier


def test_second_plugin_with_the_same_name_is_reported(installed: list[EntryPoint]) -> None:
    """Two packages claiming one type name: the first wins, the second is reported."""
    installed += [_entry("pager", "PagerNotifier"), _entry("pager", "PagerNotifier")]
    scan = discover_plugins()
    assert list(scan.plugins) == ["pager"]
    assert [problem.reason for problem in scan.problems] == [
        "notifier type 'pager' is already registered"
    ]


def test_entry_points_are_read_from_the_documented_group(installed: list[EntryPoint]) -> None:
    """Only the ``wirewatch.notifiers`` group is consulted."""
    installed.append(EntryPoint(name="pager", value=f"{__name__}:PagerNotifier", group="other"))
    assert ENTRY_POINT_GROUP == "wirewatch.notifiers"
    assert "pager" not in notifier_types()


UNKNOWN_TYPES = [
    pytest.param({"type": "pigeon"}, "unknown_notifier_type", id="unknown"),
    pytest.param({"type": 7}, "unknown_notifier_type", id="not-a-string"),
    pytest.param({"webhook_url": "https://x"}, "missing", id="missing"),
]


@pytest.mark.parametrize(("raw", "kind"), UNKNOWN_TYPES)
def test_bad_type_is_a_validation_error_at_loc_type(
    installed: list[EntryPoint], raw: dict[str, object], kind: str
) -> None:
    """Unknown, non-string or missing ``type`` raise ValidationError located at ("type",)."""
    with pytest.raises(ValidationError) as caught:
        validate_notifier_config(raw)
    (error,) = caught.value.errors()
    assert (error["loc"], error["type"]) == (("type",), kind)


def test_unknown_type_message_lists_the_known_types(installed: list[EntryPoint]) -> None:
    """The message names the bad value and every type that would have worked."""
    with pytest.raises(ValidationError) as caught:
        validate_notifier_config({"type": "pigeon"})
    assert caught.value.errors()[0]["msg"] == (
        "unknown notifier type 'pigeon'; known types: apprise, console, email, slack, webhook"
    )


def test_build_notifier_returns_a_notifier(http_client: httpx.AsyncClient) -> None:
    """build_notifier wires name and config into an instance the dispatcher can drive."""
    config = validate_notifier_config({"type": "console"})
    notifier = build_notifier("tty", config, http=http_client)
    assert isinstance(notifier, Notifier)
    assert (type(notifier), notifier.name) == (ConsoleNotifier, "tty")


def test_build_notifier_rejects_a_config_of_another_type(http_client: httpx.AsyncClient) -> None:
    """A config whose class does not belong to its ``type`` is a programming error."""
    slack = SlackConfig(webhook_url="https://hooks.example.com/x")
    forged = slack.model_copy(update={"type": "console"})  # model_copy skips validation
    with pytest.raises(TypeError, match="no notifier type 'console' accepts SlackConfig"):
        build_notifier("tty", forged, http=http_client)


def _isort_key(name: str) -> tuple[int, str]:
    """ruff RUF022 order: CONSTANTS, then Classes, then functions."""
    if re.fullmatch(r"[A-Z0-9_]+", name):
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


def test_all_is_sorted_and_importable() -> None:
    """notifiers.__all__ is sorted (isort-style, as ruff enforces) and every name exists."""
    assert notifiers.__all__ == sorted(notifiers.__all__, key=_isort_key)
    assert len(set(notifiers.__all__)) == len(notifiers.__all__)
    assert all(hasattr(notifiers, name) for name in notifiers.__all__)
