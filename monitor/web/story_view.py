"""What a story's page (``/stories/<id>``) shows: plain rows the template only prints.

The story as the store's read model gives it (``find_stories``, ``story_articles``,
``find_alerts``: what the JSON API reads too): every article as a timeline, oldest
first, with its outlet, language, link and headline; the rules that alerted on it with
their terms; its alerts with each delivery and every verdict. The terms are marked in
each headline and summary where the rule engine finds them (``monitor.web.story_marks``),
in whatever script the article is written. Escaping is the template's job (Jinja2 with
autoescape on); links are made only from http(s) URLs (``web_link``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import rules
from monitor.api import Alert, Article, RuleMatch, StoryDetail, story_detail
from monitor.web.segments import Segments, language_attribute, segments, web_link
from monitor.web.status_view import StatusSource
from monitor.web.story_marks import TermsByRule, spans, story_hits, terms_by_rule, terms_found

SUMMARY_CHARS = 600
ARTICLE_LIMIT = 1000  # articles shown, oldest first; a story rarely has more


@dataclass(frozen=True, slots=True)
class ArticleRow:
    article_id: str
    seen: datetime  # published, else fetched
    published: datetime | None
    outlet: str
    language: str  # as detected or declared; "" when unknown
    lang: str | None  # ``language`` when it is fit for a lang attribute
    link: str | None  # only an http(s) URL
    raw_link: str  # shown as text when it is not one
    title: Segments
    summary: Segments
    terms: tuple[str, ...]  # the story's matched terms found in this article
    first: bool = False  # the article the story began with


@dataclass(frozen=True, slots=True)
class StoryView:
    now: datetime
    story: StoryDetail
    title: Segments
    lang: str | None  # the first article's language, fit for a lang attribute
    languages: tuple[tuple[str, int], ...]  # (code or "", articles), most first
    outlets: tuple[tuple[str, int], ...]  # (feed name, articles), in order of appearance
    rules: tuple[RuleMatch, ...]
    articles: tuple[ArticleRow, ...]
    alerts: tuple[Alert, ...]  # oldest first, with deliveries and verdicts
    hidden_articles: int  # beyond ARTICLE_LIMIT
    article_limit: int = ARTICLE_LIMIT


@dataclass(frozen=True, slots=True)
class Context:
    """What the rules know of a story's articles besides their text."""

    outlets: int  # outlets that have reported the story
    first_article_id: str = ""


async def read_story(source: StatusSource, story_id: str) -> StoryView | None:
    """The story's page from the story read model, None when no such story is kept."""
    story = await story_detail(source.store, story_id)
    if story is None:
        return None
    first = story.articles[0].article_id if story.articles else ""  # kept in fetch order
    context = Context(story.outlet_count, first)
    rows = article_rows(
        story.articles[:ARTICLE_LIMIT], source.matcher(), terms_by_rule(story.alerts), context
    )
    return StoryView(
        now=source.clock(),
        story=story,
        title=_story_title(story, rows),
        lang=language_attribute(story.language),
        languages=_counted(article.language for article in story.articles),
        outlets=_counted(article.feed or article.outlet for article in story.articles),
        rules=tuple(story.matches),
        articles=rows,
        alerts=tuple(story.alerts),
        hidden_articles=max(0, len(story.articles) - ARTICLE_LIMIT),
    )


def _story_title(story: StoryDetail, rows: Sequence[ArticleRow]) -> Segments:
    """The story's headline as its first article's row marks it, else as stored."""
    first = [row.title for row in rows if row.first]
    return first[0] if first else segments(story.title, [], None)


def _counted(values: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """Each value with how often it came, most first, then in order of appearance."""
    counts = Counter(values)
    return tuple(sorted(counts.items(), key=lambda item: -item[1]))


def article_rows(
    articles: Sequence[Article],
    matcher: rules.Matcher | None,
    rule_terms: TermsByRule,
    context: Context,
) -> tuple[ArticleRow, ...]:
    """Every article, oldest first (by when it was published, else fetched)."""
    ordered = sorted(articles, key=lambda a: (_seen(a), a.article_id))
    return tuple(_article_row(article, matcher, rule_terms, context) for article in ordered)


def _article_row(
    article: Article,
    matcher: rules.Matcher | None,
    rule_terms: TermsByRule,
    context: Context,
) -> ArticleRow:
    fields = {"title": article.title, "summary": article.summary}
    known = rules.MatchContext(
        feed_url=article.feed_url, feed_name=article.feed, link=article.link,
        outlets=context.outlets, language=article.language,
    )  # fmt: skip
    hits = story_hits(fields, known, matcher, rule_terms) if rule_terms else []
    return ArticleRow(
        article_id=article.article_id,
        seen=_seen(article),
        published=article.published,
        outlet=article.feed or article.outlet,
        language=article.language,
        lang=language_attribute(article.language),
        link=web_link(article.link),
        raw_link=article.link,
        title=segments(article.title, spans(hits, "title"), None),
        summary=segments(article.summary, spans(hits, "summary"), SUMMARY_CHARS),
        terms=terms_found(hits),
        first=article.article_id == context.first_article_id,
    )


def _seen(article: Article) -> datetime:
    return article.published or article.fetched_at
