"""Settings for polling: one ``[[feeds]]`` entry, its credentials, and the HTTP listener.

Feed credentials belong outside the config file: ``password_env`` / ``token_env`` name an
environment variable, read when the config is loaded (a missing one is a config error
naming the variable) and kept as a ``SecretStr`` that is never printed or logged. An
``auth.secret`` written in the file is still accepted, with a deprecation warning
(``monitor.config.advice``).
"""

from __future__ import annotations

import os
import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)

from monitor.config.base import Section
from notifiers import is_credential_name, redact_url, url_secrets

# Header names a feed may not set: they belong to the fetcher (validators, encodings,
# framing) or to ``auth``, which keeps credentials out of the file.
_RESERVED_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "accept-encoding",
     "if-none-match", "if-modified-since", "authorization", "proxy-authorization", "cookie"}
)  # fmt: skip
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an RFC 9110 header name
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BEARER = re.compile(r"^[A-Za-z0-9._~+/-]+=*$")  # RFC 6750 b64token
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")  # newline, tab, NUL, DEL, …


def secret_key_for(kind: object) -> str:
    """The ``auth`` key that names the environment variable an auth type reads its secret
    from: ``password_env`` for basic, ``token_env`` for bearer."""
    return "password_env" if kind == "basic" else "token_env"


class FeedAuth(Section):
    """HTTP authentication for one feed; the secret comes from the environment. A
    ``secret`` written in the file itself is still accepted, deprecated (``inline``)."""

    type: Literal["basic", "bearer"]
    username: str = ""
    password_env: str = ""  # basic: the variable holding the password
    token_env: str = ""  # bearer: the variable holding the token
    secret: SecretStr = Field(SecretStr(""), exclude=True)  # filled from the variable
    _inline: bool = PrivateAttr(False)

    @property
    def inline(self) -> bool:
        """The secret was written in the config, not read from the environment."""
        return self._inline

    @model_validator(mode="wrap")
    @classmethod
    def _note_inline(cls, data: Any, handler: ModelWrapValidatorHandler[FeedAuth]) -> FeedAuth:
        auth = handler(data)
        auth._inline = isinstance(data, dict) and "secret" in data
        return auth

    @model_validator(mode="before")
    @classmethod
    def _read_secret(cls, data: object) -> object:
        if not isinstance(data, dict) or "secret" in data:
            return data
        kind, wanted = data.get("type"), secret_key_for(data.get("type"))
        variable = str(data.get(wanted) or "")
        if not variable:
            raise ValueError(f"{kind} auth needs {wanted} (the environment variable to read)")
        if not _ENV_NAME.match(variable):
            raise ValueError("not an environment variable name")
        if variable not in os.environ:
            raise ValueError(f"environment variable {variable} is not set")
        return {**data, "secret": os.environ[variable]}

    @model_validator(mode="after")
    def _username_for_basic(self) -> FeedAuth:
        if self.type == "basic" and not self.username:
            raise ValueError("basic auth needs a username")
        return self


class FullText(StrEnum):
    """When a feed's entries are read from their article page rather than the feed alone."""

    AUTO = "auto"  # when the entry's own text is short or looks cut (a teaser)
    ALWAYS = "always"
    NEVER = "never"


