"""Which canonical address a page may give its article for exact dedup.

A page names its canonical address itself, and a page can name anything: a hostile or
broken site could claim another site's article (folding a report into a story it is not
part of, or making it look seen) or its own home page on every article (merging them
all). A wrong merge hides an event while a missed one costs a second alert, so the
address is trusted only where it cannot reach beyond the site that served the page
(docs/decisions/0031-trusting-page-canonical-addresses.md).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from monitor.feeds import canonical_url
from monitor.pages.fetch import front_page


def trusted_canonical(declared: str | None, served_from: str, link: str) -> str:
    """The page's ``declared`` canonical address, normalised (:func:`canonical_url`), when
    exact dedup may know the article by it; else "". Not trusted: an address that is not
    a usable http(s) link; a site's root (a home page; ``/?p=1`` is not one); one on
    another site (host and port, after normalisation) than both the page's address
    ``served_from`` (where redirects ended) and the entry's ``link``. The entry's own
    link is nothing new: "" too."""
    found = canonical_url(declared or "")
    if not found or found == canonical_url(link) or front_page(found):
        return ""
    if _section_of(found, served_from) or _section_of(found, link):
        return ""
    site = _site(found)
    return found if site in (_site(served_from), _site(link)) else ""


def _site(url: str) -> str:
    """The host and port of ``url`` as :func:`canonical_url` writes them ("" if unusable):
    stricter than :func:`monitor.pages.same_site`, which lets a redirect reach a sibling
    host, since a trusted canonical merges articles with no further check."""
    return urlsplit(canonical_url(url)).netloc


def _section_of(found: str, article: str) -> bool:
    """``found`` is an ancestor of ``article`` on one site: its path a proper prefix, by
    whole segments, with no query of its own."""
    above, below = urlsplit(found), urlsplit(canonical_url(article))
    if above.netloc != below.netloc or above.query:
        return False
    top, path = above.path.rstrip("/") + "/", below.path.rstrip("/") + "/"
    return top != path and path.startswith(top)
