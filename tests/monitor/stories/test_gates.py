"""Gates that know the world: before two reports join one story, their direction words,
their names (in any spelling: alias, demonym) and their numbers (in any script, with
decimal commas or thousands separators) must agree. Each look-alike comes with its
control, the same pair with the detail agreeing, which joins. Without the gate under
test, the look-alikes join, except the Arabic and Persian direction pairs (kept apart
by the name veto too: every word of those scripts counts as a name) and the 3.5 % /
3.6 % pair (near-identical with other numbers, vetoed before). Fixtures written for
these tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config.settings import DedupSettings
from monitor.records.models import Article, Verdict
from monitor.store.sqlite.store import SqliteStore
from monitor.stories.aliases import _DEMONYMS, _pack_entries, canonical_names
from monitor.stories.dedup import Deduplicator
from monitor.stories.directions import _AXES, _TARGET_AXIS, _TARGETS, directions, opposed
from monitor.stories.headlines import fold
from monitor.stories.index import StoryIndex
from monitor.stories.numbers import join_thousands, read_numbers, with_whole_parts
from rules.text import normalise

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
BACKGROUND = (
    ("Parliament passes budget after long debate", "en"),
    ("Storm closes schools across the north", "en"),
    ("Les prix du pétrole grimpent sur les marchés mondiaux", "fr"),
    ("Ölpreise steigen an den Weltmärkten", "de"),
)


def _kind(first: str, second: str, language: str) -> str | None:
    """How ``second`` joins the story ``first`` opened, both articles in ``language``."""
    index = StoryIndex(timedelta(hours=48), threshold=88)
    for number, (title, written_in) in enumerate(BACKGROUND):
        index.add(f"bg{number}", f"bg{number}", title, NOW - timedelta(hours=2),
                  language=written_in)  # fmt: skip
    index.add("s1", "a1", first, NOW, language=language)
    found = index.find(second, NOW + timedelta(hours=1), language=language)
    return found.kind.value if found is not None and found.story_id == "s1" else None


# (language, report, the same direction in other words, the opposite direction)
DIRECTIONS = [
    ("en", "Shares rise as central bank signals rate hike",
     "Shares rise as the central bank signals a rate hike",
     "Shares slide as central bank signals rate cut"),
    ("en", "Wall Street closes higher after strong jobs report",
     "Wall Street closes higher after a strong jobs report",
     "Wall Street closes lower after strong jobs report"),
    ("en", "Senate approves spending bill after marathon session",
     "Senate approves the spending bill after marathon session",
     "Senate rejects spending bill after marathon session"),
    ("en", "Labour wins Hartlepool seat in tight by-election",
     "Labour wins the Hartlepool seat in a tight by-election",
     "Labour loses Hartlepool seat in tight by-election"),
    ("", "Oil prices jump after Opec meeting in Vienna",
     "Oil prices jump after the Opec meeting in Vienna",
     "Oil prices drop after Opec meeting in Vienna"),
    ("fr", "Le CAC 40 termine en hausse après la décision de la BCE",
     "Le CAC 40 termine en hausse après une décision de la BCE",
     "Le CAC 40 termine en baisse après la décision de la BCE"),
    ("es", "El Ibex 35 sube con fuerza tras la decisión del BCE",
     "El Ibex 35 sube con fuerza tras una decisión del BCE",
     "El Ibex 35 cae con fuerza tras la decisión del BCE"),
    ("de", "Der DAX steigt deutlich nach der Zinsentscheidung der EZB",
     "Der DAX steigt deutlich nach einer Zinsentscheidung der EZB",
     "Der DAX fällt deutlich nach der Zinsentscheidung der EZB"),
    ("en", "Health plan sign-ups surpass targets in New Hampshire",
     "Health plan sign-ups surpass the targets in New Hampshire",
     "Health plan sign-ups miss targets in New Hampshire"),
    ("tr", "Merkez Bankası kararı sonrası Borsa İstanbul yükseldi",
     "Merkez Bankası kararı sonrası Borsa İstanbul da yükseldi",
     "Merkez Bankası kararı sonrası Borsa İstanbul düştü"),
    ("ru", "Акции Газпрома выросли после решения Центробанка по ставке",
     "Акции Газпрома выросли после решения Центробанка о ставке",
     "Акции Газпрома упали после решения Центробанка по ставке"),
    ("uk", "Акції Укрнафти зросли після рішення Нацбанку щодо ставки",
     "Акції Укрнафти зросли після рішення Нацбанку про ставки",
     "Акції Укрнафти впали після рішення Нацбанку щодо ставки"),
    ("ar", "ارتفاع أسعار النفط في الأسواق العالمية بعد قرار أوبك",
     "ارتفاع أسعار النفط في الأسواق العالمية بعد قرار أوبك الأخير",
     "انخفاض أسعار النفط في الأسواق العالمية بعد قرار أوبك"),
    ("fa", "افزایش قیمت نفت در بازارهای جهانی پس از تصمیم اوپک",
     "افزایش قیمت نفت در بازارهای جهانی پس از تصمیم جدید اوپک",
     "کاهش قیمت نفت در بازارهای جهانی پس از تصمیم اوپک"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "report", "same", "opposite"), DIRECTIONS)
def test_opposite_directions_keep_reports_apart(
    language: str, report: str, same: str, opposite: str
) -> None:
    assert _kind(report, same, language) is not None
    assert _kind(report, opposite, language) is None


# A target axis word with no target noun near is a match's or an everyday word: one
# match's reports, or a lack and a figure, join (they did before the target axis).
UNTARGETED = [
    ("en", "Arsenal beat Chelsea 2-1 at Stamford Bridge",
     "Chelsea miss penalty at Stamford Bridge"),
    ("fr", "Le PSG dépasse Lyon au Parc des Princes",
     "Le PSG rate un penalty au Parc des Princes"),
    ("fr", "Manque de pluie: les agriculteurs de la Beauce inquiets",
     "Les agriculteurs de la Beauce inquiets: la pluie dépasse les moyennes"),
    ("es", "Real Madrid supera al Atlético en el derbi del Bernabéu",
     "Atlético incumple en el derbi del Bernabéu"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "report", "other"), UNTARGETED)
def test_beaten_and_missed_with_no_target_near_join(language: str, report: str, other: str) -> None:
    assert _kind(report, other, language) is not None


@pytest.mark.parametrize(
    ("first", "second", "language", "apart"),
    [
        ("shares rise as bank signals rate hike", "shares slide as bank signals rate cut",
         "en", True),
        # each axis alone: prices moving, a rate set
        ("shares rise after the vote", "shares fall after the vote", "en", True),
        ("bank hikes rates", "bank cuts rates", "en", True),
        # one headline holds both directions of the axis: it vetoes nothing
        ("oil rises as gold falls", "gold falls", "en", False),
        # different axes never oppose
        ("bank cuts rates", "shares rise", "en", False),
        # stemmed in the article's language: "baissent" is "baisse"
        ("les actions montent", "les actions baissent", "fr", True),
        ("las acciones suben", "las acciones bajan", "es", True),
        ("Aktien steigen", "Aktien fallen", "de", True),
        ("hisseler yükseldi", "hisseler düştü", "tr", True),
        ("акции выросли", "акции упали", "ru", True),
        ("акції зросли", "акції впали", "uk", True),
        ("ارتفاع الأسهم", "انخفاض الأسهم", "ar", True),
        ("افزایش سهام", "کاهش سهام", "fa", True),
        # talks reaching agreement or breaking down
        ("Iran and the IAEA agree on inspections", "Iran and IAEA talks on inspections collapse",
         "en", True),
        ("Tarifparteien einigen sich bei der Bahn", "Tarifgespräche bei der Bahn gescheitert",
         "de", True),
        ("talks fail to reach agreement", "talks reach agreement", "en", False),
        # a figure against its target: beaten or missed
        ("sign-ups surpass targets", "sign-ups may miss goal", "en", True),
        ("Apple beats estimates", "Apple misses estimates", "en", True),
        ("le chiffre d'affaires dépasse les attentes", "le chiffre d'affaires rate les attentes",
         "fr", True),
        ("las ventas superan las previsiones", "las ventas incumplen las previsiones", "es",
         True),
        ("Umsatz übertrifft Prognose", "Umsatz verfehlt Prognose", "de", True),
        ("Выручка превысила план", "Выручка упала", "ru", False),
        ("missing plane search widens", "search surpasses records", "en", False),
        ("Выручка превысила прогноз", "Выручка выросла", "ru", False),
        # ... only with a target noun near: a match's words, a lack, say neither way
        ("Arsenal beat Chelsea 2-1 at Stamford Bridge", "Chelsea miss penalty at Stamford Bridge",
         "en", False),
        ("Le PSG dépasse Lyon", "Le PSG rate un penalty", "fr", False),
        ("le manque de pluie", "la pluie dépasse les moyennes", "fr", False),
        ("el Madrid supera al Atlético", "el Atlético incumple el contrato", "es", False),
        ("Bayern übertrifft Dortmund", "Dortmund verfehlt das Tor", "de", False),
        ("Apple beats Samsung in phone sales race", "Apple misses estimates", "en", False),
        ("Выручка превысила план", "Выручка превысила прогноз", "ru", False),
        # a negated direction word says neither way
        ("Brexit talks end without agreement", "Brexit talks collapse", "en", False),
        ("las negociaciones terminan sin acuerdo", "las negociaciones fracasan", "es", False),
        # people leaving a place or going back to it
        ("residents flee Grindavik", "residents return to Grindavik", "en", True),
        ("les habitants fuient Valence", "les habitants rentrent à Valence", "fr", True),
        ("жители эвакуированы из Валенсии", "жители возвращаются в Валенсию", "ru", True),
        ("السكان يفرون من حلب", "عودة السكان إلى حلب", "ar", True),
        ("residents flee as others return", "residents return", "en", False),
        # French words are not read in an English article
        ("shares rise", "baisse des actions", "en", False),
    ],
)  # fmt: skip
def test_directions_oppose_on_one_axis(first: str, second: str, language: str, apart: bool) -> None:
    mine = directions(fold(first).split(), language)
    theirs = directions(fold(second).split(), language)
    assert opposed(mine, theirs) is apart
    assert opposed(theirs, mine) is apart


@pytest.mark.parametrize("language", ["en", "fr", "es", "de", "tr", "ru", "uk", "ar", "fa"])
def test_every_listed_direction_word_is_read_with_its_pole(language: str) -> None:
    """No word of the tables is lost to another table's word with the same stem (the
    target axis's words read beside a target noun)."""
    target = normalise(_TARGETS.get(language, "")).split()[:1]
    misread = [
        (word, sorted(found))
        for axis, sides in enumerate(_AXES)
        for side, by_language in enumerate(sides)
        for word in normalise(by_language.get(language, "")).split()
        if (found := directions([word, *(target if axis == _TARGET_AXIS else [])], language))
        != {axis * 2 + side}
        and (axis * 2 + side not in found or any(pole ^ 1 in found for pole in found))
    ]
    assert misread == []


