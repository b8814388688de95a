"""The demo newsroom as a server: honest HTTP validators (RFC 9110 conditional requests, HEAD),
its start and stop, and the demo configuration it writes for the daemon."""

from __future__ import annotations

import tomllib
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

import rules
from monitor.config.settings import load_config
from monitor.demo.demo import DEMO_INTERVAL, demo_config_toml
from monitor.demo.newsroom import Newsroom
from monitor.demo.script import OUTLETS, SCRIPT
from tests.support.newsroom import EVENTS_BY_KEY, RELEASE_EVERY, FakeClock, feed_url


class TestHttp:
    @pytest.mark.parametrize(
        ("headers", "status"),
        [
            pytest.param({"If-None-Match": "{etag}"}, 304, id="same-etag"),
            pytest.param({"If-None-Match": "W/{etag}"}, 304, id="weak-etag"),
            pytest.param({"If-None-Match": '"stale", {etag}'}, 304, id="etag-in-list"),
            pytest.param({"If-None-Match": "*"}, 304, id="any-etag"),
            pytest.param({"If-None-Match": '"stale"'}, 200, id="other-etag"),
            pytest.param({"If-Modified-Since": "{modified}"}, 304, id="same-date"),
            pytest.param({"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}, 200, id="old"),
            pytest.param({"If-Modified-Since": "yesterday-ish"}, 200, id="bad-date"),
            pytest.param(
                {"If-None-Match": '"stale"', "If-Modified-Since": "{modified}"},
                200,
                id="etag-overrides-date",
            ),
        ],
    )
    def test_conditional_get_follows_rfc_9110(
        self, newsroom: Newsroom, http: httpx.Client, headers: dict[str, str], status: int
    ) -> None:
        """Validators from the last response decide between 304 (empty) and a full 200."""
        url = feed_url(newsroom, "levant-wire")
        first = http.get(url)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        sent = {name: value.format(etag=etag, modified=modified) for name, value in headers.items()}
        response = http.get(url, headers=sent)
        assert response.status_code == status
        assert response.headers["etag"] == etag
        if status == 304:
            assert response.content == b""
            assert "content-type" not in response.headers
        else:
            assert response.content == first.content

    @pytest.mark.parametrize("slug", [outlet.slug for outlet in OUTLETS])
    def test_etag_round_trip_until_new_items_appear(
        self, newsroom: Newsroom, http: httpx.Client, clock: FakeClock, slug: str
    ) -> None:
        """A stored ETag earns 304 until a release changes the feed, then a new ETag and date."""
        url = feed_url(newsroom, slug)
        first = http.get(url)
        etag = first.headers["etag"]
        assert http.get(url, headers={"If-None-Match": etag}).status_code == 304
        clock.advance(len(SCRIPT) * RELEASE_EVERY)
        changed = http.get(url, headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["etag"] != etag
        assert parsedate_to_datetime(changed.headers["last-modified"]) > parsedate_to_datetime(
            first.headers["last-modified"]
        )

    @pytest.mark.parametrize(
        ("method", "target", "status"),
        [
            ("GET", "/", 404),
            ("GET", "/levant-wire/", 404),
            ("GET", "/levant-wire/atom.xml", 404),
            ("GET", "/levant-wire/rss.xml/extra", 404),
            ("GET", "/%2e%2e/etc/passwd", 404),
            ("GET", "/levant-wire/rss.xml?utm_source=demo", 200),
            ("POST", "/levant-wire/rss.xml", 501),
        ],
    )
    def test_only_feed_paths_are_served(
        self, newsroom: Newsroom, http: httpx.Client, method: str, target: str, status: int
    ) -> None:
        """Unknown paths get 404, a query string is ignored and other methods are refused."""
        assert http.request(method, newsroom.base_url + target).status_code == status

    def test_head_sends_the_get_headers_without_a_body(
        self, newsroom: Newsroom, http: httpx.Client
    ) -> None:
        """HEAD answers with the same validators and length as GET and no body."""
        url = feed_url(newsroom, "meridian")
        got, head = http.get(url), http.head(url)
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["etag"] == got.headers["etag"]
        assert int(head.headers["content-length"]) == len(got.content)


class TestLifecycle:
    def test_stop_closes_the_listening_port(self, http: httpx.Client) -> None:
        """After the context exits, the feed URL refuses connections."""
        with Newsroom() as room:
            url = room.feeds[0][1]
            assert http.get(url).status_code == 200
        with pytest.raises(httpx.ConnectError):
            http.get(url)

    def test_base_url_needs_a_running_newsroom(self) -> None:
        """Asking for URLs before ``start()`` is an error, not a bogus port."""
        with pytest.raises(RuntimeError, match="not running"):
            _ = Newsroom().base_url

    def test_starting_twice_is_refused(self, newsroom: Newsroom) -> None:
        """A second ``start()`` raises instead of leaking a second server."""
        with pytest.raises(RuntimeError, match="already running"):
            newsroom.start()

    @pytest.mark.parametrize(
        ("release_every", "initial_batch"),
        [(0.0, 6), (-1.0, 6), (float("nan"), 6), (4.0, -1)],
    )
    def test_nonsense_schedule_is_refused(self, release_every: float, initial_batch: int) -> None:
        """A schedule that could never release (or un-release) news raises ValueError."""
        with pytest.raises(ValueError, match="release_every"):
            Newsroom(release_every=release_every, initial_batch=initial_batch)


class TestDemoConfig:
    def test_config_parses_and_polls_every_feed_every_few_seconds(self, newsroom: Newsroom) -> None:
        """The TOML names each newsroom feed, fast intervals, a memory store and the console."""
        document = tomllib.loads(demo_config_toml(newsroom.feeds))
        assert [(f["name"], f["url"]) for f in document["feeds"]] == newsroom.feeds
        assert {f["interval"] for f in document["feeds"]} == {DEMO_INTERVAL}
        assert document["daemon"] == {
            "default_interval": 5,
            "min_interval": 5,
            "jitter": 1,
            "host_spacing": 0,
        }
        assert document["store"] == {"path": ":memory:"}
        assert document["notifiers"] == {"console": {"type": "console"}}
        names = {rule["name"] for rule in document["rules"]}
        assert {"iran-in-syria", "russian-strikes", "hezbollah-offensive"} <= names

    @pytest.mark.parametrize(
        "text",
        [
            'quote " and back\\slash',
            "line\nbreak\ttab\rreturn",
            "delete\x7fand\x00nul",
            "non-ASCII: Dayr az-Zawr, Ḥimṣ, 📰",
            '"\n[[feeds]]\nurl = "http://evil.example/',
        ],
    )
    def test_names_and_paths_survive_toml_quoting(self, text: str) -> None:
        """Hostile feed names and store paths come back from TOML exactly, adding no keys."""
        document = tomllib.loads(demo_config_toml([(text, "http://127.0.0.1:1/")], store_path=text))
        feed = {"name": text, "url": "http://127.0.0.1:1/", "interval": 5, "full_text": "never"}
        assert document["feeds"] == [feed]
        assert document["store"] == {"path": text}

    def test_config_is_accepted_by_the_daemon_config_loader(
        self, newsroom: Newsroom, tmp_path: Path
    ) -> None:
        """``load_config`` validates the demo config: feeds, console notifier and rules."""
        path = tmp_path / "demo.toml"
        path.write_text(demo_config_toml(newsroom.feeds, store_path=str(tmp_path / "demo.db")))
        config = load_config(path)
        assert [(feed.name, feed.url) for feed in config.feeds] == newsroom.feeds
        assert list(config.notifiers) == ["console"]
        assert config.settings.store.path == str(tmp_path / "demo.db")

    @pytest.mark.parametrize(
        ("event_key", "expected"),
        [
            ("latakia-airlift", {"iran-in-syria"}),
            ("hama-advisers", {"iran-in-syria"}),
            ("homs-raids", {"russian-strikes"}),
            ("idlib-sorties", {"russian-strikes"}),
            ("aleppo-push", {"hezbollah-offensive"}),
            ("deir-ez-zor-attack", {"isil-east"}),
            ("raqqa-coalition", {"isil-east"}),
            ("east-aleppo-shelling", {"government-offensive"}),
            ("geneva-envoy", set()),  # Russia and Syria, but talks, not strikes
            ("hamas-tehran-talks", set()),  # "Hamas" is not the city of Hama
            ("tirana-basketball", set()),  # "Tirana" is not Iran
            ("oil-three-week-high", set()),
            ("rovers-derby", set()),
        ],
    )
    def test_demo_rules_fire_on_war_stories_and_stay_quiet_on_decoys(
        self, tmp_path: Path, event_key: str, expected: set[str]
    ) -> None:
        """The real matcher alerts on the scripted Syrian events and on nothing else."""
        path = tmp_path / "demo.toml"
        path.write_text(demo_config_toml([("Levant Wire", "http://127.0.0.1:1/rss.xml")]))
        matcher = rules.compile_rules(load_config(path).ruleset)
        event = EVENTS_BY_KEY[event_key]
        title = event.copies[0][1]
        fired = {m.rule for m in matcher.match({"title": title, "summary": event.summary})}
        assert fired == expected