class FeedSettings(Section):
    url: str
    name: str = ""
    interval: float | None = Field(None, ge=1, description="fixed seconds between polls")
    min_interval: float | None = Field(None, ge=1)
    max_interval: float | None = Field(None, ge=1)
    enabled: bool = True
    tags: tuple[str, ...] = ()
    language: str = Field(
        "",
        description="the language the feed writes in (ISO 639-1, e.g. 'ar'): a hint for"
        " identifying each article's language when its text is too short to tell",
    )
    max_body_bytes: int | None = Field(None, ge=1024)
    headers: dict[str, str] = Field(default_factory=dict)
    auth: FeedAuth | None = None
    proxy: str | None = None
    verify_tls: bool = True
    full_text: FullText = Field(
        FullText.AUTO, description="fetch the article page: auto (teasers), always, never"
    )
    full_text_timeout: float = Field(
        5.0, gt=0, le=120, description="seconds an entry waits for its page before matching"
    )
    content_selector: str | None = Field(
        None, description="CSS selector of the article body on this feed's pages"
    )
    robots: bool = Field(True, description="honour robots.txt for article pages")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("feed url must start with http:// or https://")
        if _CONTROL_CHARACTER.search(value):
            raise ValueError("feed url must not contain control characters (newline, tab, …)")
        return value

    @field_validator("proxy")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        # SOCKS would need httpx's optional socksio dependency: refused here, not at poll.
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("proxy must be an http:// or https:// URL")
        return value

    @field_validator("headers")
    @classmethod
    def _safe_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not _TOKEN.match(name) or name.lower() in _RESERVED_HEADERS:
                raise ValueError(f"header {name!r} may not be set per feed")
            if any(char in text for char in "\r\n\x00"):
                raise ValueError(f"header {name!r} has a line break or NUL in its value")
        return value

    @field_validator("content_selector")
    @classmethod
    def _css_selector(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # Imported here: lxml is not needed before the listener binds (decision 0057).
        from cssselect import SelectorError  # noqa: PLC0415
        from lxml.cssselect import CSSSelector  # noqa: PLC0415

        try:
            CSSSelector(value)
        except SelectorError as exc:  # cssselect's message says where and what
            raise ValueError(f"content_selector is not a valid CSS selector: {exc}") from exc
        return value

    @property
    def display_name(self) -> str:
        """How the feed is named wherever it is shown (alerts, logs, pages, commands, job
        names): its ``name``, else its URL without credentials."""
        return self.name or redact_url(self.url)

    def secret_values(self) -> list[str]:
        """The feed's credentials: from ``auth``, written into its URL, and the values of
        headers named like one (``X-Api-Key``)."""
        secret = self.auth.secret.get_secret_value() if self.auth else ""
        headers = [value for name, value in self.headers.items() if is_credential_name(name)]
        return [*filter(None, [secret, *headers]), *url_secrets(self.url)]


class ListenerSettings(Section):
    """The daemon's HTTP listener: health, readiness and metrics while ``run`` runs, and
    WebSub callbacks when hubs can reach it (``public_url``) or ``websub = true``."""

    enabled: bool = True  # served by ``run``; by ``run --once`` only with ``serve_once``
    host: str = "127.0.0.1"
    port: int = Field(8787, ge=0, le=65535)
    serve_once: bool = False  # also serve while ``run --once`` runs
    token: SecretStr | None = Field(
        None, description="bearer token for every route but /healthz, /readyz and WebSub"
    )
    readiness_timeout: float = Field(2.0, gt=0, le=60, description="per readiness check, s")
    public_url: str = Field("", description="how hubs reach the listener, e.g. https://ww.example")
    websub: bool | None = Field(None, description="subscribe to hubs; default: with public_url")
    lease_seconds: int = Field(86_400 * 5, ge=60, le=86_400 * 365)
    poll_fallback: float = Field(3600.0, ge=60, description="poll interval while pushed")
    # With public_url, each alert message carries a signed, expiring link to judge it
    # (docs/decisions/0047); better set from WIREWATCH_LISTENER__FEEDBACK_SECRET.
    feedback_secret: SecretStr | None = Field(
        None, description="HMAC key of alert feedback links (32+ random characters)"
    )
    feedback_link_days: int = Field(14, ge=1, le=365, description="feedback links expire after")

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("public_url must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("feedback_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("feedback_secret must be at least 32 characters")
        return value

    @field_validator("token")
    @classmethod
    def _bearer_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _BEARER.match(value.get_secret_value()):
            raise ValueError("token must be letters, digits and -._~+/ (RFC 6750), not empty")
        return value

    @property
    def websub_enabled(self) -> bool:
        """Subscribe to hubs: as configured, else only when hubs can reach us (public_url)."""
        return bool(self.public_url) if self.websub is None else self.websub
