"""Config validation of the built-in notifiers, and keeping secrets out of reprs and errors."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from notifiers import (
    ConsoleConfig,
    EmailConfig,
    NotifierConfig,
    SlackConfig,
    WebhookConfig,
    validate_notifier_config,
)

SLACK_URL = "https://hooks.slack.com/services/T0AAA/B0BBB/sl4ck-t0ken-zz"
HOOK_URL = "https://ingest.example.net/hook?token=h00k-t0ken-yy"
PASSWORD = "smtp-pa55-xx"
SIGNING_KEY = "s1gning-key-ww"
AUTH_HEADER = "Bearer header-t0ken-vv"
SECRETS = (SLACK_URL, "sl4ck-t0ken-zz", "h00k-t0ken-yy", PASSWORD, SIGNING_KEY, AUTH_HEADER)

EMAIL = {
    "type": "email",
    "host": "smtp.example.org",
    "from_addr": "wirewatch@example.org",
    "to": ["desk@example.com"],
}
VALID = [
    pytest.param({"type": "console"}, ConsoleConfig, id="console-minimal"),
    pytest.param({"type": "console", "stream": "stderr"}, ConsoleConfig, id="console-stderr"),
    pytest.param({"type": "slack", "webhook_url": SLACK_URL}, SlackConfig, id="slack-minimal"),
    pytest.param(
        {"type": "slack", "webhook_url": "http://127.0.0.1:8080/x"},
        SlackConfig,
        id="slack-loopback",
    ),
    pytest.param(
        {"type": "slack", "webhook_url": "http://localhost/x"}, SlackConfig, id="slack-localhost"
    ),
    pytest.param(
        {"type": "slack", "webhook_url": "http://[::1]:9/x"}, SlackConfig, id="slack-ipv6"
    ),
    pytest.param({"type": "webhook", "url": HOOK_URL}, WebhookConfig, id="webhook-minimal"),
    pytest.param(
        {"type": "webhook", "url": "http://intranet.example/hook"}, WebhookConfig, id="webhook-http"
    ),
    pytest.param(EMAIL, EmailConfig, id="email-minimal"),
    pytest.param(
        EMAIL | {"username": "bot", "password": PASSWORD, "security": "tls"},
        EmailConfig,
        id="email-auth",
    ),
]


@pytest.mark.parametrize(("raw", "model"), VALID)
def test_valid_tables_validate_to_their_model(raw: dict[str, Any], model: type) -> None:
    """Each ``type`` picks its own model, and sensible minimal tables are accepted."""
    config = validate_notifier_config(raw)
    assert type(config) is model
    assert config.type == raw["type"]
    assert config.enabled


INVALID = [
    pytest.param({"type": "slack"}, (), "value_error", id="slack-needs-url-or-token"),
    pytest.param(
        {"type": "slack", "webhook_url": SLACK_URL.replace("https", "http")},
        ("webhook_url",),
        "value_error",
        id="slack-plain-http-remote",
    ),
    pytest.param(
        {"type": "slack", "webhook_url": "ftp://hooks.example/x"},
        ("webhook_url",),
        "value_error",
        id="slack-ftp",
    ),
    pytest.param(
        {"type": "slack", "webhook_url": "hooks.slack.com/x"},
        ("webhook_url",),
        "value_error",
        id="slack-no-scheme",
    ),
    pytest.param(
        {"type": "slack", "webhook_url": SLACK_URL, "chanel": "#x"},
        ("chanel",),
        "extra_forbidden",
        id="slack-typo-key",
    ),
    pytest.param(
        {"type": "slack", "webhook_url": SLACK_URL, "channel": "#a b"},
        ("channel",),
        "string_pattern_mismatch",
        id="slack-channel-space",
    ),
    pytest.param(
        {"type": "slack", "webhook_url": SLACK_URL, "icon_emoji": "eyes"},
        ("icon_emoji",),
        "string_pattern_mismatch",
        id="slack-icon-colons",
    ),
    pytest.param({"type": "webhook"}, ("url",), "missing", id="webhook-missing-url"),
    pytest.param(
        {"type": "webhook", "url": "javascript:alert(1)"}, ("url",), "value_error", id="webhook-js"
    ),
    pytest.param(
        {"type": "webhook", "url": "https://x.example/a b"},
        ("url",),
        "value_error",
        id="webhook-space",
    ),
    pytest.param(
        {"type": "webhook", "url": "https://x.example:99999/"},
        ("url",),
        "value_error",
        id="webhook-bad-port",
    ),
    pytest.param(
        {"type": "webhook", "url": HOOK_URL, "headers": {"X-A": "v\r\nX-Evil: 1"}},
        ("headers",),
        "value_error",
        id="header-value-crlf",
    ),
    pytest.param(
        {"type": "webhook", "url": HOOK_URL, "headers": {"X A": "v"}},
        ("headers",),
        "value_error",
        id="header-name-space",
    ),
    pytest.param(
        {"type": "webhook", "url": HOOK_URL, "headers": {"X-A\r\n": "v"}},
        ("headers",),
        "value_error",
        id="header-name-crlf",
    ),
    pytest.param(
        {"type": "webhook", "url": HOOK_URL, "headers": {"Idempotency-Key": "x"}},
        ("headers",),
        "value_error",
        id="header-reserved",
    ),
    pytest.param(
        {"type": "webhook", "url": HOOK_URL, "timeout": 0}, ("timeout",), "greater_than", id="t0"
    ),
    pytest.param(
        {k: v for k, v in EMAIL.items() if k != "to"}, ("to",), "missing", id="email-missing-to"
    ),
    pytest.param(EMAIL | {"to": []}, ("to",), "too_short", id="email-empty-to"),
    pytest.param(EMAIL | {"to": ["not-an-address"]}, ("to",), "value_error", id="email-bad-to"),
    pytest.param(
        EMAIL | {"to": ["a@b.org, evil@x.org"]}, ("to",), "value_error", id="email-list-smuggle"
    ),
    pytest.param(
        EMAIL | {"to": ["a@b.org\r\nBcc: evil@x.org"]}, ("to",), "value_error", id="email-crlf"
    ),
    pytest.param(
        EMAIL | {"from_addr": "Desk <desk@x.org>"},
        ("from_addr",),
        "value_error",
        id="email-display-name",
    ),
    pytest.param(
        EMAIL | {"host": "smtp.example.org\r\nX"},
        ("host",),
        "string_pattern_mismatch",
        id="email-host-crlf",
    ),
    pytest.param(
        EMAIL | {"ca_file": "/nonexistent/ca.pem"}, ("ca_file",), "path_not_file", id="email-ca"
    ),
    pytest.param(EMAIL | {"port": 0}, ("port",), "greater_than_equal", id="email-port-0"),
    pytest.param(EMAIL | {"security": "ssl"}, ("security",), "literal_error", id="email-security"),
    pytest.param(EMAIL | {"username": "bot"}, (), "value_error", id="email-user-without-password"),
    pytest.param(
        EMAIL | {"username": "bot", "password": PASSWORD, "security": "none"},
        (),
        "value_error",
        id="email-credentials-in-clear",
    ),
    pytest.param({"type": "console", "stream": "file"}, ("stream",), "literal_error", id="console"),
]


@pytest.mark.parametrize(("raw", "loc", "kind"), INVALID)
def test_invalid_tables_report_the_offending_key(
    raw: dict[str, Any], loc: tuple[str, ...], kind: str
) -> None:
    """Each mistake is a ValidationError whose first error points at the key at fault."""
    with pytest.raises(ValidationError) as caught:
        validate_notifier_config(raw)
    first = caught.value.errors()[0]
    assert (first["loc"][: len(loc)], first["type"]) == (loc, kind)


def _configs() -> list[NotifierConfig]:
    return [
        SlackConfig(webhook_url=SLACK_URL),
        WebhookConfig(url=HOOK_URL, secret=SIGNING_KEY, headers={"Authorization": AUTH_HEADER}),
        EmailConfig.model_validate(EMAIL | {"username": "bot", "password": PASSWORD}),
    ]


@pytest.mark.parametrize("config", _configs(), ids=["slack", "webhook", "email"])
def test_secrets_never_appear_in_repr_str_or_json(config: NotifierConfig) -> None:
    """repr(), str() and JSON dumps mask every secret, header values included."""
    shown = " ".join((repr(config), str(config), config.model_dump_json()))
    assert not [secret for secret in SECRETS if secret in shown]


@pytest.mark.parametrize(
    ("config", "expected"),
    list(
        zip(
            _configs(),
            [[SLACK_URL], [HOOK_URL, SIGNING_KEY, AUTH_HEADER], [PASSWORD]],
            strict=True,
        )
    ),
    ids=["slack", "webhook", "email"],
)
def test_secret_values_lists_everything_the_dispatcher_must_redact(
    config: NotifierConfig, expected: list[str]
) -> None:
    """secret_values() returns each secret, including webhook header values."""
    assert sorted(config.secret_values()) == sorted(expected)


REJECTED_SECRETS = [
    pytest.param(
        {"type": "slack", "webhook_url": "http://hooks.slack.com/services/sl4ck-t0ken-zz"}
    ),
    pytest.param({"type": "webhook", "url": "ftp://h00k-t0ken-yy@files.example/"}),
    pytest.param({"type": "webhook", "url": HOOK_URL, "headers": {"A": AUTH_HEADER + "\n"}}),
    pytest.param(EMAIL | {"username": "bot", "password": PASSWORD, "security": "none"}),
    pytest.param({"type": "slack", "webhook_url": SLACK_URL, "extra": SIGNING_KEY}),
]


@pytest.mark.parametrize("raw", REJECTED_SECRETS)
def test_validation_errors_do_not_echo_secret_input(raw: dict[str, Any]) -> None:
    """A rejected secret (or a stray key's value) is not quoted back by str(ValidationError)."""
    with pytest.raises(ValidationError) as caught:
        validate_notifier_config(raw)
    message = str(caught.value)
    assert not [secret for secret in (*SECRETS, "sl4ck-t0ken-zz") if secret in message]


def test_email_port_defaults_follow_security() -> None:
    """Without ``port`` the usual port for the security mode is used."""
    ports = {
        security: EmailConfig.model_validate(EMAIL | {"security": security}).smtp_port
        for security in ("starttls", "tls", "none")
    }
    assert ports == {"starttls": 587, "tls": 465, "none": 25}


def test_configs_are_frozen() -> None:
    """A validated config cannot be changed behind the validator's back."""
    config = SlackConfig(webhook_url=SLACK_URL)
    with pytest.raises(ValidationError):
        config.webhook_url = "http://evil.example/"  # type: ignore[assignment,misc]
