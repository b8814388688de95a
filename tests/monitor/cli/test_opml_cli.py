"""``wirewatch feeds import`` and ``feeds export`` on real config files: feeds go to an
include file (the config file is never rewritten), folders become tags and come back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from monitor.cli.main import main
from monitor.config import ConfigError, load_config

DATA = Path(__file__).parents[2] / "data" / "opml"
MAIN = """include = ["feeds.d/*.toml", "rules.d/*.toml"]

[store]
path = "{db}"

[[feeds]]
url = "https://tass.ru/rss/v2.xml"
name = "TASS"
"""


@pytest.fixture(name="config")
def _config(tmp_path: Path) -> Path:
    path = tmp_path / "wirewatch.toml"
    path.write_text(MAIN.format(db=tmp_path / "ww.db"), encoding="utf-8")
    (tmp_path / "rules.d").mkdir()
    (tmp_path / "rules.d" / "r.toml").write_text(
        '[[rules]]\nname = "r"\nany_of = [{ terms = ["x"] }]\n'
    )
    return path


def test_import_appends_new_feeds_to_an_include_file_and_reports_the_rest(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = config.read_bytes()
    assert main(["feeds", "import", "--config", str(config), str(DATA / "feedly.opml")]) == 0
    out = capsys.readouterr().out
    assert "duplicate: https://tass.ru/rss/v2.xml ('ТАСС'): already configured" in out
    assert "listed again in 'Russia & Ukraine', tags merged" in out
    assert "added 2 feeds to " in out and "skipped 2 duplicates and 0 invalid entries" in out
    assert config.read_bytes() == before  # the user's file is never rewritten
    feeds = {feed.url: feed for feed in load_config(config).settings.feeds}
    bbc = feeds["https://feeds.bbci.co.uk/arabic/rss.xml"]
    assert (bbc.name, bbc.tags) == ("BBC عربي", ("Middle East", "Russia & Ukraine"))
    written = (config.parent / "feeds.d" / "opml.toml").read_text(encoding="utf-8")
    assert written.startswith('\n# 2 feeds imported from "feedly.opml" on ')
    assert main(["feeds", "import", "--config", str(config), str(DATA / "feedly.opml")]) == 0
    assert "added 0 feeds" in capsys.readouterr().out
    assert (config.parent / "feeds.d" / "opml.toml").read_text(encoding="utf-8") == written


def test_imported_files_of_every_reader_make_one_valid_config(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("inoreader", "miniflux", "freshrss", "netnewswire"):
        assert main(["feeds", "import", "--config", str(config), str(DATA / f"{name}.opml")]) == 0
    out = capsys.readouterr().out
    assert "invalid: outline 'Broken' in 'All': xmlUrl 'javascript:alert(1)'" in out
    assert "invalid: outline 'Saved web page': not a feed (no xmlUrl)" in out
    feeds = load_config(config).settings.feeds
    assert len(feeds) == 1 + 3 + 2 + 2 + 3
    names = {feed.url: (feed.name, feed.tags) for feed in feeds}
    assert names["https://www.ukrinform.net/rss/block-lastnews"] == (
        "Control chars in name",
        ("Ukraine",),
    )
    assert names["http://feeds.reuters.example/world"] == ("Reuters World", ())


def test_a_dry_run_writes_nothing(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["feeds", "import", "--dry-run", "--config", str(config), str(DATA / "miniflux.opml")]
    assert main(argv) == 0
    assert "would add 2 feeds" in capsys.readouterr().out
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] is True and report["duplicates"] == []
    assert report["added"][0] == {"url": "https://www.hurriyetdailynews.com/rss",
                                  "name": "Hürriyet Daily News", "tags": ["Türkiye"]}  # fmt: skip
    assert report["invalid"] == [
        "outline 'Broken' in 'All': xmlUrl 'javascript:alert(1)' is not an http(s) URL"
    ]
    assert not (config.parent / "feeds.d").exists()


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["billion-laughs.opml"], "refused: DTDForbidden"),
        (["external-entity.opml"], "refused: DTDForbidden"),
        (["missing.opml"], "cannot read"),
        (["miniflux.opml", "--to", "elsewhere/feeds.toml"], "is not included by"),
        (["miniflux.opml", "--to", "wirewatch.toml"], "is the config file itself"),
    ],
)
def test_import_refuses_without_writing(
    config: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], error: str
) -> None:
    source, *options = arguments
    before = sorted(path.name for path in config.parent.rglob("*"))
    assert main(["feeds", "import", "--config", str(config), str(DATA / source), *options]) == 1
    assert error in capsys.readouterr().err
    assert sorted(path.name for path in config.parent.rglob("*")) == before


def test_export_prints_opml_that_imports_as_the_same_feeds(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["feeds", "import", "--config", str(config), str(DATA / "freshrss.opml")]) == 0
    capsys.readouterr()
    assert main(["feeds", "export", "--config", str(config)]) == 0
    exported = tmp_path / "exported.opml"
    exported.write_text(capsys.readouterr().out, encoding="utf-8")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copy(config, fresh / "wirewatch.toml")
    (fresh / "wirewatch.toml").write_text(
        'include = ["feeds.d/*.toml"]\n[store]\npath = "x.db"\n', encoding="utf-8"
    )
    assert main(["feeds", "import", "--config", str(fresh / "wirewatch.toml"), str(exported)]) == 0
    original = [(f.url, f.name, f.tags) for f in load_config(config).settings.feeds]
    again = [(f.url, f.name, f.tags) for f in load_config(fresh / "wirewatch.toml").settings.feeds]
    assert again == original


@pytest.mark.parametrize(
    ("url", "exported"),
    [
        ("https://wire.example/feed?api_key=K3y-secret-1&lang=ar", "https://wire.example/feed?lang=ar"),
        ("https://wire.example/feed?token=K3y-secret-1", "https://wire.example/feed"),
        ("https://reader:K3y-secret-1@wire.example/feed", "https://wire.example/feed"),
    ],
)  # fmt: skip
def test_export_leaves_credentials_in_urls_out_and_counts_those_feeds(
    config: Path, capsys: pytest.CaptureFixture[str], url: str, exported: str
) -> None:
    (config.parent / "feeds.d").mkdir()
    (config.parent / "feeds.d" / "a.toml").write_text(f'[[feeds]]\nurl = "{url}"\n')
    assert main(["feeds", "export", "--config", str(config)]) == 0
    written = capsys.readouterr()
    assert "K3y-secret-1" not in written.out + written.err
    assert f'xmlUrl="{exported.replace("&", "&amp;")}"' in written.out
    assert "note: 1 feeds need credentials" in written.err


def test_a_bad_feed_in_an_include_file_is_reported_at_its_file_and_line(config: Path) -> None:
    (config.parent / "feeds.d").mkdir()
    (config.parent / "feeds.d" / "a.toml").write_text(
        '[[feeds]]\nurl = "https://ok.example/feed"\n\n[[feeds]]\nurl = "ftp://bad.example/"\n'
        '\n[[feeds]]\nurl = "https://tass.ru/rss/v2.xml"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_config(config)
    name = str(config.parent / "feeds.d" / "a.toml")
    assert raised.value.errors == [
        f"{name}:5: feeds[1].url: Value error, feed url must start with http:// or https://",
        f"{name}:8: feeds[2].url: duplicate feed url (also in the config file)",
    ]
