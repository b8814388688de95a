"""Templates: defaults, per-notifier overrides, channel escaping, and the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from notifiers import (
    Alert,
    ConsoleConfig,
    ConsoleNotifier,
    EmailConfig,
    Escaping,
    NotifyError,
    SlackConfig,
    Templates,
)
from notifiers.email import EmailMessages
from notifiers.slack import SlackMessages
from tests.support.smtp import body_text

AlertFactory = Callable[..., Alert]
SLACK_URL = "https://hooks.slack.com/services/T0/B0/XYZ"


async def test_a_console_override_replaces_the_default_text(
    http_client: httpx.AsyncClient, make_alert: AlertFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    config = ConsoleConfig(templates={"text": "{{ alert.rule }} | {{ alert.title|upper }}\n"})
    await ConsoleNotifier("c", config, http=http_client).send(make_alert(title="Crane <falls>"))
    assert capsys.readouterr().out == "harbour-closures | CRANE <FALLS>\n"


def test_email_overrides_are_escaped_for_their_part(make_alert: AlertFactory) -> None:
    """The subject template is text (one line); the html template autoescapes."""
    config = EmailConfig(
        host="smtp.example.org",
        from_addr="w@example.org",
        to=["d@example.org"],
        templates={
            "subject": "ALERT {{ alert.title }}",
            "html": "<p>{{ alert.title }}</p>{{ alert.summary|paragraph }}",
        },
    )
    alert = make_alert(title="<i>Crane</i>\r\nBcc: x@example.org", summary="a\n<b>b</b>")
    message = EmailMessages(config).build([alert], "alert", alert.alert_id)
    assert message["Subject"] == "ALERT <i>Crane</i> Bcc: x@example.org"
    html = body_text(message, "html")
    assert "<p>&lt;i&gt;Crane&lt;/i&gt; Bcc: x@example.org</p>a<br>\n&lt;b&gt;b&lt;/b&gt;" in html


def test_slack_overrides_escape_mrkdwn_and_keep_the_link_filter(make_alert: AlertFactory) -> None:
    config = SlackConfig(
        webhook_url=SLACK_URL,
        templates={"headline": "{{ alert.link|slack_link(alert.title) }} — {{ alert.feed }}"},
    )
    payload = SlackMessages(config).single(make_alert(title="<!here> Crane", feed="A & B"))
    assert payload["blocks"][0]["text"]["text"] == (
        "<https://news.example.org/harbour/crane-collapse|&lt;!here&gt; Crane> — A &amp; B"
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param("{{ alert.title ", "TemplateSyntaxError", id="syntax"),
        pytest.param("{{ alert.headline }}", "UndefinedError", id="unknown-field"),
        pytest.param("{{ alert.__class__.__mro__ }}", "SecurityError", id="dunder"),
        pytest.param("{{ alert.title.__globals__ }}", "UndefinedError", id="globals"),
        pytest.param("{{ 'x' * 100000000 }}", "SecurityError", id="string-bomb"),
        pytest.param("{{ 9 ** 99999999 }}", "SecurityError", id="power-bomb"),
        pytest.param("{% for i in range(10**9) %}{% endfor %}", "OverflowError", id="range"),
        pytest.param("{{ alerts.append(1) }}", "SecurityError", id="mutation"),
    ],
)
def test_unsafe_or_broken_templates_are_config_errors(source: str, message: str) -> None:
    """Every override is compiled and tried on a sample when the config is loaded."""
    with pytest.raises(ValidationError, match=message):
        ConsoleConfig(templates={"text": source})


def test_unknown_template_parts_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown template 'body'; known: text"):
        ConsoleConfig(templates={"body": "x"})


def test_a_template_failing_at_send_time_is_a_permanent_error(make_alert: AlertFactory) -> None:
    """Something only real alerts trigger (here a division by zero outlets) is not retried."""
    templates = Templates("console", {"text": Escaping.TEXT}, {"text": "{{ 1 // alert.outlets }}"})
    assert templates.render("text", [make_alert(outlets=1)]) == "1"
    with pytest.raises(NotifyError, match="template 'text' failed: ZeroDivisionError") as caught:
        templates.render("text", [make_alert(outlets=0)])
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    ("escaping", "value", "rendered"),
    [
        (Escaping.TEXT, "a\r\nb\x1b[2Jc", "a bc"),
        (Escaping.SLACK, "<!channel> & <@U1>", "&lt;!channel&gt; &amp; &lt;@U1&gt;"),
        (Escaping.HTML, '<b>"x"</b>', "&lt;b&gt;&#34;x&#34;&lt;/b&gt;"),
    ],
)
def test_every_interpolated_value_is_escaped_for_its_channel(
    make_alert: AlertFactory, escaping: Escaping, value: str, rendered: str
) -> None:
    templates = Templates("console", {"text": escaping}, {"text": "{{ alert.title }}"})
    assert templates.render("text", [make_alert(title=value)]) == rendered


def test_default_templates_render_digests_with_every_alert(make_alert: AlertFactory) -> None:
    alerts = [make_alert(title=f"Story {n}", alert_id=f"a{n}") for n in range(3)]
    text = Templates("console", {"text": Escaping.TEXT}, {}).render("text", alerts, "digest")
    assert text.startswith("== wirewatch digest: 3 alerts ==")
    assert [line for line in text.splitlines() if line.startswith("[HIGH]")] == [
        f"[HIGH] harbour-closures: Story {n}" for n in range(3)
    ]


def _update(make_alert: AlertFactory, **changes: Any) -> Alert:
    return make_alert(
        event="update", change="outlets>=3", reason="reported by 3 outlets", **changes
    )


def test_updates_say_what_changed(make_alert: AlertFactory) -> None:
    text = Templates("console", {"text": Escaping.TEXT}, {}).render("text", [_update(make_alert)])
    assert text.splitlines()[0].endswith("(update: reported by 3 outlets)")
