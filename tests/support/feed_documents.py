"""Feed documents for the parser's tests: the invented fixtures under tests/data/feeds and small
RSS and JSON Feed bodies built in place."""

from __future__ import annotations

import json
from pathlib import Path

FEEDS = Path(__file__).resolve().parents[1] / "data" / "feeds"


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def rss(items: str, *, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}<rss version="2.0"><channel>'
        f"<title>Test channel</title>{items}</channel></rss>"
    ).encode()


def rss_item(n: int, extra: str = "") -> str:
    return (
        f"<item><title>Item {n}</title><link>https://news.example/{n}</link>"
        f"<guid>item-{n}</guid>{extra}</item>"
    )


def json_feed(items: list[object], version: str = "https://jsonfeed.org/version/1.1") -> bytes:
    return json.dumps({"version": version, "title": "J", "items": items}).encode()
