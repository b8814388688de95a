"""``wirewatch extract [--json] [--selector CSS] SOURCE...``: the article of HTML files or
pages, as the daemon's extraction reads it.

A URL is fetched as the daemon fetches article pages (monitor.pages.PageFetcher: its
User-Agent, timeouts, redirect checks, robots.txt, the 5 MiB page cap), with the
``[daemon]`` settings of ``--config``, or the defaults when no config file is there.
Without ``--json``: the title, a few metadata lines, a blank line and the body; with it,
one JSON object per source.
Exit 1 when a source could not be read (missing file, HTTP error, not HTML, disallowed by
robots.txt …), after the others were printed; the errors go to stderr, each naming its
source and the fetch outcome (docs/pages.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from monitor.cli.commands import CommandFactory, Loader
from monitor.config import DaemonSettings, FeedSettings, default_config_path
from monitor.daemon import build_fetcher
from monitor.observability import configure_logging, redact_url
from monitor.pages import (
    PAGE_MAX_BYTES,
    ExtractedPage,
    ExtractionIssue,
    FetchedPage,
    InvalidSelectorError,
    PageFetcher,
    PageOutcome,
    compile_selector,
    extract_article,
)


class SourceError(Exception):
    """A source could not be read as a page."""


@dataclass(frozen=True, slots=True)
class Page:
    """A source's bytes, the address they came from and the charset the server declared."""

    body: bytes
    url: str
    charset: str | None = None


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    command: CommandFactory,
    load: Loader,
) -> None:
    """Register ``extract`` on the top-level parser."""
    extract = command(commands, "extract", "print the article of HTML files or page URLs", _extract)
    extract.add_argument("sources", nargs="+", metavar="SOURCE", help="HTML file path or URL")
    extract.add_argument("--json", action="store_true", help="one JSON object per source")
    extract.add_argument("--selector", metavar="CSS", help="the site's content selector")
    extract.set_defaults(load=load)


def _extract(args: argparse.Namespace) -> int:
    daemon = _daemon_settings(args)
    if daemon is None:
        return 1
    try:
        if args.selector:
            compile_selector(args.selector)
    except InvalidSelectorError as err:
        print(f"wirewatch extract: {err}", file=sys.stderr)
        return 2
    configure_logging("error", "auto")  # failures are reported below, once, by source
    errors = extract_sources(args.sources, daemon, sys.stdout, args.selector, as_json=args.json)
    for line in errors:
        print(f"error: {line}", file=sys.stderr)
    return 1 if errors else 0


def _daemon_settings(args: argparse.Namespace) -> DaemonSettings | None:
    """The config's ``[daemon]`` settings; the defaults when no config was named and the
    default file is not there (a file needs no config to be read)."""
    if args.config is None and not os.path.exists(default_config_path()):
        return DaemonSettings()
    config = args.load(args)
    return None if config is None else config.settings.daemon


def extract_sources(
    sources: list[str],
    daemon: DaemonSettings,
    out: TextIO,
    selector: str | None = None,
    *,
    as_json: bool = False,
) -> list[str]:
    """Print each source's article; return the errors of those that could not be read."""
    errors: list[str] = []
    for source, page in zip(sources, asyncio.run(_read_all(sources, daemon)), strict=True):
        try:
            if isinstance(page, SourceError):
                raise page
            out.write(_render(source, page.url, _article(page, selector), as_json=as_json))
        except SourceError as err:
            errors.append(f"{redact_url(source)}: {err}")
        out.flush()
    return errors


async def _read_all(sources: list[str], daemon: DaemonSettings) -> list[Page | SourceError]:
    """Each source's bytes, or why not. URLs through the daemon's page fetching (its
    User-Agent, timeouts, redirect checks, robots.txt and the page cap)."""
    async with build_fetcher(daemon) as fetcher:
        pages = PageFetcher(fetcher)
        try:
            return [await _read(source, pages) for source in sources]
        finally:
            await pages.aclose()


async def _read(source: str, pages: PageFetcher) -> Page | SourceError:
    if source.startswith(("http://", "https://")):
        return _fetched(await pages.fetch(source, FeedSettings(url=source)))
    return await asyncio.to_thread(_read_file, source)


def _read_file(source: str) -> Page | SourceError:
    try:
        with Path(source).open("rb") as file:
            body = file.read(PAGE_MAX_BYTES + 1)
    except OSError as err:
        return SourceError(f"cannot read: {err.strerror}")
    if len(body) > PAGE_MAX_BYTES:
        return SourceError(f"too_large: over {PAGE_MAX_BYTES} bytes")
    return Page(body, Path(source).resolve().as_uri())


def _fetched(page: FetchedPage) -> Page | SourceError:
    if page.ok:
        return Page(page.body, page.final_url or page.link, page.charset)
    detail = f" {page.status}" if page.status else ""
    if page.outcome is PageOutcome.NOT_HTML and page.content_type:
        detail = f" ({page.content_type})"
    return SourceError(f"{page.outcome.value}{detail}")


def _article(page: Page, selector: str | None) -> ExtractedPage:
    article = extract_article(page.body, page.url, selector=selector, declared_charset=page.charset)
    if article.issue is ExtractionIssue.NOT_HTML:
        raise SourceError("not_html")
    return article


def article_record(source: str, url: str, page: ExtractedPage) -> dict[str, Any]:
    """The JSON contract of ``wirewatch extract --json`` (times in ISO 8601, UTC)."""
    return {
        "source": source,
        "url": url,
        "title": page.title,
        "text": page.text,
        "language": page.language,
        "published": page.published.isoformat() if page.published else None,
        "author": page.author,
        "canonical_url": page.canonical_url,
        "lead": page.lead,
        "reason": page.issue.value if page.issue else None,
        "method": page.method.value,
        "selector_missed": page.selector_missed,
    }


def _render(source: str, url: str, page: ExtractedPage, *, as_json: bool) -> str:
    record = article_record(redact_url(source), redact_url(url), page)
    if as_json:
        return json.dumps(record, ensure_ascii=False) + "\n"
    labels = ("url", "canonical_url", "language", "author", "published", "reason", "method")
    lines = [f"== {record['source']}", f"title: {page.title or '(none)'}"]
    lines += [f"{label}: {record[label]}" for label in labels if record[label]]
    if page.selector_missed:
        lines.append("selector: matched nothing; trafilatura used")
    return "\n".join([*lines, "", page.text, "", ""])
