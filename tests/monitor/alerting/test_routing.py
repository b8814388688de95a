"""Route timing: quiet hours and digest times in local time zones, rate limits, silences,
and the ``[alerting]`` settings that configure them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from monitor.alerting.routing import RateLimiter, next_digest, quiet_until
from monitor.alerting.silences import covering, parse_duration
from monitor.config.alerting import (
    AlertingSettings,
    DigestSettings,
    QuietHours,
    RateLimit,
    UpdateSettings,
)
from monitor.records import Silence

BERLIN_NIGHT = QuietHours(start="22:00", end="07:00", timezone="Europe/Berlin")
LUNCH = QuietHours(start="12:00", end="13:30", timezone="UTC")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("quiet", "now", "until"),
    [
        # Berlin is UTC+1 in winter: 22:00-07:00 local is 21:00-06:00 UTC.
        (BERLIN_NIGHT, "2026-11-24T20:59", None),
        (BERLIN_NIGHT, "2026-11-24T21:00", "2026-11-25T06:00"),
        (BERLIN_NIGHT, "2026-11-25T03:00", "2026-11-25T06:00"),
        (BERLIN_NIGHT, "2026-11-25T06:00", None),
        # Summer time, UTC+2: 22:00-07:00 local is 20:00-05:00 UTC.
        (BERLIN_NIGHT, "2026-07-01T20:30", "2026-07-02T05:00"),
        (LUNCH, "2026-11-24T12:15", "2026-11-24T13:30"),
        (LUNCH, "2026-11-24T13:30", None),
        (LUNCH, "2026-11-24T11:59", None),
    ],
)
def test_quiet_hours_end_at_the_local_end_time(
    quiet: QuietHours, now: str, until: str | None
) -> None:
    assert quiet_until(quiet, utc(now)) == (utc(until) if until else None)


def daily(at: str, zone: str = "UTC") -> DigestSettings:
    return DigestSettings(every="daily", at=at, timezone=zone)


def hourly(at: str, zone: str = "UTC") -> DigestSettings:
    return DigestSettings(every="hourly", at=at, timezone=zone)


@pytest.mark.parametrize(
    ("digest", "after", "expected"),
    [
        (daily("08:00"), "2026-11-24T07:59", "2026-11-24T08:00"),
        (daily("08:00"), "2026-11-24T08:00", "2026-11-25T08:00"),
        # 08:00 in New York (UTC-5 in November) is 13:00 UTC.
        (daily("08:00", "America/New_York"), "2026-11-24T12:00", "2026-11-24T13:00"),
        (hourly("00:15"), "2026-11-24T10:20", "2026-11-24T11:15"),
        (hourly("00:15"), "2026-11-24T10:05", "2026-11-24T10:15"),
        # India is UTC+5:30: local minute 00 is UTC minute 30.
        (hourly("00:00", "Asia/Kolkata"), "2026-11-24T10:31", "2026-11-24T11:30"),
    ],
)
def test_next_digest_is_strictly_after_in_local_time(
    digest: DigestSettings, after: str, expected: str
) -> None:
    assert next_digest(digest, utc(after)) == utc(expected)


def test_rate_limiter_allows_a_burst_then_spaces_messages() -> None:
    """5 per minute: five at once, the sixth 12 s later, and tokens come back over time."""
    start = utc("2026-11-24T12:00")
    limiter = RateLimiter(RateLimit(messages=5, per_seconds=60), start)
    assert [limiter.take(start) for _ in range(5)] == [None] * 5
    assert limiter.take(start) == start + timedelta(seconds=12)
    assert limiter.take(start + timedelta(seconds=12)) is None
    assert limiter.take(start + timedelta(seconds=12)) is not None


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("2h", timedelta(hours=2)),
        ("90m", timedelta(minutes=90)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("45s", timedelta(seconds=45)),
        (" 2H ", timedelta(hours=2)),
    ],
)
def test_durations_parse(text: str, duration: timedelta) -> None:
    assert parse_duration(text) == duration


@pytest.mark.parametrize("text", ["", "2", "h", "-2h", "2 hours", "0m", "400d", "2h;rm"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|silence"):
        parse_duration(text)


def test_silences_cover_only_what_they_name_and_only_while_active() -> None:
    now = utc("2026-11-24T12:00")
    by_rule = Silence("maintenance", now, now + timedelta(hours=2), rule="r1", silence_id=1)
    on_slack = Silence("noisy", now, now + timedelta(hours=2), story_id="s9", notifier="slack")
    silences = [by_rule, on_slack]
    assert covering(silences, "r1", "s1", "email") is by_rule
    assert covering(silences, "r2", "s9", "slack") is on_slack
    assert covering(silences, "r2", "s9", "email") is None
    assert by_rule.active(now + timedelta(minutes=119))
    assert not by_rule.active(now + timedelta(hours=2))


@pytest.mark.parametrize(
    ("silenced", "rule", "covered"),
    [
        ("surge", "surge:name:kyiv", True),
        ("surge:name", "surge:name:kyiv", True),
        ("surge:name:kyiv", "surge:name:kyiv", True),
        ("surge:name", "surge:name:kyiv oblast", True),
        ("surge:rule", "surge:name:kyiv", False),
        ("surge:name:ky", "surge:name:kyiv", False),  # a prefix must end at a colon
        ("surge", "surge-watch", False),
        ("iran", "iran:syria", False),  # only surge rules are covered by a prefix
        ("", "surge:story:st_1", True),
        ("surge:story", "surge:story:st_1", True),
    ],
)
def test_a_silence_of_a_surge_prefix_covers_the_surges_below_it(
    silenced: str, rule: str, covered: bool
) -> None:
    now = utc("2026-11-24T12:00")
    silence = Silence("quiet", now, now + timedelta(hours=2), rule=silenced)
    assert (covering([silence], rule, "s1", "slack") is silence) is covered


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"routes": {"slack": {"quiet_hours": {"start": "25:00", "end": "07:00"}}}}, "HH:MM"),
        ({"routes": {"slack": {"quiet_hours": {"start": "07:00", "end": "07:00"}}}}, "different"),
        ({"routes": {"slack": {"digest": {"timezone": "Mars/Olympus"}}}}, "unknown time zone"),
        ({"routes": {"slack": {"digest": {"timezone": "../../etc/passwd"}}}}, "IANA"),
        ({"routes": {"slack": {"rate_limit": {"messages": 0, "per_seconds": 60}}}}, "greater"),
        ({"routes": {"slack": {"group_window": -1}}}, "greater"),
        ({"updates": {"outlets": [1]}}, "2 or more"),
        ({"routes": {"slack": {"min_severity": "urgent"}}}, "low"),
        ({"routes": {"slack": {"colour": "red"}}}, "Extra inputs"),
    ],
)
def test_invalid_alerting_settings_are_refused_with_a_reason(
    table: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        AlertingSettings.model_validate(table)


def test_outlet_thresholds_are_sorted_and_deduplicated() -> None:
    assert UpdateSettings(outlets=(10, 3, 3)).outlets == (3, 10)
