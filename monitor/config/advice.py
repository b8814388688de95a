"""Advice on a valid config: settings that work but should change, because they are weak
or deprecated. ``wirewatch run`` logs each as a warning at start and ``wirewatch check``
prints them; existing configs keep starting. Each names its key or its feed, never a
secret's value."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from monitor.config.api import MIN_TOKEN_LENGTH
from monitor.config.feeds import FeedSettings, ListenerSettings, secret_key_for
from monitor.config.settings import Config
from notifiers import redact_url


@dataclass(frozen=True, slots=True)
class ConfigWarning:
    """One piece of advice: a log event with its fields, and the sentence ``check`` prints."""

    event: str
    fields: Mapping[str, str | int]  # read-only: a copy behind a proxy
    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))


def config_warnings(config: Config) -> list[ConfigWarning]:
    """Every piece of advice on ``config``, in the order of the file's tables."""
    settings = config.settings
    return [
        *_listener_token(settings.listener),
        *_inline_feed_secrets(settings.feeds, config.feed_files),
    ]


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


def _inline_feed_secrets(
    feeds: tuple[FeedSettings, ...], feed_files: Mapping[str, tuple[str, int]]
) -> Iterator[ConfigWarning]:
    """A feed's ``auth.secret`` written in the file: deprecated for the ``*_env`` form. A
    feed of an included file is named by that file and its index there (the main file's
    feeds come first in ``feeds``, so their index is theirs)."""
    for index, feed in enumerate(feeds):
        if feed.auth is None or not feed.auth.inline:
            continue
        wanted = secret_key_for(feed.auth.type)
        url = redact_url(feed.url)
        file, written = feed_files.get(feed.url, ("", index))
        key = f"feeds.{written}.auth.secret"
        fields: dict[str, str | int] = {"key": key, "feed_url": url, "use": wanted}
        if file:
            fields["file"] = file
        yield ConfigWarning(
            "config_feed_secret_inline",
            fields,
            f"{f'{file}: ' if file else ''}{key} ({url}) is written in the config, which is"
            f" deprecated: name an environment variable holding it in auth.{wanted} instead",
        )
