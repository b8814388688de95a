"""Secrets out of every text before it reaches a log line, an error message or a page.

wirewatch's one redaction, used by the notifiers (a server echoing a token back) and by
the daemon, which re-exports it as ``monitor.observability.Redactor`` / ``redact_url``.
It lives here because notifiers may not import ``monitor`` while ``monitor`` may import
``notifiers`` (docs/decisions/0024-one-redaction.md).

- :func:`redact_url` removes what a URL shows in plain sight: its ``user:password@`` and
  the values of credential-like query parameters (``token``, ``api_key``, ``sig``, …),
  in a URL or in any text quoting URLs.
- :func:`url_secrets` lists those values, so a text quoting one alone can be redacted too;
  :func:`is_credential_name` tells which parameter or header names carry credentials.
- :class:`Redactor` replaces known secrets wherever they appear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import unquote, urlsplit

REDACTED: Final = "[redacted]"
MIN_SECRET: Final = 4  # shorter strings would blank ordinary words

_URL: Final = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+")
_USERINFO: Final = re.compile(r"^([^:/?#]+://)[^/?#@]*@")
# A query parameter (or header) holds a credential when a word of its name (split on _ and -, lower
# case) is one of these, or the name contains token/secret/password (``accessToken``).
_SECRET_WORDS: Final = frozenset(
    {"auth", "authorization", "apikey", "credential", "credentials", "jwt", "key", "pass",
     "passwd", "password", "pwd", "secret", "session", "sessionid", "sid", "sig",
     "signature", "token"}
)  # fmt: skip
_SECRET_PARTS: Final = ("token", "secret", "password", "passwd")


def is_credential_name(name: str) -> bool:
    """True for a query parameter or header name that usually carries a credential."""
    lowered = name.lower()
    words = lowered.replace("-", "_").split("_")
    return any(word in _SECRET_WORDS for word in words) or any(
        part in lowered for part in _SECRET_PARTS
    )


def redact_url(text: str) -> str:
    """``text`` (a URL or any text) with every URL's credentials replaced: ``user:password@``
    dropped, credential-like query values shown as ``[redacted]``."""
    return _URL.sub(lambda match: _redacted(match.group(0)), text)


def _redacted(url: str) -> str:
    url = _USERINFO.sub(r"\1", url)
    path, mark, rest = url.partition("?")
    if not mark:
        return url
    query, hash_mark, fragment = rest.partition("#")
    pairs = (_redacted_pair(pair) for pair in query.split("&"))
    return f"{path}?{'&'.join(pairs)}{hash_mark}{fragment}"


def _redacted_pair(pair: str) -> str:
    name, equals, value = pair.partition("=")
    return f"{name}={REDACTED}" if equals and value and is_credential_name(name) else pair


def url_secrets(url: str) -> list[str]:
    """What :func:`redact_url` hides in ``url``, as written and percent-decoded: the
    password (or a user name standing alone, as tokens do) and credential-like query values."""
    try:
        parts = urlsplit(url)
        found = [parts.password or parts.username or ""]
    except ValueError:  # e.g. an unbalanced IPv6 bracket: nothing can be read reliably
        return []
    for pair in parts.query.split("&"):
        name, _, value = pair.partition("=")
        if is_credential_name(name):
            found.append(value)
    return sorted({form for value in found if value for form in (value, unquote(value))})


class Redactor:
    """Replaces every given secret in a text by ``marker``."""

    __slots__ = ("_marker", "_secrets")

    def __init__(
        self, secrets: Iterable[str], marker: str = REDACTED, *, min_length: int = MIN_SECRET
    ) -> None:
        # Longest first, so a secret containing another is removed whole.
        unique = {secret for secret in secrets if len(secret) >= min_length}
        self._secrets = sorted(unique, key=lambda secret: (-len(secret), secret))
        self._marker = marker

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, self._marker)
        return text
