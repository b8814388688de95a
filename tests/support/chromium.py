"""Debian's Chromium for the browser tests, driven by Playwright (never its downloaded
browsers): one path, one set of flags, one skip, one launch."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Dialog, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def require_chromium() -> None:
    """Skips the calling test module, saying why, where no Chromium is installed
    (``.ci/run`` installs it)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(
            f"no chromium at {CHROMIUM} — install Debian's chromium to run browser tests",
            allow_module_level=True,
        )


@contextlib.contextmanager
def launched_chromium() -> Iterator[Browser]:
    """A headless Chromium for the block, closed after it."""
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def dismiss_dialogs(page: Page, into: list[str], prefix: str = "") -> None:
    """Every dialog ``page`` opens (a script's ``alert``: an injection ran) is dismissed
    and its message appended to ``into``, after ``prefix``."""

    def dismissed(dialog: Dialog) -> None:
        into.append(prefix + dialog.message)
        dialog.dismiss()

    page.on("dialog", dismissed)
