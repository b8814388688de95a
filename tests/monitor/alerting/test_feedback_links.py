"""The signed, expiring links to judge an alert: made only when configured, the same on
every retry, and refused when changed in any part, signed under another key, or old."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr, ValidationError

from monitor.alerting import FeedbackLinks, LinkCheck
from monitor.config import ListenerSettings

RAISED = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SECRET = "k" * 32
LINKS = FeedbackLinks("https://ww.example", SECRET.encode(), timedelta(days=14))


def _parts(url: str) -> tuple[str, str, str]:
    split = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(split.query).items()}
    return split.path.removeprefix("/feedback/"), query["expires"], query["sig"]


def test_a_link_names_the_alert_and_is_the_same_on_every_retry() -> None:
    url = LINKS.url("al_3f00", RAISED)
    assert url.startswith("https://ww.example/feedback/al_3f00?expires=")
    assert LINKS.url("al_3f00", RAISED) == url
    assert LINKS.check(*_parts(url), RAISED + timedelta(days=13)) is LinkCheck.VALID


def _other_alert(parts: tuple[str, str, str]) -> tuple[str, str, str]:
    return ("al_3f01", parts[1], parts[2])


def _later_expiry(parts: tuple[str, str, str]) -> tuple[str, str, str]:
    return (parts[0], str(int(parts[1]) + 86400), parts[2])


def _other_key(parts: tuple[str, str, str]) -> tuple[str, str, str]:
    other = FeedbackLinks("https://ww.example", b"x" * 32, timedelta(days=14))
    return _parts(other.url(parts[0], RAISED))


@pytest.mark.parametrize(
    ("change", "now", "expected"),
    [
        (lambda parts: parts, RAISED + timedelta(days=14, seconds=1), LinkCheck.EXPIRED),
        (_other_alert, RAISED, LinkCheck.FORGED),
        (_later_expiry, RAISED, LinkCheck.FORGED),
        (_other_key, RAISED, LinkCheck.FORGED),
        (lambda parts: (parts[0], parts[1], parts[2][:-1] + "A"), RAISED, LinkCheck.FORGED),
        (lambda parts: (parts[0], parts[1], ""), RAISED, LinkCheck.FORGED),
        (lambda parts: (parts[0], "-5", parts[2]), RAISED, LinkCheck.FORGED),
        (lambda parts: (parts[0], "9" * 40, parts[2]), RAISED, LinkCheck.FORGED),
        (lambda parts: (parts[0], parts[1], "é\udcff"), RAISED, LinkCheck.FORGED),
    ],
    ids=[
        "expired",
        "other-alert",
        "later-expiry",
        "other-key",
        "sig-changed",
        "no-sig",
        "negative-expiry",
        "huge-expiry",
        "garbage-sig",
    ],
)
def test_a_changed_or_old_link_is_refused(
    change: Callable[[tuple[str, str, str]], tuple[str, str, str]],
    now: datetime,
    expected: LinkCheck,
) -> None:
    alert_id, expires, signature = change(_parts(LINKS.url("al_3f00", RAISED)))
    assert LINKS.check(alert_id, expires, signature, now) is expected


@pytest.mark.parametrize(
    ("settings", "made"),
    [
        ({}, False),
        ({"public_url": "https://ww.example"}, False),
        ({"feedback_secret": SECRET}, False),
        ({"public_url": "https://ww.example/", "feedback_secret": SECRET}, True),
    ],
)
def test_links_are_made_only_with_a_public_url_and_a_key(
    settings: dict[str, str], made: bool
) -> None:
    links = FeedbackLinks.of(ListenerSettings.model_validate(settings))
    assert (links is not None) is made
    if links is not None:
        assert links.url("al_1", RAISED).startswith("https://ww.example/feedback/al_1?")


def test_a_short_key_is_a_config_error_that_does_not_echo_it() -> None:
    with pytest.raises(ValidationError) as raised:
        ListenerSettings(feedback_secret=SecretStr("short-secret-value"))
    assert "at least 32 characters" in str(raised.value)
    assert "short-secret-value" not in str(raised.value)
