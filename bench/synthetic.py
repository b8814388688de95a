"""A deterministic synthetic news corpus for the benchmark.

Every headline is invented here from word lists and the watch set's own terms
(actors, places, escalation words), so the corpus exercises the example rules
without copying any real text. One seeded ``random.Random`` drives everything:
the same ``count`` and ``seed`` always give the same items in the same order.

The mix, per item in feed order:

* ~30 % syndicated copies of a recent event from another outlet: wire
  decorations ("UPDATE 1-", "BREAKING: ", " - Outlet", "(LNA)"), clauses swapped
  around "as", or one verb changed;
* ~4 % re-deliveries of an earlier entry by the same feed (same GUID), and
  ~2 % aggregator entries pointing at an earlier link with tracking parameters;
* the rest new events: war headlines, and unrelated ones (sport, markets,
  weather, technology), some sharing place names with the watch set.

Summaries carry HTML (paragraphs, links, entities, a tracking script now and
then). Published times spread evenly over ``SPAN`` with a little jitter.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from monitor.records.models import RawEntry
from rules import RuleSet

START: Final = datetime(2026, 3, 2, tzinfo=UTC)
SPAN: Final = timedelta(days=3)
COPY_SHARE: Final = 0.30
REPEAT_SHARE: Final = 0.04
RELINK_SHARE: Final = 0.02
WAR_SHARE: Final = 0.55  # of new events
RECENT_EVENTS: Final = 150  # copies pick their original among this many latest events

OUTLETS: Final = (
    "Levant Wire", "Gulf Dispatch", "Northern Ledger", "Harbour Times", "Meridian Post",
    "Cedar Bulletin", "Orontes Daily", "Euphrates Review", "Atlas Newswire", "Crescent Chronicle",
    "Tidewater Herald", "Granite Gazette", "Silverline News", "Pinecrest Courier",
    "Saltmarsh Observer", "Bluewater Report", "Highland Sentinel", "Copperfield Tribune",
    "Riverbend Journal", "Eastgate Monitor", "Westbrook Chronicle", "Lantern Press",
    "Compass Newsroom", "Beacon Daily", "Keystone Wire", "Foothill Record", "Oasis Times",
    "Caravan Post", "Mosaic News Agency", "Horizon Bulletin", "Sandstone Herald",
    "Juniper Dispatch", "Falcon Wire", "Olive Branch Review", "Starling Report",
    "Delta Gazette", "Summit Ledger", "Marble Arch Courier", "Kestrel News", "Aggregator Hub",
)  # fmt: skip
AGENCIES: Final = ("(LNA)", "(GNS)", "(Meridian)", "(AWN)", "(Reuters-like)")
PREFIXES: Final = ("UPDATE 1-", "UPDATE 2-", "BREAKING: ", "EXCLUSIVE-", "WATCH: ")
# Verbs that are no rule's term, so a changed verb never changes which rules fire.
VERB_SWAPS: Final = {
    "pound": "batter", "batter": "pound", "hit": "target", "target": "hit",
    "encircle": "surround", "surround": "encircle", "shell": "bombard", "bombard": "shell",
}  # fmt: skip
WAR_TEMPLATES: Final = (
    "{actor} {verb} {place} as {term} {verb2} {place2}",
    "{n} dead after {actor} {term} in {place} overnight",
    "{actor} {term} {verb} villages near {place}, {n} reported hurt",
    "{place}: {actor} accused of {term} that left {n} displaced",
    "Monitor says {actor} {term} in {place} killed {n} fighters",
    "{actor} and {actor2} {verb} {place} as {term} spreads to {place2}",
    "{actor} commander says {term} on {place} will continue for {n} days",
)
OTHER_TEMPLATES: Final = (
    "Football: {place} side beat {team} {n}-{m} in World Cup qualifier, {player} scores twice",
    "{team} edge {place} {m}-{k} as {player} seals {n}th qualifier win",
    "{company} shares jump {n}% after {product} launch in {city}",
    "Oil {move} for {n}th session as {market} traders weigh {worry}",
    "{market} stocks {move} {n} points on {worry}, {company} leads {sector}",
    "Storm {storm} brings {n}mm of rain to {city}, {k} roads closed",
    "{city} records {n}C on {weekday}, hottest {month} day since {year}",
    "{company} unveils {n}-core {product} chip for {sector} buyers",
    "{place} film festival opens with {product} premiere and {n} films in competition",
    "Box office: {product} earns {n} million for {company} in {month} debut",
)
TEAMS: Final = (
    "Harbour United", "Red Cedars", "Falcons XI", "Northern Stars", "Blue Lions",
    "Granite Athletic", "Riverside Rovers", "Desert Hawks", "Coastal City", "Iron Valley",
)  # fmt: skip
PLAYERS: Final = ("Okafor", "Lindqvist", "Moreau", "Tanaka", "Haddad", "Novak", "Silva", "Reyes")
COMPANIES: Final = (
    "Quillsoft", "Nimbus Labs", "Orbitron", "Veltrix", "Copperleaf Systems", "Brightwave",
    "Solenne Motors", "Arcadia Foods", "Helix Pharma", "Tessera Bank",
)  # fmt: skip
PRODUCTS: Final = (
    "Aurora", "Lattice", "Pebble Pro", "Skyline", "Quartz", "Nightjar", "Emberfall", "Tidal",
)  # fmt: skip
MARKETS: Final = ("Asian", "European", "Gulf", "Tokyo", "Frankfurt", "London", "Sydney")
SECTORS: Final = ("banking", "retail", "energy", "gaming", "travel", "telecoms")
WORRIES: Final = ("rate worries", "supply fears", "weak factory data", "tariff talk",
                  "strong jobs data", "currency swings")  # fmt: skip
MOVES: Final = ("rises", "slips", "climbs", "falls", "rebounds", "steadies")
CITIES: Final = ("Port Amber", "Lakeview", "Stonebridge", "Elmsford", "Marrowgate",
                 "Windhollow", "Cresthaven", "Dunmere")  # fmt: skip
STORMS: Final = ("Aldo", "Brienne", "Casimir", "Delphine", "Ewan", "Fenna")
MONTHS: Final = ("March", "April", "May", "June")
WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry as a feed delivered it, with the generator's ground truth."""

    feed_url: str
    feed_name: str
    entry: RawEntry
    fetched_at: datetime
    event: int  # items with the same event report the same story
    kind: str  # "war", "other", "copy", "repeat" or "relink"


