"""A poll's parse-worker job: parse the document, normalise only the entries that are new.

A changed feed repeats most of its entries (18 of 20 in issue 20's profile). The daemon
hands the worker a *hint*: compact digests of the GUIDs this feed had stored at its last
poll (:func:`guid_digests`). Entries whose declared GUID is in it are returned as a bare
GUID and date (for the publishing rate) without being normalised or sent whole back to
the daemon; the others come back as :class:`Article` values, normalised in the worker
rather than on the daemon's event loop. The hint only saves work: the daemon still asks
the store about every GUID, and parses again without the hint if it named an entry the
store does not have (a digest collision, a crash between poll and store).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from monitor.feeds.normalise import declared_guid, normalise_entry
from monitor.feeds.parser import parse_feed
from monitor.records import Article, ParsedFeed, RawEntry

__all__ = ["ParsedNew", "guid_digests", "parse_new"]

_DIGEST_BYTES = 8


@dataclass(frozen=True, slots=True)
class ParsedNew:
    """The document, its entries reduced to GUID and date (all the daemon reads of them),
    and the entries the hint did not name, normalised, in feed order."""

    feed: ParsedFeed
    articles: tuple[Article, ...]
    declared: tuple[str | None, ...]  # each article's declared GUID (None: it had none)
    hinted: frozenset[str] = frozenset()  # declared GUIDs the hint named (not normalised)


def guid_digests(guids: Iterable[str]) -> bytes:
    """A compact, picklable set of declared GUIDs: 8 bytes of BLAKE2b each, sorted."""
    digests = {_digest(guid) for guid in guids}
    return b"".join(sorted(digests))


def _digest(guid: str) -> bytes:
    return hashlib.blake2b(
        guid.encode("utf-8", "surrogatepass"), digest_size=_DIGEST_BYTES
    ).digest()


def parse_new(
    body: bytes,
    *,
    content_type: str | None,
    url: str,
    max_entries: int,
    feed_url: str,
    feed_name: str,
    fetched_at: datetime,
    seen: bytes = b"",
) -> ParsedNew:
    """:func:`parse_feed`, then :func:`normalise_entry` for each entry the hint ``seen``
    does not name. Raises :class:`~monitor.feeds.parser.ParseError` as ``parse_feed`` does."""
    parsed = parse_feed(body, content_type=content_type, url=url, max_entries=max_entries)
    hint = {seen[i : i + _DIGEST_BYTES] for i in range(0, len(seen), _DIGEST_BYTES)}
    articles: list[Article] = []
    declared: list[str | None] = []
    hinted: set[str] = set()
    for entry in parsed.entries:
        guid = declared_guid(entry)
        if guid is not None and _digest(guid) in hint:
            hinted.add(guid)
            continue
        articles.append(
            normalise_entry(entry, feed_url=feed_url, feed_name=feed_name, fetched_at=fetched_at)
        )
        declared.append(guid)
    slim = tuple(_slim(entry) for entry in parsed.entries)
    return ParsedNew(
        replace(parsed, entries=slim), tuple(articles), tuple(declared), frozenset(hinted)
    )


def _slim(entry: RawEntry) -> RawEntry:
    return RawEntry(guid=entry.guid, title="", link=None, published=entry.published)
