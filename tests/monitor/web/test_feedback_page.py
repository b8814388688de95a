"""The link in each alert message, end to end: a real poll raises an alert, its messages
reach a real webhook receiver, a Slack-compatible receiver, a real SMTP server and the
console with the same signed link; following it on the daemon's real listener shows a
form and records nothing, and only the form's POST records the verdict."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import jsonschema
import pytest
from structlog.testing import capture_logs

from monitor.alerting import FeedbackLinks
from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from notifiers import PAYLOAD_SCHEMA
from tests.support.configs import one_feed_config
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver
from tests.support.smtp import SmtpServer, body_text

SECRET = "s3cr3t-" + "q" * 30
TOKEN = "listener-token-1"
HEADLINE = 'Iranian troops "land" in Latakia & Homs'
RSS = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<link>https://wire.example/</link><description>d</description>
<item><title>{HEADLINE.replace("&", "&amp;")}</title><guid>g1</guid>
<link>https://wire.example/1</link></item></channel></rss>""".encode()
NOTIFIERS = """
[notifiers.hook]
type = "webhook"
url = "{hook}"
[notifiers.slack]
type = "slack"
webhook_url = "{slack}"
[notifiers.mail]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from_addr = "wirewatch@alerts.example.org"
to = ["desk@example.com"]
[notifiers.out]
type = "console"
"""
LISTENER = f"""
[listener]
port = 0
public_url = "https://wirewatch.example.org"
token = "{TOKEN}"
"""


@dataclass
class World:
    daemon: Daemon
    hook: HttpReceiver
    slack: HttpReceiver
    smtp: SmtpServer
    http: httpx.AsyncClient


@pytest.fixture(name="world")
async def _world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    monkeypatch.setenv("WIREWATCH_LISTENER__FEEDBACK_SECRET", SECRET)
    with (
        FeedServer() as feeds,
        HttpReceiver() as hook,
        HttpReceiver() as slack,
        SmtpServer() as smtp,
    ):
        feeds.add_feed("/wire.xml", RSS, content_type="application/rss+xml")
        tables = NOTIFIERS.format(
            hook=hook.url("/hook"), slack=slack.url("/slack"), smtp_port=smtp.port
        )
        config = one_feed_config(tmp_path, feeds.url("/wire.xml"), tables + LISTENER)
        daemon = await Daemon.build(load_config(config))
        try:
            await daemon.listener.start()
            async with httpx.AsyncClient(base_url=daemon.listener.url, trust_env=False) as http:
                yield World(daemon, hook, slack, smtp, http)
        finally:
            await daemon.close()


def _local(url: str) -> str:
    """The link's path and query, to follow on the test's listener."""
    split = urlsplit(url)
    assert (split.scheme, split.netloc) == ("https", "wirewatch.example.org")
    return f"{split.path}?{split.query}"


async def _sent_link(world: World, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    await world.daemon.run_once()
    (request,) = world.hook.wait_for(1)
    document = request.json()
    jsonschema.validate(document, PAYLOAD_SCHEMA)
    link = document["feedback_url"]
    (slack,) = world.slack.wait_for(1)
    slack_text = str(slack.json()["blocks"])
    (mail,) = world.smtp.handler.wait_for(1)
    plain = body_text(mail.message, "plain")
    html = body_text(mail.message, "html")
    console = capsys.readouterr().out
    escaped = link.replace("&", "&amp;")
    assert f"<{escaped}|judge this alert>" in slack_text
    assert f"Was this alert useful? {link}" in plain
    assert f'<a href="{escaped}">' in html
    assert f"judge:      {link}" in console
    return document["alert_id"], link


async def test_each_message_carries_one_link_that_opens_a_form_and_records_on_post(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    alert_id, link = await _sent_link(world, capsys)
    page = await world.http.get(_local(link))  # no bearer token: the signature is enough
    assert page.status_code == 200
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Iranian troops &#34;land&#34; in Latakia &amp; Homs" in page.text  # escaped
    assert "<script" not in page.text
    assert '<form method="post">' in page.text
    assert await world.daemon.store.feedback_history([alert_id]) == {}  # a GET records nothing
    with capture_logs() as logs:
        posted = await world.http.post(
            _local(link), data={"verdict": "false_positive", "note": "مباراة كرة قدم"}
        )
    assert posted.status_code == 200 and "Recorded: false_positive" in posted.text
    (kept,) = (await world.daemon.store.feedback_history([alert_id]))[alert_id]
    assert (kept.verdict, kept.judged_by, kept.note) == ("false_positive", "link", "مباراة كرة قدم")
    (logged,) = [line for line in logs if line["event"] == "feedback_recorded"]
    assert logged["alert_id"] == alert_id and SECRET not in str(logs)
    assert urlsplit(link).query.split("sig=")[1] not in str(logs)


async def test_a_bad_link_or_form_gets_a_page_never_a_500(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    alert_id, link = await _sent_link(world, capsys)
    links = world.daemon.dispatcher.feedback_links
    assert links is not None
    old = links.url(alert_id, world.daemon.clock() - timedelta(days=15))
    forged = FeedbackLinks(links.base_url, b"z" * 32, links.valid_for).url(
        alert_id, world.daemon.clock()
    )
    gone = links.url("al_000000000000000000000000", world.daemon.clock())
    # The path reaches the page decoded once (by the server); a second decoding would
    # check the signature against "al_A" and call this well-signed link forged.
    percent = links.url("al_%41", world.daemon.clock())
    cases = [
        ("GET", _local(old), {}, 410, "This link has expired"),
        ("POST", _local(old), {"verdict": "useful"}, 410, "This link has expired"),
        ("GET", _local(forged), {}, 403, "This link is not valid"),
        ("POST", _local(forged), {"verdict": "useful"}, 403, "This link is not valid"),
        ("GET", re.sub(r"sig=[^&]+", "sig=%FF%FE", _local(link)), {}, 403, "not valid"),
        ("GET", "/feedback/", {}, 403, "not valid"),
        ("GET", _local(gone), {}, 404, "No such alert"),
        ("GET", _local(percent), {}, 404, "No such alert"),
        ("POST", _local(link), {"verdict": "great"}, 400, "Choose one of the buttons"),
        ("POST", _local(link), {"verdict": "useful", "note": "x" * 2001}, 400, "at most 2000"),
    ]
    for method, target, form, status, text in cases:
        answer = await world.http.request(method, target, data=form or None)
        assert (answer.status_code, text in answer.text) == (status, True), (method, target)
    assert await world.daemon.store.feedback_history([alert_id]) == {}
    page = await world.http.get("/status")  # the rest of the listener still wants its token
    assert page.status_code == 401


async def test_without_a_key_messages_carry_no_link_and_there_is_no_route(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WIREWATCH_LISTENER__FEEDBACK_SECRET", raising=False)
    with FeedServer() as feeds, HttpReceiver() as hook:
        feeds.add_feed("/wire.xml", RSS, content_type="application/rss+xml")
        tables = f'[notifiers.hook]\ntype = "webhook"\nurl = "{hook.url("/hook")}"\n'
        config = one_feed_config(tmp_path, feeds.url("/wire.xml"), tables + LISTENER)
        daemon = await Daemon.build(load_config(config))
        try:
            await daemon.run_once()
            (request,) = hook.wait_for(1)
            assert request.json()["feedback_url"] == ""
            await daemon.listener.start()
            async with httpx.AsyncClient(base_url=daemon.listener.url, trust_env=False) as http:
                answer = await http.get("/feedback/al_1?expires=1&sig=x")
            assert answer.status_code == 401  # no public route: the token guards it like any path
        finally:
            await daemon.close()