@dataclass(frozen=True, slots=True)
class _Event:
    number: int
    headline: str
    verb: str | None
    item: FeedItem


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The watch-set terms headlines are built from."""

    actors: tuple[str, ...]
    places: tuple[str, ...]
    escalation: tuple[str, ...]

    @classmethod
    def from_ruleset(cls, ruleset: RuleSet) -> Vocabulary:
        actors = [e.terms for e in ruleset.entities.values() if e.kind == "actor"]
        places = [e.terms for e in ruleset.entities.values() if e.kind == "place"]
        escalation = (
            ruleset.keywords["escalation"].terms if "escalation" in ruleset.keywords else ()
        )
        return cls(_flat(actors), _flat(places), escalation or ("offensive",))


def _flat(groups: list[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(term for group in groups for term in group) or ("Somebody",)


def slug(name: str) -> str:
    return "-".join(name.lower().split())


def feed_url(outlet: str) -> str:
    return f"https://news.{slug(outlet)}.example/feed.xml"


def generate_corpus(count: int, vocabulary: Vocabulary, seed: int = 2026) -> list[FeedItem]:
    """``count`` feed items in delivery order; the same arguments give the same list."""
    return _Generator(random.Random(seed), vocabulary, count).run()


class _Generator:
    def __init__(self, rng: random.Random, vocabulary: Vocabulary, count: int) -> None:
        self.rng = rng
        self.words = vocabulary
        self.count = count
        self.items: list[FeedItem] = []
        self.recent: deque[_Event] = deque(maxlen=RECENT_EVENTS)
        self.events = 0

    def run(self) -> list[FeedItem]:
        for position in range(self.count):
            moment = START + SPAN * (position / self.count)
            moment += timedelta(minutes=self.rng.uniform(-10, 10))
            self.items.append(self._next(moment))
        return self.items

    def _next(self, moment: datetime) -> FeedItem:
        roll = self.rng.random()
        if self.items and roll < REPEAT_SHARE:
            return self._repeat(moment)
        if self.items and roll < REPEAT_SHARE + RELINK_SHARE:
            return self._relink(moment)
        if self.recent and roll < REPEAT_SHARE + RELINK_SHARE + COPY_SHARE:
            return self._copy(moment)
        return self._new_event(moment)

    def _new_event(self, moment: datetime) -> FeedItem:
        war = self.rng.random() < WAR_SHARE
        headline, verb = self._war_headline() if war else (self._other_headline(), None)
        self.events += 1
        outlet = self.rng.choice(OUTLETS[:-1])
        item = self._item(outlet, headline, moment, self.events, "war" if war else "other")
        self.recent.append(_Event(self.events, headline, verb, item))
        return item

    def _copy(self, moment: datetime) -> FeedItem:
        event = self.rng.choice(self.recent)
        outlet = self.rng.choice([o for o in OUTLETS[:-1] if o != event.item.feed_name])
        headline = self._rewrite(event, outlet)
        return self._item(outlet, headline, moment, event.number, "copy")

    def _repeat(self, moment: datetime) -> FeedItem:
        earlier = self.rng.choice(self.items[-300:])
        return replace(earlier, fetched_at=moment + timedelta(minutes=5), kind="repeat")

    def _relink(self, moment: datetime) -> FeedItem:
        # An aggregator points at another outlet's article, never at its own entries.
        earlier = self.rng.choice([i for i in self.items[-300:] if i.feed_name != OUTLETS[-1]])
        link = f"{earlier.entry.link}?utm_source=hub&utm_medium=rss"
        entry = replace(earlier.entry, guid=f"hub-{len(self.items)}", link=link,
                        published=moment)  # fmt: skip
        outlet = OUTLETS[-1]
        return FeedItem(feed_url(outlet), outlet, entry, moment + timedelta(minutes=3),
                        earlier.event, "relink")  # fmt: skip

    def _rewrite(self, event: _Event, outlet: str) -> str:
        headline = event.headline
        choice = self.rng.randrange(6)
        if choice == 0 and event.verb is not None and event.verb in VERB_SWAPS:
            return headline.replace(f" {event.verb} ", f" {VERB_SWAPS[event.verb]} ", 1)
        if choice == 1 and " as " in headline:
            first, second = headline.split(" as ", 1)
            return f"{second[0].upper()}{second[1:]} as {first[0].lower()}{first[1:]}"
        if choice == 2:
            return f"{headline} - {outlet}"
        if choice == 3:
            return f"{headline} {self.rng.choice(AGENCIES)}"
        if choice == 4:
            return f"{self.rng.choice(PREFIXES)}{headline} | {outlet}"
        return f"{self.rng.choice(PREFIXES)}{headline}"

    def _war_headline(self) -> tuple[str, str]:
        pick = self.rng.choice
        verb = pick(tuple(VERB_SWAPS))
        slots = {
            "actor": pick(self.words.actors), "actor2": pick(self.words.actors),
            "place": pick(self.words.places), "place2": pick(self.words.places),
            "term": pick(self.words.escalation), "verb": verb, "verb2": pick(tuple(VERB_SWAPS)),
            "n": self.rng.randint(2, 400),
        }  # fmt: skip
        return _sentence(pick(WAR_TEMPLATES).format(**slots)), verb

    def _other_headline(self) -> str:
        pick, number = self.rng.choice, self.rng.randint
        slots = {
            "place": pick(self.words.places), "team": pick(TEAMS), "player": pick(PLAYERS),
            "company": pick(COMPANIES), "product": pick(PRODUCTS), "market": pick(MARKETS),
            "sector": pick(SECTORS), "worry": pick(WORRIES), "move": pick(MOVES),
            "city": pick(CITIES), "storm": pick(STORMS), "month": pick(MONTHS),
            "weekday": pick(WEEKDAYS), "year": number(1950, 2020),
            "n": number(2, 250), "m": number(0, 9), "k": number(0, 9),
        }  # fmt: skip
        return pick(OTHER_TEMPLATES).format(**slots)

    def _item(
        self, outlet: str, headline: str, moment: datetime, event: int, kind: str
    ) -> FeedItem:
        number = len(self.items)
        link = f"https://www.{slug(outlet)}.example/news/{moment:%Y/%m/%d}/story-{number}"
        entry = RawEntry(
            guid=f"{slug(outlet)}:{number}" if self.rng.random() < 0.8 else None,
            title=headline.replace("&", "&amp;") if self.rng.random() < 0.1 else headline,
            link=link,
            summary=self._summary(headline, outlet, link),
            published=self._published(moment),
            tags=(kind, self.rng.choice(("World", "Middle East", "Business", "Sport"))),
            author=f"{self.rng.choice(('Staff', 'Desk', 'Correspondent'))} ({outlet})",
        )
        fetched = moment + timedelta(minutes=self.rng.randint(1, 15))
        return FeedItem(feed_url(outlet), outlet, entry, fetched, event, kind)

    def _published(self, moment: datetime) -> datetime | None:
        roll = self.rng.random()
        if roll < 0.02:
            return None
        if roll < 0.2:  # some publishers give local time with an offset
            return moment.astimezone(timezone(timedelta(hours=3)))
        return moment

    def _summary(self, headline: str, outlet: str, link: str) -> str:
        detail = self.rng.choice(
            (
                "Residents described a tense night &amp; long queues at checkpoints.",
                "Officials gave no further details &mdash; a statement is expected later.",
                "The claim could not be independently verified.",
                "<em>Analysts</em> said the move was <b>widely expected</b>.",
            )
        )
        tracker = "<script>track('view')</script>" if self.rng.random() < 0.1 else ""
        return (
            f"<p>{headline}.</p><p>{detail}</p>{tracker}"
            f'<p><a href="{link}">Read more at {outlet}</a></p>'
        )


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]
