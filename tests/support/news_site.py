"""A news outlet's site on a loopback address of its own, as the daemon meets one: an RSS
feed whose items carry a headline and a one-sentence standfirst, a robots.txt, and article
pages whose story sits among the usual furniture of a news site: skip link, navigation,
a breaking-news ticker, a cookie banner, share buttons, a newsletter box, related and
most-read lists, readers' comments and a footer.

    outlet = Outlet("Harbour Times", "127.0.0.21", (Report("pier", "Pier shut", ...),))
    with NewsSite(outlet, published=now) as site:
        feed_url = site.feed_url
        ...
        assert site.page_paths() == ["/news/pier"]

All the text is invented for these tests.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Self

from tests.support.feedserver import FeedServer, Reply
from tests.support.pages import html_route

__all__ = ["COMMENTS", "RELATED", "ROBOTS", "NewsSite", "Outlet", "Report"]

ROBOTS = """User-agent: *
Disallow: /search
Disallow: /account/
Disallow: /api/

User-agent: GPTBot
Disallow: /
"""
# What sits around most articles; a report may bring its own.
RELATED = (
    "Ferry timetable changes for the winter season",
    "Five years on, the old lighthouse still waits for a buyer",
    "Fish market moves to the new hall next month",
)
COMMENTS = (
    "Clear reporting, thank you. Would be good to hear from the residents too.",
    "I live nearby and can confirm the noise has been constant this week.",
)
COOKIE_BANNER = (
    "We and our 143 partners store and access information on your device, such as"
    " cookies, to personalise content and ads, measure audiences and improve our"
    " services. You can accept, reject or manage your choices at any time."
)


@dataclass(frozen=True, slots=True)
class Report:
    """One item of the feed and its article page at ``/news/<slug>``."""

    slug: str
    headline: str
    standfirst: str  # the item's description, and the line under the page's headline
    paragraphs: tuple[str, ...]  # the article itself
    related: tuple[str, ...] = RELATED  # the headlines of the related-links list
    comments: tuple[str, ...] = COMMENTS
    most_read: tuple[str, ...] = RELATED[::-1]
    ticker: str = "Follow the day's events live"  # the breaking-news line in the header


@dataclass(frozen=True, slots=True)
class Outlet:
    name: str
    host: str  # a loopback address of its own: its own robots.txt and politeness lane
    reports: tuple[Report, ...] = ()
    robots: str | None = ROBOTS  # None: robots.txt answers 404, as on many sites


class NewsSite(FeedServer):
    """An :class:`Outlet` served by a :class:`FeedServer` at the outlet's address."""

    def __init__(self, outlet: Outlet, *, published: datetime) -> None:
        super().__init__(host=outlet.host)
        self.outlet = outlet
        self._published = published

    def __enter__(self) -> Self:
        super().__enter__()
        self._serve()
        return self

    @property
    def feed_url(self) -> str:
        return self.url("/rss.xml")

    def page_paths(self) -> list[str]:
        """The article pages asked for, in order (robots.txt and the feed left out)."""
        return [r.path for r in self.requests if r.path.startswith("/news/")]

    def _serve(self) -> None:
        self.add_feed("/rss.xml", self._feed(), etag='"1"')
        if self.outlet.robots is not None:
            robots = self.outlet.robots.encode()
            headers = {"Content-Type": "text/plain; charset=utf-8"}
            self.add_route("/robots.txt", lambda _request: Reply(200, headers, robots))
        for report in self.outlet.reports:
            page = article_html(self.outlet.name, report).encode()
            self.add_route(f"/news/{report.slug}", html_route(page))

    def _feed(self) -> bytes:
        base = self.url("").rstrip("/")
        items = "".join(
            _item(report, base, self._published - timedelta(minutes=10 * n))
            for n, report in enumerate(self.outlet.reports)
        )
        return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>{html.escape(self.outlet.name)} - Latest</title><link>{base}/</link>
<description>The latest stories</description><language>en-gb</language>
<atom:link href="{base}/rss.xml" rel="self" type="application/rss+xml"/>
{items}</channel></rss>""".encode()


def _item(report: Report, base: str, published: datetime) -> str:
    link = f"{base}/news/{report.slug}"
    return f"""<item><title>{html.escape(report.headline)}</title>
