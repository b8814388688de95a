"""Advice on a valid config (monitor.config.advice): a listener token shorter than API
tokens may be, and a feed secret written in the file, are warned about (never refused,
never with their value) by ``check`` and at ``run``'s start."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cli.main import main
from monitor.config import config_warnings, load_config
from tests.support.feedserver import FeedServer

SECRET = "pa55-inline-s3cret"
SHORT = "short-listener-t0ken"
FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Harbour reopens</title><guid>w-1</guid></item></channel></rss>"""


@pytest.fixture(name="clean_env")
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in [name for name in os.environ if name.startswith("WIREWATCH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WW_FEED_TOKEN", SECRET)
    return monkeypatch


@pytest.fixture(name="server")
def _server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.add_feed("/wire.xml", FEED)
        yield server


def _config(folder: Path, url: str, *, listener: str = "", auth: str = "") -> Path:
    path = folder / "wirewatch.toml"
    feed = f'[[feeds]]\nname = "Wire"\nurl = "{url}"\n' + (f"auth = {auth}\n" if auth else "")
    path.write_text(
        f'[store]\npath = "{folder / "ww.db"}"\n\n[listener]\nenabled = false\n{listener}\n\n'
        f'{feed}\n[notifiers.out]\ntype = "console"\n\n'
        '[[rules]]\nname = "harbour"\nany_of = [{ terms = ["harbour"] }]\n',
        encoding="utf-8",
    )
    return path


INLINE_BASIC = f'{{ type = "basic", username = "reader", secret = "{SECRET}" }}'
INLINE_BEARER = f'{{ type = "bearer", secret = "{SECRET}" }}'
FROM_ENV = '{ type = "bearer", token_env = "WW_FEED_TOKEN" }'


@pytest.mark.parametrize(
    ("listener", "auth", "expected"),
    [
        ("", "", []),
        (f'token = "{SHORT}"', "", [("config_listener_token_short", "listener.token", "")]),
        (f'token = "{"x" * 32}"', "", []),
        ("", INLINE_BASIC, [("config_feed_secret_inline", "feeds.0.auth.secret", "password_env")]),
        ("", INLINE_BEARER, [("config_feed_secret_inline", "feeds.0.auth.secret", "token_env")]),
        ("", FROM_ENV, []),
    ],
    ids=["none", "short-token", "long-token", "inline-basic", "inline-bearer", "env-form"],
)
def test_advice_names_the_key_and_what_to_use(
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
    listener: str,
    auth: str,
    expected: list[tuple[str, str, str]],
) -> None:
    config = load_config(_config(tmp_path, "http://127.0.0.1:9/feed.xml", listener=listener,
                                 auth=auth))  # fmt: skip
    found = config_warnings(config)
    assert [(w.event, w.fields["key"], w.fields.get("use", "")) for w in found] == expected
    for advice in found:
        assert SECRET not in repr(advice) and SHORT not in repr(advice)


def test_a_feed_of_an_included_file_is_named_by_that_file_and_its_index_there(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    included = tmp_path / "feeds.toml"
    included.write_text(
        '[[feeds]]\nurl = "http://127.0.0.1:9/a"\n\n'
        f'[[feeds]]\nurl = "http://127.0.0.1:9/b"\nauth = {INLINE_BEARER}\n',
        encoding="utf-8",
    )
    main_file = _config(tmp_path, "http://127.0.0.1:9/main", auth=INLINE_BASIC)
    main_file.write_text('include = ["feeds.toml"]\n' + main_file.read_text("utf-8"), "utf-8")
    found = config_warnings(load_config(main_file))
    assert [(w.fields["key"], w.fields.get("file"), w.fields["feed_url"]) for w in found] == [
        ("feeds.0.auth.secret", None, "http://127.0.0.1:9/main"),  # the main file's
        ("feeds.1.auth.secret", str(included), "http://127.0.0.1:9/b"),  # not feeds.2
    ]
    assert found[1].text.startswith(f"{included}: feeds.1.auth.secret (http://127.0.0.1:9/b)")


def test_advice_is_read_only(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    path = _config(tmp_path, "http://127.0.0.1:9/f", auth=INLINE_BEARER)
    [advice] = config_warnings(load_config(path))
    with pytest.raises(TypeError):
        advice.fields["key"] = "changed"  # type: ignore[index]
    assert advice.fields["key"] == "feeds.0.auth.secret"


def test_an_inline_secret_still_authenticates_the_feed(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    config = load_config(_config(tmp_path, "http://127.0.0.1:9/f", auth=INLINE_BEARER))
    auth = config.feeds[0].auth
    assert auth is not None and auth.secret.get_secret_value() == SECRET
    assert auth.inline


def test_check_prints_the_advice_and_still_passes(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, "http://127.0.0.1:9/f", listener=f'token = "{SHORT}"',
                   auth=INLINE_BEARER)  # fmt: skip
    assert main(["check", "--config", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "OK" in out and "warning" not in out
    assert "warning: listener.token is shorter than 32 characters" in err
    assert "warning: feeds.0.auth.secret (http://127.0.0.1:9/f)" in err
    assert SECRET not in out + err and SHORT not in out + err


def test_run_logs_the_advice_at_start_and_keeps_starting(
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
    server: FeedServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _config(tmp_path, server.url("/wire.xml"), listener=f'token = "{SHORT}"',
                   auth=INLINE_BEARER)  # fmt: skip
    assert main(["run", "--once", "--config", str(path)]) == 0
    out, err = capsys.readouterr()
    logged = out + err
    assert "config_listener_token_short" in logged and "listener.token" in logged
    assert "config_feed_secret_inline" in logged and "feeds.0.auth.secret" in logged
    assert SECRET not in logged and SHORT not in logged
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"
