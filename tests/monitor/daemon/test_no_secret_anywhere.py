"""No secret anywhere: a config holding a secret of every kind, every feed and every
notifier failing until operator alerts go out, and every text wirewatch writes (daemon logs
at debug, notifier payloads, command output, the listener's pages) searched for each
secret, as configured and URL-encoded.

One table of secrets; the places are every text collected below, the commands and pages
in tables of their own."""

from __future__ import annotations

import gc
import re
import signal
import socket
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import httpx
import pytest

from monitor.alerting.operator_alerts import OPERATOR_RULE
from monitor.cli import main
from tests.support.daemon_process import DaemonProcess
from tests.support.feedserver import FeedServer, Reply
from tests.support.receiver import HttpReceiver, ReceivedRequest, Response
from tests.support.smtp import SmtpServer, TlsMaterial

# Every secret a config can hold, by kind: distinct values, several with characters that
# change when URL-encoded, so either form would be found.
SECRETS: Final = {
    "feed URL password": "feedUrlPass!91",
    "feed URL query token": "feedQueryToken-72",
    "feed basic-auth password (environment)": "feedEnvPass+63/x",
    "feed bearer token (environment)": "feedEnvBearer.54",
    "feed API-key header": "feedHeaderKey-81",
    "webhook URL path token": "hookPathToken-45",
    "webhook URL query token": "hookQueryToken-36",
    "webhook header value": "hookHeaderSecret-27",
    "webhook signing secret": "hookSigningSecret-18",
    "Slack webhook URL token": "slackHookToken09",
    "Slack bot token": "xoxb-slackBotToken-81",
    "SMTP password (environment)": "smtpPassword+72",
    "Apprise URL password": "appriseUrlPass63",
    "listener token (environment)": "listener+Token/45",
    "store URL password": "storePassword36",
}
ENVIRONMENT: Final = {
    "WW_FEED_PASSWORD": SECRETS["feed basic-auth password (environment)"],
    "WW_FEED_TOKEN": SECRETS["feed bearer token (environment)"],
    "WIREWATCH_NOTIFIERS__MAIL__PASSWORD": SECRETS["SMTP password (environment)"],
    "WIREWATCH_LISTENER__TOKEN": SECRETS["listener token (environment)"],
}

NOTIFIERS: Final = ("apprise", "hook", "mail", "out", "slack_bot", "slack_hook")
# Read commands, `notify test` and one more round (plus `replay` of a failing feed, whose
# URL is made by the test); the next table runs against an unreachable PostgreSQL store.
COMMANDS: Final = (
    ("check",),
    ("feeds",),
    ("feeds", "--json"),
    ("alerts",),
    ("alerts", "--json"),
    ("alerts", "--state", "dead"),
    ("silence", "list", "--all"),
    ("db", "stats"),
    ("db", "stats", "--json"),
    ("rules", "backtest", "--since", "1d"),
    *(("notify", "test", name) for name in NOTIFIERS),
    ("run", "--once"),  # its round summary names the feeds that failed
)
UNREACHABLE_STORE_COMMANDS: Final = (("feeds",), ("alerts",), ("db", "stats"), ("run", "--once"))
PAGES: Final = ("/status", "/metrics", "/healthz", "/readyz")