def test_every_one_word_spelling_names_its_entry() -> None:
    """Of the packs' entries and the demonym table, no spelling is claimed twice (and so
    lost); a pack entry the table names is that country."""
    known = canonical_names()
    countries = {normalise(word): normalise(country) for country, words in _DEMONYMS.items()
                 for word in (country, *words.split())}  # fmt: skip
    entries = [*_pack_entries(), *((k, tuple(v.split())) for k, v in _DEMONYMS.items())]
    lost = [
        (name, word)
        for name, aliases in entries
        for word in map(normalise, (name, *aliases))
        if word
        and " " not in word
        and known.get(word) != countries.get(normalise(name), normalise(name))
    ]
    assert lost == []


# (language, report, the same name written another way, another name in its place)
NAMES = [
    ("en", "Turkish minister meets Syrian envoy in Damascus",
     "Turkey's minister meets Syrian envoy in Damascus",
     "Greek minister meets Syrian envoy in Damascus"),
    ("en", "Chinese navy holds drills near Taiwan strait",
     "China's navy holds drills near Taiwan strait",
     "Japanese navy holds drills near Taiwan strait"),
    ("en", "Iranian drones hit fuel depot near Erbil airport",
     "Iran's drones hit fuel depot near Erbil airport",
     "Israeli drones hit fuel depot near Erbil airport"),
    ("en", "Ukrainian troops retake village near Bakhmut",
     "Ukraine's troops retake village near Bakhmut",
     "Russian troops retake village near Bakhmut"),
    ("fr", "Le ministre turc arrive à Damas pour des pourparlers",
     "Le ministre de la Turquie arrive à Damas pour des pourparlers",
     "Le ministre grec arrive à Damas pour des pourparlers"),  # lower case: not a name
    ("es", "El ministro turco llega a Damasco para negociar",
     "El ministro de Turquía llega a Damasco para negociar",
     "El ministro iraní llega a Damasco para negociar"),
    ("tr", "Türk Dışişleri Bakanı Şam'da Suriyeli mevkidaşıyla görüştü",
     "Türkiye Dışişleri Bakanı Şam'da Suriyeli mevkidaşıyla görüştü",
     "Yunan Dışişleri Bakanı Şam'da Suriyeli mevkidaşıyla görüştü"),
    ("ar", "مسؤول روسي يصل إلى دمشق لبحث الأزمة",
     "مسؤول من روسيا يصل إلى دمشق لبحث الأزمة",
     "مسؤول تركي يصل إلى دمشق لبحث الأزمة"),
    ("ru", "Турецкий министр прибыл в Дамаск на переговоры",
     "Министр Турции прибыл в Дамаск на переговоры",
     "Министр Греции прибыл в Дамаск на переговоры"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "report", "alias", "other"), NAMES)