<link>{link}</link><guid isPermaLink="false">{link}</guid>
<pubDate>{format_datetime(published)}</pubDate>
<description>{html.escape(report.standfirst)}</description></item>
"""


def _links(headlines: tuple[str, ...], prefix: str) -> str:
    return "\n".join(
        f'<li><a href="/news/{prefix}-{n}">{html.escape(text)}</a></li>'
        for n, text in enumerate(headlines)
    )


def _comments(comments: tuple[str, ...]) -> str:
    return "\n".join(
        f'<li class="comment" id="c{n}"><span class="comment__author">reader{n}</span>'
        f'<time>2 hours ago</time><p class="comment__body">{html.escape(text)}</p>'
        f'<button class="comment__reply">Reply</button></li>'
        for n, text in enumerate(comments)
    )


def article_html(outlet: str, report: Report) -> str:
    """The whole page of ``report``: the article among the site's furniture."""
    name, headline = html.escape(outlet), html.escape(report.headline)
    body = "\n".join(f"<p>{html.escape(text)}</p>" for text in report.paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{headline} | {name}</title>
<meta property="og:title" content="{headline}">
<meta property="og:type" content="article">
<meta name="description" content="{html.escape(report.standfirst)}">
<link rel="stylesheet" href="/static/site.css">
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"section": "world"}});</script>
</head><body>
<a class="skip-link" href="#main">Skip to content</a>
<div class="cookie-banner" role="dialog" aria-label="Cookie consent">
<h2>We value your privacy</h2><p>{COOKIE_BANNER}</p>
<button class="cookie-banner__accept">Accept all</button>
<button class="cookie-banner__reject">Reject all</button>
<a href="/privacy/cookies">Manage preferences</a></div>
<header class="site-header"><a class="logo" href="/">{name}</a>
<nav aria-label="Sections"><ul>
<li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/region">Region</a></li><li><a href="/business">Business</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/opinion">Opinion</a></li>
<li><a href="/video">Video</a></li></ul></nav>
<form class="search" action="/search"><input name="q" placeholder="Search">
<button>Search</button></form>
<div class="ticker"><span>Breaking</span><a href="/live">{html.escape(report.ticker)}</a></div>
</header>
<main id="main">
<ol class="breadcrumb"><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ol>
<article class="story">
<header><h1>{headline}</h1>
<p class="standfirst">{html.escape(report.standfirst)}</p>
<p class="byline">By <a href="/staff/desk">Our correspondent</a> ·
<time datetime="2026-12-03T06:40:00Z">3 December 2026</time></p></header>
<figure><img src="/img/{report.slug}.jpg" alt="">
<figcaption>The scene on Wednesday. Photograph: Agency</figcaption></figure>
<div class="story-body">
{body}
</div>
<ul class="share"><li><a href="/share/mail">Email</a></li><li><a href="/share/x">Post</a></li>
<li><button>Copy link</button></li></ul>
<p class="tags">Topics: <a href="/topic/world">World</a> <a href="/topic/region">Region</a></p>
</article>
<aside class="newsletter"><h2>The morning briefing</h2>
<p>The day's news in five minutes, every weekday at 7am.</p>
<form action="/newsletter"><input type="email" placeholder="Your email">
<button>Sign up</button></form></aside>
<aside class="related"><h2>Related stories</h2><ul>
{_links(report.related, "related")}
</ul></aside>
<aside class="most-read"><h2>Most read</h2><ol>
{_links(report.most_read, "popular")}
</ol></aside>
<section class="comments" id="comments"><h2>Comments ({len(report.comments)})</h2>
<p>Comments on this article are moderated. <a href="/account/login">Sign in</a> to join
the conversation.</p>
<ol class="comment-list">
{_comments(report.comments)}
</ol></section>
</main>
<footer class="site-footer"><ul>
<li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li>
<li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of use</a></li>
</ul><p>© 2026 {name}. All rights reserved.</p></footer>
<script src="/static/app.js" defer></script>
</body></html>"""