NEWS: Final = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Wire</title>
<item><title>Iranian tanker held at the northern harbour</title><guid>hw-1</guid>
<link>https://hw.example/1</link></item></channel></rss>"""
# Operator alerts: three feeds failing (500, 401, garbage) and one gone (410).
EXPECTED_ALERTS: Final = Counter({OPERATOR_RULE: 4, "iran": 1})
OUTCOMES: Final = frozenset({"delivery_sent", "delivery_retry", "delivery_dead"})


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe="")}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve_feeds(feeds: FeedServer) -> dict[str, str]:
    """The feeds (by path), each answering as its line says; their URLs."""
    feeds.add_feed("/news.xml", NEWS)
    feeds.add_status("/down.xml", 500)
    feeds.add_status(f"/gone.xml?api_key={SECRETS['feed URL query token']}", 410)
    feeds.add_status("/basic.xml", 401)
    feeds.add_route("/bearer.xml", lambda _r: Reply(200, {"Content-Type": "text/xml"}, b"<<>"))
    credentials = f"reader:{SECRETS['feed URL password']}@"
    return {
        "news": feeds.url("/news.xml").replace("://", f"://{credentials}"),
        "down": feeds.url("/down.xml").replace("://", f"://{credentials}"),
        "gone": feeds.url(f"/gone.xml?api_key={SECRETS['feed URL query token']}"),
        "basic": feeds.url("/basic.xml"),
        "bearer": feeds.url("/bearer.xml"),
    }


def _config(
    tmp_path: Path, feeds: dict[str, str], receiver: HttpReceiver, smtp: SmtpServer, ca: Path
) -> str:
    """Feeds with no ``name``, so each is known by its URL; every notifier kind."""
    hook = receiver.url(f"/hook/{SECRETS['webhook URL path token']}")
    slack = receiver.url(f"/services/T0/B0/{SECRETS['Slack webhook URL token']}")
    apprise = f"json://apprise:{SECRETS['Apprise URL password']}@127.0.0.1:{receiver.port}/apprise"
    return f"""
[daemon]
jitter = 0
host_spacing = 0
parse_workers = 0
backoff_base = 1
min_interval = 1
failure_alert_after = 0.5
dispatch_interval = 0.2
max_attempts = 2
[log]
format = "json"
level = "debug"
levels = {{ httpx = "debug", httpcore = "debug", apscheduler = "debug", aiosmtplib = "debug" }}
[listener]
port = 0
[store]
path = "{tmp_path / "ww.db"}"
[notifiers.out]
type = "console"
[notifiers.hook]
type = "webhook"
url = "{hook}?key={SECRETS["webhook URL query token"]}"
secret = "{SECRETS["webhook signing secret"]}"
headers = {{ X-Api-Key = "{SECRETS["webhook header value"]}" }}
[notifiers.slack_hook]
type = "slack"
webhook_url = "{slack}"
[notifiers.slack_bot]
type = "slack"
token = "{SECRETS["Slack bot token"]}"
api_url = "{receiver.url("/api")}"
channel = "#desk"
[notifiers.mail]
type = "email"
host = "127.0.0.1"
port = {smtp.port}
security = "starttls"
ca_file = "{ca}"
username = "desk"
from_addr = "wirewatch@example.org"
to = ["desk@example.org"]
[notifiers.apprise]
type = "apprise"
urls = ["{apprise}"]
[[feeds]]
url = "{feeds["news"]}"
[[feeds]]
url = "{feeds["down"]}"
headers = {{ X-Api-Key = "{SECRETS["feed API-key header"]}" }}
[[feeds]]
url = "{feeds["gone"]}"
[[feeds]]
url = "{feeds["basic"]}"
auth = {{ type = "basic", username = "reader", password_env = "WW_FEED_PASSWORD" }}
[[feeds]]
url = "{feeds["bearer"]}"
auth = {{ type = "bearer", token_env = "WW_FEED_TOKEN" }}
[entities.iran]
entries = [{{ name = "Iran", aliases = ["Iranian"] }}]
[[rules]]
name = "iran"
all_of = ["iran"]
"""


def _echo(request: ReceivedRequest) -> Response:
    """A failing endpoint that echoes every credential it was sent."""
    sent = (request.path, request.headers.get("authorization"), request.headers.get("x-api-key"))
    return Response(500, body=f"rejected {sent}".encode())


def _every_alert_tried_everywhere(events: list[dict[str, Any]]) -> bool:
    """Each notifier has tried (and, but for the console, failed) every expected alert."""
    for notifier in NOTIFIERS:
        tried = {
            (event["rule"], event["alert_id"])
            for event in events
            if event.get("event") in OUTCOMES and event.get("notifier") == notifier
        }
        if not Counter(rule for rule, _ in tried) >= EXPECTED_ALERTS:
            return False
    return True