def test_a_name_and_its_demonym_are_one_name(
    language: str, report: str, alias: str, other: str
) -> None:
    assert _kind(report, alias, language) is not None
    assert _kind(report, other, language) is None


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("turkish", "turkey"), ("turkey", "turkey"), ("ankara", "turkey"), ("turk", "turkey"),
        ("syrian", "syria"), ("aleppo", "aleppo"), ("halep", "aleppo"),
        ("american", "united states"), ("chinese", "china"), ("ukrainian", "ukraine"),
    ],
)  # fmt: skip
def test_spellings_map_to_one_canonical_name(spelling: str, canonical: str) -> None:
    assert canonical_names()[spelling] == canonical


def test_distinct_places_keep_distinct_names() -> None:
    names = canonical_names()
    assert names["damascus"] != names["aleppo"]
    assert names["turkish"] != names["greek"] if "greek" in names else True
    assert "minister" not in names


@pytest.mark.parametrize(
    ("text", "language", "values"),
    [
        ("inflation at 3,5 %", "de", {"3.5"}),
        ("inflation at 3.5%", "en", {"3.5"}),
        ("inflation at 3,5 %", "en", {"3.5"}),  # three-digit groups only are thousands
        ("التضخم ٣٫٥ بالمئة", "ar", {"3.5"}),
        ("تورم ۳٫۵ درصد", "fa", {"3.5"}),
        ("3,50 €", "fr", {"3.5"}),
        ("1,200 dead", "en", {"1200"}),
        ("1.200 Tote", "de", {"1200"}),
        ("1 200 morts", "fr", {"1200"}),
        ("1 200 погибших", "ru", {"1200"}),
        ("١٬٢٠٠ قتيل", "ar", {"1200"}),
        ("1,250,000 people", "en", {"1250000"}),
        ("1.250.000 Menschen", "de", {"1250000"}),
        ("1,25 Milliarden", "de", {"1.25"}),
        ("1,250 Milliarden", "de", {"1.25"}),  # the comma is German's decimal mark
        ("kills 3 200", "en", {"3", "200"}),  # English does not group with spaces
        ("on 12.05.2024", "en", {"12", "05", "2024"}),
        ("Day 2", "en", {"2"}),
    ],
)
def test_numbers_are_read_as_values(text: str, language: str, values: set[str]) -> None:
    assert read_numbers(text, language) == values


