"""The newsroom's script: invented outlets and the events they carry, for ``wirewatch demo``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FeedKind = Literal["rss", "atom", "json"]
_FILE_NAMES: dict[FeedKind, str] = {"rss": "rss.xml", "atom": "atom.xml", "json": "feed.json"}


@dataclass(frozen=True, slots=True)
class Outlet:
    """An invented publisher; its articles live on a reserved ``.example`` domain."""

    slug: str
    name: str
    kind: FeedKind
    domain: str

    @property
    def path(self) -> str:
        return f"/{self.slug}/{_FILE_NAMES[self.kind]}"


@dataclass(frozen=True, slots=True)
class NewsEvent:
    """One scripted event and the headline each outlet that carries it uses."""

    key: str
    section: str
    summary: str
    copies: tuple[tuple[str, str], ...]  # (outlet slug, headline)
    shared_link: bool = False  # copies link to the first outlet's article, as wire clients do

    def headline_for(self, slug: str) -> str | None:
        return next((headline for outlet, headline in self.copies if outlet == slug), None)


OUTLETS = (
    Outlet("levant-wire", "Levant Wire", "rss", "levantwire.example"),
    Outlet("meridian", "Meridian Press Agency", "atom", "meridianpress.example"),
    Outlet("harbour-daily", "Harbour Daily", "json", "harbourdaily.example"),
    Outlet("crescent-herald", "Crescent Herald", "rss", "crescentherald.example"),
    Outlet("northgate", "Northgate Chronicle", "atom", "northgatechronicle.example"),
)
_OUTLETS_BY_SLUG = {outlet.slug: outlet for outlet in OUTLETS}

# Invented stories, in release order. "* key, section[, shared-link]" opens an event, plain
# lines are its summary and "- outlet: headline" lines its copies. "Hamas" (not the city of
# Hama) and "Tirana" (not Iran) are decoys that only a substring matcher would alert on.
_SCRIPT_TEXT = """
* latakia-airlift, world, shared-link
Cargo flights carrying Iranian personnel have touched down at a coastal airfield in Latakia
province three nights running, a monitoring network reported.
- levant-wire: Iranian forces fly into Syria via Latakia
- meridian: UPDATE 1-Iranian forces fly into Syria via Latakia
- harbour-daily: Iranian forces fly into Syria via Latakia - Levant Wire
- crescent-herald: BREAKING: Iranian forces flown into Syria via Latakia

* homs-raids, world
Residents said warplanes they believed were Russian hit hillside rebel positions on the road
between Homs and Hama before dawn; medics reported casualties.
- meridian: Russian jets strike rebel positions north of Homs
- levant-wire: Russian jets strike rebel-held positions north of Homs
- northgate: Russian jets strike rebel positions north of Homs (MPA)
- crescent-herald: BREAKING: Russian jets strike rebel positions north of Homs

* aleppo-push, world
A commander allied with Damascus said several hundred Hezbollah fighters were taking part in a
push on rebel-held villages in the countryside below Aleppo.
- levant-wire: Hezbollah fighters join army offensive south of Aleppo
- harbour-daily: UPDATE 2-Hezbollah fighters join army offensive south of Aleppo
- northgate: Hezbollah fighters join Syrian army offensive south of Aleppo

* oil-three-week-high, business
Brent crude gained for a fourth session as traders weighed tighter output from large producers
against a softer demand outlook.
- meridian: Oil climbs to three-week high on supply worries
- harbour-daily: Oil prices climb to three-week high on supply worries
- crescent-herald: UPDATE 1-Oil climbs to three-week high on supply worries

* rovers-derby, sport
A stoppage-time header gave Northgate Rovers a 2-1 derby win and a two-point lead.
- northgate: Late header hands Rovers derby win and top spot

* deir-ez-zor-attack, world
ISIL militants attacked army posts close to the Deir ez-Zor airbase at first light, the latest
raid in the group's eastern stronghold.
- levant-wire: ISIL launches assault on army posts near Deir ez-Zor
- meridian: ISIL launches attack on army posts near Deir ez-Zor
- crescent-herald: BREAKING: ISIL launches assault on army posts near Deir ez-Zor

* hamas-tehran-talks, world
A Hamas delegation met officials in Tehran about a truce proposal as the Gaza offensive entered
its third week.
- harbour-daily: Hamas leaders hold talks in Tehran as Gaza offensive grinds on

* geneva-envoy, world
Russia's foreign minister will see the UN envoy for Syria in Geneva next week to prepare a new
round of political talks, diplomats said.
- meridian: Russian foreign minister to meet UN Syria envoy in Geneva
- levant-wire: Moscow's top diplomat to meet UN envoy on Syria talks

* heatwave, weather
Forecasters issued red warnings for parts of Spain, Italy and Greece, with temperatures expected
to pass 42C by Saturday.
- crescent-herald: Heatwave warnings as southern Europe braces for 42C
- northgate: Southern Europe braces for 42C as heatwave warnings issued

* east-aleppo-shelling, world
Rescue workers said government artillery struck rebel-held districts in the east of Aleppo for a
second day.
- crescent-herald: Syrian army shells rebel-held east Aleppo
- levant-wire: Syrian army shelling of east Aleppo enters second day

* veltrix-chip, technology
Veltrix says its new processor halves the power phones need to run speech and image models;
handsets using it are due next spring.
- northgate: Chipmaker Veltrix unveils low-power AI processor
- harbour-daily: Veltrix unveils AI chip that halves phone power draw

* tirana-basketball, sport
The Albanian champions overturned a nine-point deficit against the visitors from Aleppo with a
fourth-quarter surge.
- crescent-herald: Tirana stun Aleppo visitors with late offensive surge

* hama-advisers, world
Opposition sources said Iranian military advisers had been seen at a base outside Hama as
reinforcements moved towards the northern front.
- harbour-daily: Iranian advisers deployed near Hama, opposition says
- meridian: UPDATE 1-Iranian advisers deployed near Hama, opposition says
- northgate: Iranian advisers deployed near Hama, says opposition (MPA)

* raqqa-coalition, world
Coalition aircraft carried out a series of strikes on ISIL positions around Raqqa, a military
statement said.
- levant-wire: Coalition air strikes hit ISIL targets around Raqqa
- crescent-herald: ISIL targets around Raqqa hit by coalition air strikes
- harbour-daily: Coalition air strikes hit ISIL around Raqqa - statement

* idlib-sorties, world
Rescue workers in Idlib province counted more than thirty Russian sorties over rebel-held towns
on Sunday.
- northgate: Russian sorties over Idlib intensify, rescuers say
- crescent-herald: BREAKING: Russian air sorties over Idlib intensify, rescuers say
"""


def _parse_event(block: str) -> NewsEvent:
    header, *lines = block.strip().splitlines()
    key, section, *flags = (part.strip() for part in header.split(","))
    copies = tuple(_parse_copy(line.removeprefix("- ")) for line in lines if line.startswith("- "))
    summary = " ".join(line for line in lines if not line.startswith("- "))
    return NewsEvent(key, section, summary, copies, shared_link="shared-link" in flags)


def _parse_copy(line: str) -> tuple[str, str]:
    slug, headline = line.split(": ", 1)
    if slug not in _OUTLETS_BY_SLUG:
        raise ValueError(f"script names an unknown outlet: {slug!r}")
    return slug, headline


SCRIPT = tuple(_parse_event(block) for block in _SCRIPT_TEXT.split("\n* ")[1:])
