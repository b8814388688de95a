"""``wirewatch extract [--json] [--selector CSS] SOURCE...``: the article of HTML files or
pages, as the daemon's extraction reads it.

A URL is fetched with the daemon's User-Agent, timeouts, redirect limit and body cap (from
``--config``, or the defaults when no config file is there). Without ``--json``: the title,
a few metadata lines, a blank line and the body; with it, one JSON object per source.
Exit 1 when a source could not be read (missing file, HTTP error, not HTML), after the
others were printed; the errors go to stderr, each naming its source.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx

from monitor.cli.commands import CommandFactory, Loader
from monitor.config import DaemonSettings, default_config_path
from monitor.feeds import daemon_user_agent
from monitor.observability import redact_url
from monitor.pages import (
    ExtractedPage,
    ExtractionIssue,
    InvalidSelectorError,
    compile_selector,
    extract_article,
)

_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/octet-stream")


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
    with _client(daemon) as client:
        for source in sources:
            try:
                page = _read(source, client, daemon.max_body_bytes)
                article = _article(page, selector)
            except SourceError as err:
                errors.append(f"{redact_url(source)}: {err}")
                continue
            out.write(_render(source, page.url, article, as_json=as_json))
            out.flush()
    return errors


def _article(page: Page, selector: str | None) -> ExtractedPage:
    article = extract_article(page.body, page.url, selector=selector, declared_charset=page.charset)
    if article.issue is ExtractionIssue.NOT_HTML:
        raise SourceError("not HTML")
    return article


def _client(daemon: DaemonSettings) -> httpx.Client:
    timeout = httpx.Timeout(daemon.total_timeout, connect=daemon.connect_timeout,
                            read=daemon.read_timeout)  # fmt: skip
    return httpx.Client(
        headers={"User-Agent": daemon_user_agent(daemon)},
        timeout=timeout,
        follow_redirects=True,  # an article link through a redirector is ordinary
        max_redirects=daemon.max_redirects,
        trust_env=False,
    )


def _read(source: str, client: httpx.Client, cap: int) -> Page:
    if source.startswith(("http://", "https://")):
        return _fetch(source, client, cap)
    try:
        with Path(source).open("rb") as file:
            body = file.read(cap + 1)
    except OSError as err:
        raise SourceError(f"cannot read: {err.strerror}") from None
    if len(body) > cap:
        raise SourceError(f"larger than {cap} bytes")
    return Page(body, Path(source).resolve().as_uri())


def _fetch(url: str, client: httpx.Client, cap: int) -> Page:
    try:
        with client.stream("GET", url) as response:
            _check(response)
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > cap:
                    raise SourceError(f"larger than {cap} bytes")
            return Page(bytes(body), str(response.url), response.charset_encoding)
    except httpx.HTTPError as err:
        raise SourceError(f"fetch failed: {type(err).__name__}: {err}") from None


def _check(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise SourceError(f"HTTP {response.status_code}")
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in _HTML_TYPES:
        raise SourceError(f"not HTML ({content_type})")


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
