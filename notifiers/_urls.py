"""Validation of configured endpoint URLs (which are secrets: never echo them)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from pydantic import SecretStr

_LOOPBACK_NAMES = frozenset(("localhost",))


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and any loopback IP literal (127.0.0.0/8, ::1)."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: SecretStr, *, https_only: bool) -> SecretStr:
    """Accept an absolute http(s) URL; with ``https_only``, plain http only on loopback.

    Raises ValueError with a message that never contains the URL itself.
    """
    raw = url.get_secret_value()
    if raw != raw.strip() or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in raw):
        raise ValueError("URL must not contain whitespace or control characters")
    try:
        parts = urlsplit(raw)
        host = parts.hostname
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        raise ValueError("URL is malformed") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise ValueError("URL must be an absolute http:// or https:// URL")
    if https_only and scheme == "http" and not is_loopback(host):
        raise ValueError("URL must use https (plain http is allowed only for loopback hosts)")
    return url