@pytest.mark.parametrize(
    ("values", "compared"),
    [
        ({"2.1"}, {"2.1", "2"}),  # "$2.1 million" agrees with "$2 million"
        ({"0.07", "12"}, {"0.07", "0", "12"}),
        ({"1200"}, {"1200"}),  # thousands are one value: "1,200" shares nothing with "1"
    ],
)
def test_a_decimal_also_counts_as_its_whole_part(values: set[str], compared: set[str]) -> None:
    assert with_whole_parts(frozenset(values)) == compared


@pytest.mark.parametrize(
    ("text", "language", "joined"),
    [
        ("1,200 dead", "en", "1200 dead"),
        ("1 200 morts", "fr", "1200 morts"),
        ("3,5 %", "de", "3,5 %"),  # a decimal stays as it is written
        ("kills 3 200", "en", "kills 3 200"),
    ],
)
def test_thousands_are_joined_before_folding(text: str, language: str, joined: str) -> None:
    assert join_thousands(text, language) == joined


NUMBERS = [
    # (language, report, the same number written another way, another number)
    ("en", "Quake in eastern Turkey kills 1,200 as rescuers search rubble",
     "Rescuers search rubble in eastern Turkey after quake kills 1200",
     "Rescuers search rubble in eastern Turkey after quake kills 1,300"),
    ("de", "Bund stellt 1.200 Millionen Euro für den Wiederaufbau bereit",
     "Bund stellt 1200 Millionen Euro für den Wiederaufbau bereit",
     "Bund stellt 1.300 Millionen Euro für den Wiederaufbau bereit"),
    ("fr", "La Turquie débloque 1 200 millions d'euros pour la reconstruction",
     "La Turquie débloque 1200 millions d'euros pour la reconstruction",
     "La Turquie débloque 1 300 millions d'euros pour la reconstruction"),
    ("ar", "زلزال شرق تركيا يقتل ١٬٢٠٠ شخص",
     "زلزال شرق تركيا يقتل 1200 شخص",
     "زلزال شرق تركيا يقتل ١٬٣٠٠ شخص"),
    ("en", "Legal pot sales bring Colorado $2.1 million in taxes in first month",
     "Colorado pot taxes reach $2 million in first month of legal sales",  # rounded
     "Colorado pot taxes reach $3 million in first month of legal sales"),
    ("en", "Turkish inflation slows to 3.5% in May",
     "Turkish inflation slows to 3,5 % in May",
     "Turkish inflation slows to 3.6% in May"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "report", "same", "other"), NUMBERS)
