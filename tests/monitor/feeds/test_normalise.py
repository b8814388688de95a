"""html_to_text, canonical_url, article_id and normalise_entry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.feeds.normalise import (
    MAX_CONTENT_CHARS,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    canonical_url,
    content_fingerprint,
    html_to_text,
    normalise_entry,
)
from monitor.records import article_id
from monitor.records.models import Article, RawEntry

FEED_URL = "https://gazette.example/feed.xml"
FETCHED_AT = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)


def normalise(raw: RawEntry, fetched_at: datetime = FETCHED_AT) -> Article:
    return normalise_entry(raw, feed_url=FEED_URL, feed_name="Gazette", fetched_at=fetched_at)


def entry(**fields: object) -> RawEntry:
    base: dict[str, object] = {"guid": "g-1", "title": "A title", "link": None}
    return RawEntry(**{**base, **fields})  # type: ignore[arg-type]


class TestHtmlToText:
    @pytest.mark.parametrize(
        ("markup", "expected"),
        [
            ("<p>Hello <b>world</b></p><p>Second para</p>", "Hello world\nSecond para"),
            ("line one<br>line two<br/>line three", "line one\nline two\nline three"),
            ("<ul><li>first</li><li>second</li></ul>", "first\nsecond"),
            ("<script>alert('x')</script>visible", "visible"),
            ("<style>p { color: red }</style>styled", "styled"),
            ("<noscript>enable js</noscript>kept", "kept"),
            ("before<!-- a comment -->after", "beforeafter"),
            ("kept<!-- unterminated comment hides the rest", "kept"),
            (
                "Fish &amp; chips &lt;3 &eacute;t&eacute; &#8212; &#x2014;",
                "Fish & chips <3 été — —",
            ),
            ("AT&amp;amp;T", "AT&T"),
            ("&lt;b&gt;escaped markup&lt;/b&gt;", "<b>escaped markup</b>"),
            ("   lots \t of\n\n\n   space   ", "lots of\nspace"),
            ("nul\x00 bell\x07 del\x7f c1\x85 end", "nul bell del c1 end"),
            ("safe\u202eevil\u2066text\u200b", "safeeviltext"),
            ("<div>unclosed <p>para <b>bold", "unclosed\npara bold"),
            ("5 < 6 and 7 > 3", "5 < 6 and 7 > 3"),
            ("<a href='x'>link</a> text <img src=x alt=y>", "link text"),
            ("<![CDATA[wrapped]]> plain", "wrapped plain"),
            ("</p>stray end tags</div>", "stray end tags"),
            ("", ""),
        ],
        ids=[
            "paragraphs",
            "line-breaks",
            "list",
            "script",
            "style",
            "noscript",
            "comment",
            "unterminated-comment",
            "entities",
            "double-encoded",
            "escaped-markup",
            "whitespace",
            "control-chars",
            "bidi-and-zero-width",
            "unclosed-tags",
            "bare-angle-brackets",
            "inline-and-void",
            "cdata",
            "stray-end-tags",
            "empty",
        ],
    )
    def test_converts(self, markup: str, expected: str) -> None:
        """Markup becomes plain text with decoded entities and tidy whitespace."""
        assert html_to_text(markup) == expected

    @pytest.mark.parametrize(
        "unit",
        ["<a b='", "<a", "</", "<!--", "<![CDATA[x>", "<![if x>", "<?x", "<a b='>", "<!x[>"],
    )
    def test_crafted_repetitive_markup_still_converts(self, unit: str) -> None:
        """Patterns that make html.parser rescan its input are defused (200,000 chars each)."""
        markup = unit * (200_000 // len(unit))
        text = html_to_text(markup)
        assert "\x00" not in text
        assert len(text) <= len(markup)

    def test_text_beyond_the_parse_limit_is_ignored(self) -> None:
        """Only a bounded prefix of a huge field is parsed."""
        text = html_to_text("<p>" + "word " * 100_000 + "TAIL</p>")
        assert "TAIL" not in text
        assert text.startswith("word word")


class TestCanonicalUrl:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("HTTP://Example.COM/Path", "http://example.com/Path"),
            ("https://example.com:443/a", "https://example.com/a"),
            ("http://example.com:80/a", "http://example.com/a"),
            ("https://example.com:8443/a", "https://example.com:8443/a"),
            ("https://example.com/a#section-2", "https://example.com/a"),
            ("https://example.com/a/", "https://example.com/a"),
            ("https://example.com/a//", "https://example.com/a"),
            ("https://example.com/", "https://example.com/"),
            ("https://example.com", "https://example.com/"),
            (
                "https://example.com/a?utm_source=rss&id=7&UTM_Medium=x&fbclid=1&gclid=2&b=",
                "https://example.com/a?id=7&b=",
            ),
            (
                "https://example.com/?mc_cid=1&mc_eid=2&igshid=3&ref_src=4&cmpid=5&ocid=6",
                "https://example.com/",
            ),
            ("https://example.com/?z=1&a=2&m=3", "https://example.com/?z=1&a=2&m=3"),
            ("https://WWW.Example.com/a", "https://example.com/a"),
            ("https://m.example.com/a", "https://example.com/a"),
            ("https://mobile.example.com/a", "https://example.com/a"),
            ("https://amp.example.com/a", "https://example.com/a"),
            ("https://m.example/a", "https://m.example/a"),
            ("https://example.com/news/story/amp", "https://example.com/news/story"),
            ("https://example.com/amp/news/story", "https://example.com/news/story"),
            ("https://example.com/news/story.amp.html", "https://example.com/news/story.html"),
            ("https://example.com/news/story.amp", "https://example.com/news/story"),
            ("https://example.com/news/ampere", "https://example.com/news/ampere"),
            ("https://example.com/a?amp=1&id=3&outputType=amp", "https://example.com/a?id=3"),
            ("https://example.com/a?output=json", "https://example.com/a?output=json"),
            (
                "https://example.com/a?ns_campaign=x&ns_mchannel=y&xtor=RSS-1&smid=tw&gbraid=z",
                "https://example.com/a",
            ),
            ("https://example.com/?a=%20b&&c", "https://example.com/?a=%20b&c"),
            ("https://reader:s3cret@example.com/a", "https://example.com/a"),
            ("https://example.com./a", "https://example.com/a"),
            ("http://[2001:DB8::1]:8080/x/", "http://[2001:db8::1]:8080/x"),
            ("  https://example.com/padded  ", "https://example.com/padded"),
            ("https://example.com/a b", "https://example.com/a%20b"),
            ("ftp://example.com/file", ""),
            ("javascript:alert(1)", ""),
            ("mailto:desk@example.com", ""),
            ("//example.com/no-scheme", ""),
            ("/relative/path", ""),
            ("not a url", ""),
            ("http://[::1", ""),
            ("https://example.com:99999/", ""),
            ("http://exa mple.com/", ""),
            ("https://example.com/\x00nul", ""),
            ("https://example.com/" + "a" * 5000, ""),
            ("", ""),
        ],
    )
    def test_canonical_form(self, url: str, expected: str) -> None:
        """Links are reduced to one comparable form; unusable ones become ""."""
        assert canonical_url(url) == expected


class TestArticleId:
    def test_is_stable_short_and_prefixed(self) -> None:
        """The same feed and guid always give the same a_<20 hex> id."""
        first = article_id(FEED_URL, "g-1")
        assert first == article_id(FEED_URL, "g-1")
        assert re.fullmatch(r"a_[0-9a-f]{20}", first)

    @pytest.mark.parametrize(
        ("feed_url", "guid"),
        [(FEED_URL, "g-2"), ("https://other.example/feed", "g-1"), (FEED_URL + "\ng-1", "")],
    )
    def test_differs_when_feed_or_guid_differs(self, feed_url: str, guid: str) -> None:
        """Different feeds or guids give different ids (the separator avoids ambiguity)."""
        assert article_id(feed_url, guid) != article_id(FEED_URL, "g-1")

    def test_survives_lone_surrogates(self) -> None:
        """Odd text from a JSON feed cannot make hashing fail."""
        assert article_id(FEED_URL, "bad\ud800guid").startswith("a_")


class TestNormaliseEntry:
    def test_fields_become_plain_capped_and_canonical(self) -> None:
        """HTML is stripped, the link canonicalised and metadata carried over."""
        raw = RawEntry(
            guid="gazette-1001",
            title="Quay &amp; <b>pier</b> reopen",
            link="https://Gazette.example/news/quay/?utm_source=rss",
            summary="<p>Crews finished early.</p>",
            content="<p>Crews finished early.</p><p>Traffic resumes.</p>",
            published=datetime(2024, 3, 5, 16, 0, tzinfo=timezone(timedelta(hours=2))),
            tags=(" Ports ", "ports", "Weather", "", "  "),
        )
        article = normalise_entry(
            raw, feed_url=FEED_URL, feed_name="Gazette", fetched_at=FETCHED_AT
        )
        assert article.title == "Quay & pier reopen"
        assert article.link == "https://gazette.example/news/quay"
        assert (article.summary, article.content) == (
            "Crews finished early.",
            "Crews finished early.\nTraffic resumes.",
        )
        assert article.published == datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
        assert article.tags == ("Ports", "Weather")
        assert (article.guid, article.feed_url, article.feed_name) == (
            "gazette-1001",
            FEED_URL,
            "Gazette",
        )
        assert article.article_id == article_id(FEED_URL, "gazette-1001")
        assert article.fetched_at == FETCHED_AT

    @pytest.mark.parametrize(
        ("field", "cap"),
        [
            ("title", MAX_TITLE_CHARS),
            ("summary", MAX_SUMMARY_CHARS),
            ("content", MAX_CONTENT_CHARS),
        ],
    )
    def test_long_fields_are_capped_with_an_ellipsis(self, field: str, cap: int) -> None:
        """Every text field has a length cap; a cut field ends with '…'."""
        article = normalise(entry(**{field: "word " * 10_000}))
        value = getattr(article, field)
        assert len(value) <= cap
        assert value.endswith("…")

    def test_title_is_a_single_line(self) -> None:
        """Block markup or newlines in a title collapse to spaces."""
        article = normalise(entry(title="<p>Breaking</p>\n<p>news</p>"))
        assert article.title == "Breaking news"

    def test_summary_falls_back_to_truncated_content(self) -> None:
        """Without a summary, the content's text (capped to the summary size) stands in."""
        article = normalise(entry(summary="", content="<p>" + "body " * 3_000 + "</p>"))
        assert article.summary.startswith("body body")
        assert len(article.summary) <= MAX_SUMMARY_CHARS
        assert article.summary.endswith("…")

    @pytest.mark.parametrize(
        ("guid", "link", "expected"),
        [
            ("  guid-7  ", None, "guid-7"),
            (None, "https://Example.com/a/?utm_medium=x", "https://example.com/a"),
            ("", "javascript:void(0)", "sha256:"),
            (None, None, "sha256:"),
            ("x" * 2_000, None, "sha256:"),
        ],
        ids=["guid", "link", "bad-link", "nothing", "overlong-guid"],
    )
    def test_guid_fallbacks(self, guid: str | None, link: str | None, expected: str) -> None:
        """guid is the entry's id, else its canonical link, else a hash of its text."""
        article = normalise(entry(guid=guid, link=link))
        assert article.guid.startswith(expected)
        assert len(article.guid) <= 1_000

    def test_hashed_guid_depends_on_the_title(self) -> None:
        """Entries without id or link are told apart by their text."""
        first = normalise(entry(guid=None, title="One"))
        second = normalise(entry(guid=None, title="Two"))
        assert first.guid != second.guid
        assert first.guid == normalise(entry(guid=None, title="One")).guid

    @pytest.mark.parametrize(
        ("published", "expected"),
        [
            (FETCHED_AT - timedelta(days=3), FETCHED_AT - timedelta(days=3)),
            (FETCHED_AT + timedelta(hours=23), FETCHED_AT + timedelta(hours=23)),
            (FETCHED_AT + timedelta(days=2), FETCHED_AT),
            (datetime(2030, 1, 1, tzinfo=UTC), FETCHED_AT),
            (datetime(2024, 3, 1, 8, 0), datetime(2024, 3, 1, 8, 0, tzinfo=UTC)),
            (None, None),
        ],
        ids=["past", "slightly-ahead", "days-ahead", "years-ahead", "naive", "missing"],
    )
    def test_dates_are_utc_and_future_ones_clamped(
        self, published: datetime | None, expected: datetime | None
    ) -> None:
        """Dates are kept in UTC; more than a day in the future means "fetched now"."""
        article = normalise(entry(published=published))
        assert article.published == expected
        assert article.published is None or article.published.tzinfo == UTC

    def test_naive_fetched_at_is_taken_as_utc(self) -> None:
        """A naive fetch time is interpreted as UTC, never as local time."""
        article = normalise(entry(), fetched_at=datetime(2024, 3, 6, 12, 0))
        assert article.fetched_at == FETCHED_AT

    def test_tags_are_cleaned_deduplicated_and_capped(self) -> None:
        """Tags are single-line text, unique ignoring case, at most 50 of 100 chars each."""
        raw_tags = ("  Ports\n", "PORTS", "a\u202eb", "t" * 500, *(f"tag{n}" for n in range(99)))
        tags = normalise(entry(tags=raw_tags)).tags
        assert tags[:2] == ("Ports", "ab")
        assert len(tags[2]) == 100
        assert len(tags) == 50


class TestContentFingerprint:
    def test_same_text_in_another_dress_has_the_same_fingerprint(self) -> None:
        first = content_fingerprint("Quay & pier reopen", "The “harbour” is open.")
        again = content_fingerprint("QUAY & PIER REOPEN!", "The harbour is open")
        assert first == again and first.startswith("fp_")

    @pytest.mark.parametrize(
        ("title", "text"),
        [("Quay and pier reopen", "The harbour is open."), ("Quay & pier reopen", "Closed.")],
    )
    def test_different_text_has_a_different_fingerprint(self, title: str, text: str) -> None:
        assert content_fingerprint(title, text) != content_fingerprint(
            "Quay & pier reopen", "The harbour is open."
        )

    def test_an_entry_without_a_title_has_no_fingerprint(self) -> None:
        assert content_fingerprint("  ", "Some text") == ""
