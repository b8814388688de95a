"""Console notifier: readable blocks, right stream, no terminal injection."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from notifiers import Alert, ConsoleConfig, ConsoleNotifier

AlertFactory = Callable[..., Alert]


def _console(http: httpx.AsyncClient, stream: str = "stdout") -> ConsoleNotifier:
    return ConsoleNotifier("terminal", ConsoleConfig.model_validate({"stream": stream}), http=http)


async def test_prints_one_readable_block_per_alert(
    http_client: httpx.AsyncClient, make_alert: AlertFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """The block names severity, rule, title, link, feed, outlets, terms and first sighting."""
    await _console(http_client).send(make_alert())
    assert capsys.readouterr().out == (
        "[HIGH] harbour-closures: Port authority shuts northern harbour after crane collapse\n"
        "    link:       https://news.example.org/harbour/crane-collapse\n"
        "    feed:       Example Coastal Wire\n"
        "    outlets:    3\n"
        "    terms:      harbour, crane\n"
        "    first seen: 2024-05-01T06:32:10+00:00\n"
        "\n"
    )


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
async def test_writes_only_to_the_configured_stream(
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    capsys: pytest.CaptureFixture[str],
    stream: str,
) -> None:
    """``stream`` picks stdout or stderr, and the other one stays empty."""
    await _console(http_client, stream).send(make_alert())
    captured = capsys.readouterr()
    written = {"stdout": captured.out, "stderr": captured.err}
    assert written.pop(stream).startswith("[HIGH] harbour-closures:")
    assert written == {"stdout" if stream == "stderr" else "stderr": ""}


async def test_updates_are_marked(
    http_client: httpx.AsyncClient, make_alert: AlertFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """A follow-up event is named after the headline."""
    await _console(http_client).send(make_alert(event="update"))
    assert capsys.readouterr().out.splitlines()[0].endswith("(update)")


TERMINAL_ATTACKS = [
    pytest.param("\x1b[2J\x1b[HClear", "Clear", id="clear-screen"),
    pytest.param("\x1b]0;owned\x07Retitle", "Retitle", id="osc-window-title"),
    pytest.param("\x1b]8;;https://evil.example\x1b\\Link\x1b]8;;\x1b\\", "Link", id="osc8-link"),
    pytest.param("\x1bP+q544e\x1b\\Query", "Query", id="dcs-query"),
    pytest.param("Red\x1b[31m!", "Red!", id="colour"),
    pytest.param("\x9b2JEight-bit", "2JEight-bit", id="c1-csi-inert"),
    pytest.param("it\u00e2\x80\x99s fine", "it\u00e2 s fine", id="mojibake-c1-kept-short"),
    pytest.param("Fake\r[LOW] nothing", "Fake [LOW] nothing", id="carriage-return"),
    pytest.param("Two\nlines\u2028here", "Two lines here", id="line-breaks"),
    pytest.param("Bell\x07\x08\x7f", "Bell", id="bell-backspace-del"),
    pytest.param("abc\u202edcba", "abcdcba", id="bidi-override"),
]


@pytest.mark.parametrize(("hostile", "shown"), TERMINAL_ATTACKS)
async def test_escape_sequences_and_controls_never_reach_the_terminal(
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    capsys: pytest.CaptureFixture[str],
    hostile: str,
    shown: str,
) -> None:
    """Escape sequences are removed whole, other controls flattened, in every feed field."""
    alert = make_alert(title=hostile, feed=hostile, matched_terms=(hostile,), rule="r")
    await _console(http_client).send(alert)
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"[HIGH] r: {shown}"
    assert f"feed:       {shown}\n" in out
    assert f"terms:      {shown}\n" in out
    assert not any(ord(ch) < 0x20 and ch != "\n" for ch in out)
    assert not any(0x7F <= ord(ch) <= 0x9F or ch == "\u202e" for ch in out)


@pytest.mark.parametrize("link", ["javascript:alert(1)", "https://x.example/\x1b[2J"])
async def test_unsafe_links_are_not_printed(
    http_client: httpx.AsyncClient,
    make_alert: AlertFactory,
    capsys: pytest.CaptureFixture[str],
    link: str,
) -> None:
    """A non-http(s) or control-laden link is shown as "(none)"."""
    await _console(http_client).send(make_alert(link=link))
    assert "    link:       (none)\n" in capsys.readouterr().out
