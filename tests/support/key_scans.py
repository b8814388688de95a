"""Counting the passes the rules package makes over a config text to find its lines."""

from __future__ import annotations

import pytest

import rules


def counted_key_scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts ``rules.KeyLocator`` scans from now on, in order (the real scan runs)."""
    scanned: list[str] = []
    scan = rules.KeyLocator.__init__

    def counted_scan(locator: rules.KeyLocator, text: str) -> None:
        scanned.append(text)
        scan(locator, text)

    monkeypatch.setattr(rules.KeyLocator, "__init__", counted_scan)
    return scanned
