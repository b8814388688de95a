"""Advice on a valid config: settings that work but should change, because they are weak
or deprecated. ``wirewatch run`` logs each as a warning at start and ``wirewatch check``
prints them; existing configs keep starting. Each names its key or its feed, never a
secret's value."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from monitor.config.api import MIN_TOKEN_LENGTH
from monitor.config.feeds import ListenerSettings
from monitor.config.settings import Settings


@dataclass(frozen=True, slots=True)
class ConfigWarning:
    """One piece of advice: a log event with its fields, and the sentence ``check`` prints."""

    event: str
    fields: dict[str, str | int]
    text: str


def config_warnings(settings: Settings) -> list[ConfigWarning]:
    """Every piece of advice on ``settings``, in the order of the file's tables."""
    return [*_listener_token(settings.listener)]


def _listener_token(listener: ListenerSettings) -> Iterator[ConfigWarning]:
    """A listener token shorter than ``[api]`` tokens may be (they are refused): warned,
    not refused, so configs written before the minimum keep starting."""
    if listener.token is None or len(listener.token.get_secret_value()) >= MIN_TOKEN_LENGTH:
        return
    yield ConfigWarning(
        "config_listener_token_short",
        {"key": "listener.token", "min_length": MIN_TOKEN_LENGTH},
        f"listener.token is shorter than {MIN_TOKEN_LENGTH} characters: use a longer random"
        f" token (as [api] tokens must be); it will be refused in a future version",
    )