def _pages(port: int) -> Iterator[tuple[str, str]]:
    token = SECRETS["listener token (environment)"]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        refused = client.get("/status")
        assert refused.status_code == 401
        yield "GET /status without the token", refused.text
        for path in PAGES:
            response = client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code in (200, 503), (path, response.status_code)
            yield f"GET {path}", response.text


def _outputs(
    config: Path, commands: Iterable[tuple[str, ...]], capsys: pytest.CaptureFixture[str]
) -> Iterator[tuple[str, str]]:
    for command in commands:
        capsys.readouterr()
        # aiosmtplib closes a STARTTLS connection without awaiting the TLS shutdown, so
        # `notify test mail` may end its event loop with a socket still closing: collected
        # here, where that warning is known, rather than in whichever test runs next.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "unclosed", ResourceWarning)
            main([*command, "--config", str(config)])
            gc.collect()
        out, err = capsys.readouterr()
        label = " ".join("URL" if part.startswith("http") else part for part in command)
        yield f"wirewatch {label} ({config.name})", out + err


def _payloads(receiver: HttpReceiver, smtp: SmtpServer) -> Iterator[tuple[str, str]]:
    for request in receiver.requests:
        yield f"{request.method} body sent to the receiver", request.body.decode()
    for delivery in smtp.handler.deliveries:
        yield "message sent to the SMTP server", delivery.raw.decode()


def _daemon_places(config: Path) -> Iterator[tuple[str, str]]:
    """Run the daemon until every alert was tried everywhere; its pages, logs and stdout."""
    with DaemonProcess(config) as daemon:
        port = daemon.wait_event("listener_started")["port"]
        daemon.wait_until(_every_alert_tried_everywhere, "every alert tried on every notifier")
        yield from _pages(port)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait() == 0, daemon.stderr()
    yield "daemon log", daemon.stderr()
    yield "daemon stdout", "".join(daemon.output)


def _unreachable_store(config: Path, tmp_path: Path) -> Path:
    """``config`` on a PostgreSQL store nobody listens for, its URL holding a password."""
    password = SECRETS["store URL password"]
    url = f"postgresql://ww:{password}@127.0.0.1:{_closed_port()}/ww"
    text = config.read_text(encoding="utf-8")
    path = tmp_path / "pg.toml"
    path.write_text(text.replace(f'path = "{tmp_path / "ww.db"}"', f'url = "{url}"'), "utf-8")
    return path


def test_no_secret_in_any_log_payload_output_or_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    tls = TlsMaterial.create(tmp_path)
    config = tmp_path / "ww.toml"
    with (
        FeedServer() as feeds,
        HttpReceiver(default=_echo) as receiver,
        SmtpServer(mode="starttls", tls=tls, users={"desk": "another-password"}) as smtp,
    ):
        urls = _serve_feeds(feeds)
        config.write_text(_config(tmp_path, urls, receiver, smtp, tls.ca_file), "utf-8")
        places = list(_daemon_places(config))
        places += _outputs(config, [*COMMANDS, ("replay", urls["down"])], capsys)
        places += _outputs(_unreachable_store(config, tmp_path), UNREACHABLE_STORE_COMMANDS, capsys)
        places += _payloads(receiver, smtp)
    leaks = sorted(
        {(place, kind) for place, text in places for kind, secret in SECRETS.items()
         if any(form in text for form in _forms(secret))}
    )  # fmt: skip
    assert leaks == [], "\n".join(f"{kind} in {place}" for place, kind in leaks)
    # A pass means something: operator alerts went out, naming the feeds without credentials.
    everything = "\n".join(text for _, text in places)
    assert re.search(rf"Feed failing since \S+: {re.escape(feeds.url('/down.xml'))}\b", everything)
    assert f"no longer polled: {feeds.url('/gone.xml')}?api_key=[redacted]" in everything
