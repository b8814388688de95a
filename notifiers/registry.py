"""Which notifier class serves which ``type``: an explicit dict plus entry points.

Built-ins are listed in :data:`REGISTRY` by hand (no directory scanning).
Third-party packages add classes under the ``wirewatch.notifiers`` entry-point
group::

    [project.entry-points."wirewatch.notifiers"]
    pager = "wirewatch_pager:PagerNotifier"

A plugin is accepted when it is a :class:`~notifiers.base.NotifierPlugin`
subclass whose ``type_name`` equals the entry-point name and whose ``Config``
subclasses :class:`~notifiers.base.NotifierConfig`. A plugin that fails to
import or to qualify, or that claims a taken name, never crashes the daemon: it
is left out and described in :attr:`PluginScan.problems` for the daemon to log.

Config errors are always :class:`pydantic.ValidationError`, including an unknown
or missing ``type`` (error type ``unknown_notifier_type`` / ``missing`` at loc
``("type",)``), so the config loader handles one exception type and can turn
every ``loc`` into a key path such as ``notifiers.slack.webhook_url``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from notifiers.apprise_bridge import AppriseNotifier
from notifiers.base import Notifier, NotifierConfig, NotifierPlugin
from notifiers.console import ConsoleNotifier
from notifiers.email import EmailNotifier
from notifiers.slack import SlackNotifier
from notifiers.webhook import WebhookNotifier

if TYPE_CHECKING:
    import httpx

ENTRY_POINT_GROUP: Final = "wirewatch.notifiers"

REGISTRY: Final[Mapping[str, type[NotifierPlugin]]] = MappingProxyType(
    {
        "apprise": AppriseNotifier,
        "console": ConsoleNotifier,
        "email": EmailNotifier,
        "slack": SlackNotifier,
        "webhook": WebhookNotifier,
    }
)


@dataclass(frozen=True, slots=True)
class PluginProblem:
    """An entry point that was left out, and why."""

    entry_point: str
    reason: str


@dataclass(frozen=True, slots=True)
class PluginScan:
    """Third-party notifier classes found in the entry-point group."""

    plugins: Mapping[str, type[NotifierPlugin]]
    problems: tuple[PluginProblem, ...]


class _PluginRejectedError(Exception):
    """An entry point loaded but does not qualify as a notifier plugin."""


def _check_plugin(name: str, candidate: object) -> type[NotifierPlugin]:
    if not (isinstance(candidate, type) and issubclass(candidate, NotifierPlugin)):
        raise _PluginRejectedError("not a subclass of notifiers.NotifierPlugin")
    if getattr(candidate, "type_name", None) != name:
        raise _PluginRejectedError(f"type_name does not match the entry point name {name!r}")
    config = getattr(candidate, "Config", None)
    if not (isinstance(config, type) and issubclass(config, NotifierConfig)):
        raise _PluginRejectedError("Config is not a subclass of notifiers.NotifierConfig")
    return candidate


def _load(entry_point: EntryPoint, taken: Mapping[str, object]) -> type[NotifierPlugin]:
    if entry_point.name in taken:
        raise _PluginRejectedError(f"notifier type {entry_point.name!r} is already registered")
    return _check_plugin(entry_point.name, entry_point.load())


def discover_plugins() -> PluginScan:
    """Load every ``wirewatch.notifiers`` entry point, collecting failures instead of raising."""
    plugins: dict[str, type[NotifierPlugin]] = {}
    problems: list[PluginProblem] = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        label = f"{entry_point.name} = {entry_point.value}"
        try:
            plugins[entry_point.name] = _load(entry_point, {**REGISTRY, **plugins})
        except _PluginRejectedError as exc:
            problems.append(PluginProblem(label, str(exc)))
        except Exception as exc:  # a broken third-party package must not stop the daemon
            problems.append(PluginProblem(label, f"{type(exc).__name__}: {exc}"))
    return PluginScan(MappingProxyType(plugins), tuple(problems))


def notifier_types() -> dict[str, type[NotifierPlugin]]:
    """Every usable notifier type: the built-ins plus the plugins that loaded."""
    return {**REGISTRY, **discover_plugins().plugins}


def _type_error(raw: Mapping[str, Any], known: list[str]) -> ValidationError:
    if "type" not in raw:
        detail = InitErrorDetails(type="missing", loc=("type",), input=raw)
    else:
        error = PydanticCustomError(
            "unknown_notifier_type",
            "unknown notifier type {given}; known types: {known}",
            {"given": repr(raw["type"]), "known": ", ".join(known)},
        )
        detail = InitErrorDetails(type=error, loc=("type",), input=raw["type"])
    return ValidationError.from_exception_data("NotifierConfig", [detail], hide_input=True)


def validate_notifier_config(raw: Mapping[str, Any]) -> NotifierConfig:
    """Validate one ``[notifiers.<name>]`` table with the model of its ``type``.

    Raises :class:`pydantic.ValidationError` for every problem, unknown types included.
    """
    types = notifier_types()
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in types:
        raise _type_error(raw, sorted(types))
    return types[kind].Config.model_validate(dict(raw))


def build_notifier(name: str, config: NotifierConfig, *, http: httpx.AsyncClient) -> Notifier:
    """Instantiate the notifier for a config returned by :func:`validate_notifier_config`."""
    cls = notifier_types().get(config.type)
    if cls is None or not isinstance(config, cls.Config):
        raise TypeError(f"no notifier type {config.type!r} accepts {type(config).__name__}")
    return cls(name, config, http=http)
