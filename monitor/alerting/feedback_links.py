"""Signed, expiring links in alert messages, so a reader judges an alert in one click
without a token (docs/decisions/0047-alert-feedback.md).

    https://ww.example/feedback/al_3f…?expires=1767225600&sig=…

The signature is HMAC-SHA256 over the alert id and the expiry under
``[listener] feedback_secret``; the expiry is the alert's creation plus
``feedback_link_days``, so every retry of a message carries the same link. The link
opens a confirmation form (``monitor.web.feedback_page``): a GET never records anything,
as mail scanners and chat unfurlers prefetch links."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote, urlencode

from monitor.config import ListenerSettings

PATH = "/feedback/"
_CONTEXT = b"wirewatch-feedback-v1"  # a key used only for these links, whatever else it signs


class LinkCheck(StrEnum):
    """What a link's signature and expiry say."""

    VALID = "valid"
    EXPIRED = "expired"
    FORGED = "forged"  # altered, signed under another key, or not a link of ours at all


@dataclass(frozen=True, slots=True)
class FeedbackLinks:
    """Makes and checks the links of one daemon (its public URL and key)."""

    base_url: str
    secret: bytes
    valid_for: timedelta

    @classmethod
    def of(cls, settings: ListenerSettings) -> FeedbackLinks | None:
        """The daemon's links; None (messages carry none) without a public URL or key."""
        if not (settings.public_url and settings.feedback_secret):
            return None
        secret = settings.feedback_secret.get_secret_value().encode()
        return cls(settings.public_url, secret, timedelta(days=settings.feedback_link_days))

    def url(self, alert_id: str, raised_at: datetime) -> str:
        expires = int((raised_at + self.valid_for).timestamp())
        query = urlencode({"expires": expires, "sig": self._signature(alert_id, expires)})
        return f"{self.base_url}{PATH}{quote(alert_id, safe='')}?{query}"

    def check(self, alert_id: str, expires: str, signature: str, now: datetime) -> LinkCheck:
        if not expires.isdigit() or len(expires) > 12:
            return LinkCheck.FORGED
        expected = self._signature(alert_id, int(expires))
        # compare_digest: the time taken does not tell how much of a guess was right.
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return LinkCheck.FORGED
        return LinkCheck.VALID if now.timestamp() < int(expires) else LinkCheck.EXPIRED

    def _signature(self, alert_id: str, expires: int) -> str:
        message = b"\x00".join([_CONTEXT, alert_id.encode("utf-8", "replace"), b"%d" % expires])
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
