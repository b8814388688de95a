"""A feed's article-page settings: defaults, accepted values, and each mistake at its line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from monitor.config.feeds import FeedSettings, FullText
from monitor.config.settings import ConfigError, load_config

FEED = "https://wire.example/feed.xml"


def test_defaults_fetch_teasers_within_five_seconds_and_honour_robots() -> None:
    feed = FeedSettings(url=FEED)
    assert (feed.full_text, feed.full_text_timeout, feed.content_selector, feed.robots) == (
        FullText.AUTO,
        5.0,
        None,
        True,
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("full_text", "always"),
        ("full_text", "never"),
        ("full_text_timeout", 0.5),
        ("content_selector", "article .story-body > p"),
        ("content_selector", "div#main [itemprop=articleBody]"),
        ("robots", False),
    ],
)
def test_valid_values_are_kept(key: str, value: object) -> None:
    assert getattr(FeedSettings.model_validate({"url": FEED, key: value}), key) == value


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('full_text = "sometimes"', "'auto', 'always' or 'never'"),
        ("full_text_timeout = 0", "greater than 0"),
        ("full_text_timeout = -2", "greater than 0"),
        ('content_selector = "div..story"', "not a valid CSS selector"),
        ('content_selector = "article >"', "not a valid CSS selector"),
        ('content_selector = "p::first-line"', "not a valid CSS selector"),
        ('robots = "maybe"', "valid boolean"),
    ],
)
def test_a_bad_value_is_a_config_error_at_its_line(tmp_path: Path, line: str, says: str) -> None:
    key = line.split(" ", maxsplit=1)[0]
    path = tmp_path / "wirewatch.toml"
    path.write_text(f'[[feeds]]\nurl = "{FEED}"\n{line}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert len(caught.value.errors) == 1, caught.value.errors
    error = caught.value.errors[0]
    assert error.startswith(f"{path}:3: feeds[0].{key}: ") and says in error, error


ROOT = Path(__file__).resolve().parents[3]


def _documented_feed_table() -> dict[str, object]:
    """The feed table docs/pages.md shows under "Settings (per feed)"."""
    section = (ROOT / "docs" / "pages.md").read_text(encoding="utf-8")
    section = section.split("## Settings (per feed)", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    table: dict[str, object] = tomllib.loads(block.group(1))["feeds"][0]
    return table


def _shown_in_example(key: str) -> object:
    """The value config.example.toml gives ``key`` in a feed table or in its commented
    list of feed settings (``#   key = value  # why``)."""
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    line = re.search(rf"^#?\s*{key} = (.*)$", example, re.MULTILINE)
    assert line is not None, f"config.example.toml does not show {key}"
    return tomllib.loads(f"{key} = {line.group(1)}")[key]


def test_the_documented_feed_table_is_a_valid_feed() -> None:
    assert FeedSettings.model_validate(_documented_feed_table())


@pytest.mark.parametrize("key", sorted(set(_documented_feed_table()) - {"url"}))
def test_every_documented_page_setting_is_shown_in_the_example_with_its_default(
    key: str,
) -> None:
    shown = _shown_in_example(key)
    default = FeedSettings.model_fields[key].default
    assert shown == default or default is None, (key, shown, default)