def test_one_number_in_any_writing_agrees(
    language: str, report: str, same: str, other: str
) -> None:
    assert _kind(report, same, language) is not None
    assert _kind(report, other, language) is None


def _article(number: int, title: str, language: str = "en") -> Article:
    feed = f"http://outlet-{number}.test/feed"
    return Article(article_id=f"a{number}", feed_url=feed, feed_name=f"Outlet {number}",
                   guid=f"g{number}", title=title, link=f"https://outlet-{number}.test/{number}",
                   summary="", content="", published=NOW, fetched_at=NOW,
                   language=language)  # fmt: skip


async def test_the_daemons_dedup_applies_the_gates(tmp_path: Path) -> None:
    """Through Deduplicator and SQLite, as ingest runs it: a demonym folds into its
    country's story; an opposite direction and another number open stories of their own."""
    titles = [
        "Turkish minister meets Syrian envoy in Damascus",
        "Turkey's minister meets Syrian envoy in Damascus",
        "Shares rise as central bank signals rate hike",
        "Shares slide as central bank signals rate cut",
        "Quake in eastern Turkey kills 1,200 as rescuers search rubble",
        "Rescuers search rubble in eastern Turkey after quake kills 1,300",
    ]
    store = SqliteStore(str(tmp_path / "ww.db"))
    await store.open()
    try:
        dedup = Deduplicator(store, DedupSettings())
        verdicts = []
        for number, title in enumerate(titles):
            article = _article(number, title)
            decision = await dedup.classify(article)
            await store.record_article(article, decision, [])
            dedup.remember(article, decision)
            verdicts.append(decision.verdict)
    finally:
        await store.close()
    assert verdicts == [Verdict.NEW_STORY, Verdict.FOLDED, *[Verdict.NEW_STORY] * 4]
