"""The fetcher tests' feed body and User-Agent."""

from __future__ import annotations

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'

USER_AGENT = "wirewatch-test/1.0 (+https://example.invalid/contact)"
