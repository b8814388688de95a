"""Each channel's shipped templates show the link to judge an alert when there is one,
nothing when there is none, and never a link that is not http(s)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from notifiers import Alert, Escaping, Templates
from notifiers.templates import SAMPLE
from notifiers.webhook import build_payload

LINK = "https://ww.example/feedback/al_1?expires=1767225600&sig=Zm9v_YmFy-"
ESCAPED = LINK.replace("&", "&amp;")  # as HTML and Slack's mrkdwn write it
PARTS = [
    ("console", "text", Escaping.TEXT, f"    judge:      {LINK}"),
    ("email", "text", Escaping.TEXT, f"Was this alert useful? {LINK}"),
    ("email", "html", Escaping.HTML, f'<a href="{ESCAPED}">Was this alert useful? Judge it</a>'),
    ("apprise", "body", Escaping.TEXT, f"Judge this alert: {LINK}"),
    ("slack", "headline", Escaping.SLACK, f"<{ESCAPED}|judge this alert>"),
]


def _render(channel: str, part: str, escaping: Escaping, alert: Alert, kind: str) -> str:
    alerts = [alert] if kind == "alert" else [alert, replace(alert, alert_id="al_2")]
    return Templates(channel, {part: escaping}, {}).render(part, alerts, kind)


# Slack renders a digest's headlines one alert at a time: its headline part is per alert.
CASES = [(*part, kind) for part in PARTS for kind in ("alert", "digest")
         if not (part[0] == "slack" and kind == "digest")]  # fmt: skip


@pytest.mark.parametrize(("channel", "part", "escaping", "shown", "kind"), CASES)
def test_the_link_is_shown_when_made_and_only_then(
    channel: str, part: str, escaping: Escaping, shown: str, kind: str
) -> None:
    with_link = replace(SAMPLE, feedback_url=LINK)
    assert shown in _render(channel, part, escaping, with_link, kind)
    for url in ("", "javascript:alert(1)", "data:text/html,<script>x</script>"):
        text = _render(channel, part, escaping, replace(SAMPLE, feedback_url=url), kind)
        assert "judge" not in text.lower() and "useful?" not in text and "javascript" not in text


@pytest.mark.parametrize(("url", "sent"), [(LINK, LINK), ("", ""), ("javascript:x()", "")])
def test_the_webhook_document_carries_the_link_or_nothing(url: str, sent: str) -> None:
    assert build_payload(replace(SAMPLE, feedback_url=url))["feedback_url"] == sent
