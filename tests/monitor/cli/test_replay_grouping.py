"""``wirewatch replay``'s grouping: why each article joined its story (``joined_by``,
``join_score``), and the same story ids and memberships whatever the process's hash seed.

The feed is written for these tests: copies, re-worded reports and look-alike events in
six languages, and a run of stories that tie for one query (equal shared words, equal
scores), so that any order taken from a set or a hash would show."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from monitor.records import JoinReason
from tests.support.processes import COLD_START_GUARD

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = str(ROOT / "config.example.toml")
START = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)

# (guid, link, headline): the same guid or link again is a re-published entry.
EVENTS: list[tuple[str, str, str]] = [
    ("q1", "/quake", "Earthquake of magnitude 6.1 strikes near Izmir, buildings damaged"),
    ("q2", "/quake-2", "Magnitude 6.1 earthquake strikes near Izmir, buildings damaged"),
    ("q3", "/quake-3", "Izmir buildings damaged as strong earthquake shakes Aegean coast"),
    ("q4", "/quake-van", "Earthquake of magnitude 5.2 strikes near Van, buildings damaged"),
    ("n1", "/rates", "Central bank of Norway raises interest rate to 4.5 percent"),
    ("n2", "/rates-2", "Norway central bank raises interest rate to 4.5 percent - Nordic Times"),
    ("n3", "/rates-3", "Norges Bank lifts rate to 4.5 percent as Norway inflation persists"),
    ("g1", "/goma", "Rebels seize Goma airport after heavy fighting"),
    ("g2", "/goma-2", "UPDATE 1-Rebels seize Goma airport after heavy fighting"),
    ("g3", "/goma-toll", "Fighting near Goma airport leaves 12 dead"),
    ("g4", "/goma-toll-2", "Fighting near Goma airport leaves 19 dead"),
    ("g1", "/goma-again", "Rebels seize Goma airport after heavy fighting"),
    ("g5", "/goma", "Rebels seize Goma airport after heavy fighting overnight"),
    (
        "f1",
        "/marseille",
        "Incendie à Marseille : trois immeubles évacués dans le quartier du Panier",
    ),
    ("f2", "/marseille-2", "Marseille : trois immeubles évacués après un incendie dans le Panier"),
    ("e1", "/valencia", "Inundaciones en Valencia dejan a miles de vecinos sin electricidad"),
    ("e2", "/valencia-2", "Miles de vecinos de Valencia sin electricidad por las inundaciones"),
    ("d1", "/bahn", "Streik bei der Bahn legt den Verkehr in Bayern lahm"),
    ("d2", "/bahn-2", "Bahnstreik legt den Verkehr in Bayern lahm"),
    ("t1", "/metro", "İstanbul'da metro hattında arıza: seferler durdu"),
    ("t2", "/metro-2", "İstanbul metro hattında arıza nedeniyle seferler durdu"),
    ("a1", "/beirut", "انقطاع الكهرباء في بيروت بعد عطل في محطة الزهراني"),
    ("a2", "/beirut-2", "عطل في محطة الزهراني يقطع الكهرباء عن بيروت"),
    # across languages, by meaning; the same with another magnitude is another quake
    ("x1", "/chile", "Earthquake of magnitude 6.1 strikes off northern Chile"),
    ("x2", "/chile-ru", "Землетрясение магнитудой 6,1 произошло у берегов Чили"),
    ("x3", "/chile-ru-2", "Землетрясение магнитудой 5,4 произошло у берегов Чили"),
    # rules match these: their terms are printed too
    ("s1", "/homs", "Russian air strikes hit rebel positions near Homs as Iranian troops arrive"),
    ("s2", "/homs-2", "Russian air strikes hit rebel positions near Homs, Iranian troops arrive"),
    ("s3", "/idlib", "Frappes aériennes russes près d'Idlib : 9 civils tués en Syrie"),
    ("s4", "/aleppo", "غارات روسية على ريف حلب ومقتل 7 مدنيين في سوريا"),
    # two tolls keep two pieces of one eruption apart; a report giving none reaches both,
    # and the newer piece is merged into the older (decision 0070)
    ("v1", "/eruption", "Volcano erupts on Reykjanes peninsula, 3,000 evacuated from Grindavik"),
    ("v2", "/eruption-2", "Grindavik: 3,000 evacuated as volcano erupts on Reykjanes peninsula"),
    ("v3", "/eruption-3", "Volcano erupts on Reykjanes peninsula, 4,000 evacuated from Grindavik"),
    ("v4", "/eruption-4", "Grindavik: 4,000 evacuated as volcano erupts on Reykjanes peninsula"),
    (
        "v5",
        "/eruption-5",
        "Thousands evacuated from Grindavik after volcano on Reykjanes peninsula erupts overnight",
    ),
]

# Forty stories alike but for the country named (so none joins another), then a report
# sharing the same three words with each: its candidates tie on words and on score.
COUNTRIES = [
    "Chile", "Peru", "Ghana", "Kenya", "Nepal", "Laos", "Oman", "Qatar", "Fiji", "Togo",
    "Benin", "Gabon", "Malta", "Cuba", "Haiti", "Yemen", "Sudan", "Chad", "Niger", "Mali",
    "Iraq", "Iran", "Syria", "Jordan", "Israel", "Egypt", "Libya", "Tunisia", "Algeria",
    "Morocco", "Spain", "France", "Italy", "Greece", "Cyprus", "Turkey", "Georgia",
    "Armenia", "Latvia", "Estonia",
]  # fmt: skip
TIES = [(f"c{n}", f"/geneva-{n}", f"Ministers meet in Geneva over {country} water dispute")
        for n, country in enumerate(COUNTRIES)]  # fmt: skip
TIED_QUERY = ("c-q", "/geneva-q", "Geneva ministers meet over water dispute")


# Two stories kept apart by the country each names, then a report naming both: it shares
# as many words with each, at one score, so the first candidate judged takes it, and which
# is first must not depend on the order a set gives the report's words.
PAIRS = [
    ("Bhutan", "Brunei", "border talks resume in Lisbon"),
    ("Zambia", "Malawi", "copper deal signed in Lusaka"),
    ("Belize", "Guyana", "fishing row reaches Hamburg court"),
    ("Angola", "Rwanda", "envoys meet in Luanda"),
    ("Samoa", "Tonga", "cyclone aid reaches Apia"),
    ("Nauru", "Palau", "tuna quota agreed in Majuro"),
    ("Iceland", "Ireland", "herring dispute settled in Brussels"),
    ("Finland", "Denmark", "grid link opens near Turku"),
    ("Austria", "Hungary", "rail tunnel delayed at Sopron"),
    ("Poland", "Serbia", "grain convoy halted near Przemysl"),
    ("Panama", "Mexico", "canal tolls raised for Veracruz"),
    ("Uganda", "Tuvalu", "climate fund pledged in Nairobi"),
]
SPLIT = [
    item
    for number, (first, second, rest) in enumerate(PAIRS)
    for item in (
        (f"p{number}a", f"/pair-{number}-a", f"{first} {rest}"),
        (f"p{number}b", f"/pair-{number}-b", f"{second} {rest}"),
        (f"p{number}q", f"/pair-{number}-q", f"{first} and {second} {rest}"),
    )
]


def _feed(items: list[tuple[str, str, str]]) -> str:
    entries = []
    for number, (guid, link, title) in enumerate(items):
        published = (START + timedelta(minutes=number)).strftime("%a, %d %b %Y %H:%M:%S GMT")
        entries.append(
            f'<item><guid isPermaLink="false">{guid}</guid><title>{escape(title)}</title>'
            f"<link>https://wire.example{link}</link><pubDate>{published}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>Test Wire</title><link>https://wire.example/</link>\n"
        + "\n".join(entries)
        + "\n</channel></rss>\n"
    )


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("replay") / "wire.xml"
    path.write_text(_feed(EVENTS + TIES + [TIED_QUERY] + SPLIT), encoding="utf-8")
    return path


def _replay(feed: Path, seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "monitor", "replay", "--config", EXAMPLE, str(feed)]
    done = subprocess.run(
        command, env=env, capture_output=True, timeout=COLD_START_GUARD, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.fixture(scope="module")
def printed(feed: Path) -> bytes:
    """What ``replay`` prints with hash seed 0 (each replay loads the embedding model)."""
    return _replay(feed, "0")


@pytest.fixture(scope="module")
def rows(printed: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in printed.splitlines()]


def test_replay_prints_why_each_article_joined_its_story(rows: list[dict[str, object]]) -> None:
    joined = {(row["title"], row["link"]): row for row in rows}
    cases = [
        ("Earthquake of magnitude 6.1 strikes near Izmir, buildings damaged", "/quake",
         "new_story"),
        ("Magnitude 6.1 earthquake strikes near Izmir, buildings damaged", "/quake-2",
         "near_identical"),
        ("UPDATE 1-Rebels seize Goma airport after heavy fighting", "/goma-2", "same_headline"),
        ("Fighting near Goma airport leaves 12 dead", "/goma-toll", "related"),
        ("Fighting near Goma airport leaves 19 dead", "/goma-toll-2", "update"),
        ("Rebels seize Goma airport after heavy fighting", "/goma-again", "same_guid"),
        ("Rebels seize Goma airport after heavy fighting overnight", "/goma", "same_link"),
        ("Marseille : trois immeubles évacués après un incendie dans le Panier", "/marseille-2",
         "related"),
        ("Землетрясение магнитудой 6,1 произошло у берегов Чили", "/chile-ru", "semantic"),
        ("Землетрясение магнитудой 5,4 произошло у берегов Чили", "/chile-ru-2", "new_story"),
    ]  # fmt: skip
    for title, link, reason in cases:
        row = joined[(title, f"https://wire.example{link}")]
        assert row["joined_by"] == reason, title
        assert (row["duplicate_of"] is None) == (reason == "new_story"), title


def test_join_score_is_the_score_that_decided(rows: list[dict[str, object]]) -> None:
    """A 0-100 score for the story index's judgements, at or above the threshold that
    admitted it (config.example.toml: 88 for headlines, 0.4 cosine for related, 0.5 for
    meaning); null where equality decided."""
    thresholds = {"near_identical": 88.0, "update": 88.0, "related": 40.0, "semantic": 50.0}
    seen = set()
    for row in rows:
        reason, score = str(row["joined_by"]), row["join_score"]
        seen.add(reason)
        if reason in thresholds:
            assert isinstance(score, float) and thresholds[reason] <= score <= 100.0, row
        else:
            assert score is None, row
    assert seen >= {"new_story", "same_guid", "same_link", "same_headline", *thresholds}


def test_the_articles_tied_for_one_query_are_grouped_alike(
    rows: list[dict[str, object]],
) -> None:
    """The tied query joins one of the stories it ties with (the earliest judged), not a
    new one: the comparison below then covers a tie broken."""
    tied = next(row for row in rows if row["title"] == TIED_QUERY[2])
    assert tied["joined_by"] == "near_identical"
    geneva = {row["story_id"] for row in rows if "Geneva over" in str(row["title"])}
    assert tied["story_id"] in geneva and len(geneva) == len(COUNTRIES)


def test_a_report_reaching_two_pieces_of_one_event_merges_the_newer_into_the_older(
    rows: list[dict[str, object]],
) -> None:
    """The bridging report joins the older piece by its own evidence and names the newer
    piece it absorbed. Only reports reaching two stories merge them (the eruption's, and
    some naming both countries of a pair); the Geneva query, as close to forty stories,
    merges none (a subject's stories, not one event's)."""
    by_link = {str(row["link"]).rsplit("/", 1)[1]: row for row in rows}
    bridge, older, newer = by_link["eruption-5"], by_link["eruption"], by_link["eruption-3"]
    assert newer["story_id"] != older["story_id"] == bridge["story_id"]
    assert (bridge["joined_by"], bridge["absorbed"]) == ("related", [newer["story_id"]])
    merging = [str(row["link"]).rsplit("/", 1)[1] for row in rows if row["absorbed"]]
    assert "eruption-5" in merging and "geneva-q" not in merging
    assert all(link == "eruption-5" or link.endswith("-q") for link in merging), merging
    for row in rows:
        for absorbed in row["absorbed"]:  # type: ignore[attr-defined]
            assert absorbed != row["story_id"]
            later = [other for other in rows if other["story_id"] == absorbed]
            assert all(rows.index(other) < rows.index(row) for other in later)


def test_replay_groups_alike_whatever_the_hash_seed(feed: Path, printed: bytes) -> None:
    """A process with another hash seed prints the same bytes: story ids, memberships,
    merges, reasons, scores and the rules' terms."""
    assert _replay(feed, "2718281") == printed


def test_the_readme_names_every_joined_by_value() -> None:
    """The README states ``replay``'s contract: a ``joined_by`` value it does not name (one
    added with a new kind of join) is a value scripts were never told about."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    contract = readme[readme.index("`replay` prints, per article") :].split("\n\n")[0]
    assert [r.value for r in JoinReason if f"`{r.value}`" not in contract] == []
