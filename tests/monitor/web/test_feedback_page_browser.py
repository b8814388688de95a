"""The page a message's feedback link opens, in a real headless Chromium (Debian's
/usr/bin/chromium, driven by Playwright): hostile alert text stays inert, and pressing
a verdict's button records it under the page's own Content-Security-Policy (which must
let the form post back to the page, and nothing else). Screenshots go to
``$WIREWATCH_SCREENSHOTS`` when set, for a person to look at."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.alerting import FeedbackLinks, Routes
from monitor.ingest.story_alerts import AlertPolicy
from monitor.listener import HttpListener
from monitor.store.sqlite.store import SqliteStore
from monitor.web import install_feedback_page
from tests.support.chromium import dismiss_dialogs, launched_chromium, require_chromium
from tests.support.stories import StoryDesk, match

HOSTILE = 'قصف الميناء <img src=x onerror="window.pwned=1;document.title=\'pwned\'"> & "more"'
GUARD = 60  # seconds: a guard against a hung start, not a timing assertion

pytestmark = pytest.mark.browser

require_chromium()

from playwright.sync_api import Page  # noqa: E402


@dataclass
class Served:
    link: str
    store_path: Path
    alert_id: str


@pytest.fixture(name="served")
def _served(tmp_path: Path) -> Iterator[Served]:
    ready: list[Served] = []
    started, stop = threading.Event(), threading.Event()

    async def serve() -> None:
        store = SqliteStore(str(tmp_path / "ww.db"))
        await store.open()
        desk = StoryDesk(store, AlertPolicy(Routes(())), story_id="s1")
        (alert,) = await desk.report(HOSTILE, outlet=1, matches=[match()])
        listener = HttpListener(token="listener-token")
        await listener.start()
        links = FeedbackLinks(listener.url, b"k" * 32, timedelta(days=14))
        install_feedback_page(listener, store, links, lambda: datetime.now(UTC))
        ready.append(Served(links.url(alert.alert_id, datetime.now(UTC)), tmp_path / "ww.db",
                            alert.alert_id))  # fmt: skip
        started.set()
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        await listener.stop()
        await store.close()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    started.wait(GUARD)
    try:
        yield ready[0]
    finally:
        stop.set()
        thread.join()


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("WIREWATCH_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_a_reader_judges_an_alert_in_chromium(served: Served) -> None:
    with launched_chromium() as browser:
        page = browser.new_context(java_script_enabled=True).new_page()
        dialogs: list[str] = []
        dismiss_dialogs(page, dialogs)
        page.goto(served.link, wait_until="load")
        assert page.title() == "wirewatch: judge an alert"
        assert page.locator("strong[dir=auto]").inner_text() == HOSTILE
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.locator("img, script").count() == 0
        _shot(page, "feedback-form.png")
        page.fill("#note", "مباراة كرة قدم، ليست معركة")
        page.get_by_role("button", name="false positive").click()
        page.wait_for_load_state("load")
        assert "Recorded: false_positive." in page.inner_text("body")
        _shot(page, "feedback-recorded.png")
        assert dialogs == []
    verdicts = asyncio.run(_history(served))
    assert [(item.verdict, item.judged_by, item.note) for item in verdicts] == [
        ("false_positive", "link", "مباراة كرة قدم، ليست معركة")
    ]


async def _history(served: Served) -> list:  # type: ignore[type-arg]
    store = SqliteStore(str(served.store_path), read_only=True)
    await store.open()
    try:
        return (await store.feedback_history([served.alert_id])).get(served.alert_id, [])
    finally:
        await store.close()
