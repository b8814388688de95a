"""One name however it is written: "Turkey", "Turkish", "Türkiye", "Ankara", "تركيا".

The name veto keeps two reports apart when each names someone the other never mentions.
"Turkey's minister" and "Turkish minister" are one name written two ways; so are a
country and its demonym in any supported language, and the aliases a rule pack lists
for one entity. This module maps every one-word spelling, folded and stemmed as grouping
reads words, to one canonical name: the English name of the pack entry or country
(docs/decisions/0041-story-gates.md).

Two sources, merged: the entries of the bundled rule packs (``rules.packs``: each entry's
name and aliases), and the demonym table below, hand-written (a country's name and the
adjectives and nouns for its people, in English, French, Spanish, German, Turkish,
Russian, Ukrainian, Arabic and Persian). Only one-word spellings are keyed, since names
are compared word by word; a word that two entries claim names neither.

A name one report writes as one word and the other as two ("MtGox" / "Mt. Gox", "eBay" /
"e Bay") is one name too: it counts as mentioned when the other report's words join up
to it, or one of them is it joined to a word of its own report
(docs/decisions/0076-pieces-of-a-story.md); so is one written with a plural "s" the
stemmer leaves on ("PCs" / "PC", decision 0089), in a language that makes plurals so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from functools import cache, lru_cache

import rules
from monitor.stories.words import mentioned, stem
from rules.packs import bundled
from rules.text import normalise

# Country (its English name, as the packs name it where they list it): other one-word
# spellings, several languages per line, as the news writes them.
_DEMONYMS = {
    "Afghanistan": "Afghan Afghans afghan Afganistán Afgano Afghanistans Afgan Афганистан "
    "афганский Афганістан افغانستان",
    "Algeria": "Algerian Algerians Algérie algérien Argelia argelino Algerien algerisch "
    "Cezayir Алжир алжирский الجزائر",
    "Brazil": "Brazilian Brazilians Brésil brésilien Brasil brasileño Brasilien "
    "brasilianisch Brezilya Бразилия бразильский",
    "Britain": "British Briton Britons Grande-Bretagne britannique Británico "
    "Großbritannien britisch Britanya İngiltere İngiliz Британия британский بريطانيا "
    "بريطاني انگلیس",
    "Canada": "Canadian Canadians canadien Canadá canadiense Kanada kanadisch Канада "
    "канадский كندا",
    "China": "Chinese Chine chinois chinoise chino china Chinas chinesisch Çin Çinli "
    "Китай китайский Китаю Китаї китайський الصين صيني چین چینی",
    "Egypt": "Egyptian Egyptians Égypte égyptien Egipto egipcio Ägypten ägyptisch Mısır "
    "Египет египетский Єгипет مصر مصري",
    "France": "French Français française Francia francés Frankreich französisch Fransa "
    "Fransız Франция французский Франція французький فرنسا فرنسي فرانسه",
    "Germany": "German Germans Allemagne allemand Alemania alemán Deutschland deutsch "
    "deutsche Almanya Alman Германия немецкий Німеччина німецький ألمانيا الماني آلمان",
    "Greece": "Greek Greeks Grèce grec grecque Grecia griego Griechenland griechisch "
    "Yunanistan Yunan Греция греческий Греція грецький اليونان يوناني یونان",
    "India": "Indian Indians Inde indien indienne indio Indien indisch Hindistan Индия "
    "индийский Індія الهند هندي هند",
    "Iran": "Iranian Iranians iranien iraní iranisch İranlı Иран иранский Іран іранський "
    "ايران ايراني",
    "Iraq": "Iraqi Iraqis Irak irakien iraquí irakisch Iraklı Ирак иракский العراق عراقي عراق",
    "Israel": "Israeli Israelis Israël israélien israelí israelisch İsrail İsrailli "
    "Израиль израильский Ізраїль ізраїльський اسرائيل اسرائيلي",
    "Italy": "Italian Italians Italie italien Italia italiano Italien italienisch İtalya "
    "İtalyan Италия итальянский Італія ايطاليا",
    "Japan": "Japanese Japon japonais Japón japonés japanisch Japonya Япония японский "
    "Японія اليابان ژاپن",
    "Jordan": "Jordanian Jordanie jordanien Jordania jordano Jordanien jordanisch Ürdün "
    "Иордания الاردن اردني",
    "Lebanon": "Lebanese Liban libanais Líbano libanés Libanon libanesisch Lübnan Ливан "
    "ливанский لبنان لبناني",
    "Libya": "Libyan Libye libyen Libia libio Libyen libysch Libya Ливия ливийский ليبيا",
    "Mexico": "Mexican Mexicans Mexique mexicain México mexicano Mexiko mexikanisch "
    "Meksika Мексика мексиканский",
    "Pakistan": "Pakistani Pakistanis pakistanais Pakistán paquistaní pakistanisch "
    "Пакистан пакистанский باكستان پاکستان",
    "Poland": "Polish Poles Pologne polonais Polonia polaco Polen polnisch Polonya "
    "Польша польский Польща польський بولندا",
    "Qatar": "Qatari Qataris Katar qatari catarí katarisch Катар катарский قطر قطري",
    "Russia": "Russian Russians Russie russe Rusia ruso Russland russisch Rusya Rus "
    "Россия российский русский Росія російський روسيا روسي روسیه",
    "Saudi Arabia": "Saudi Saudis saoudien saoudite saudí saudisch Suudi Саудовская "
    "саудовский السعودية سعودي عربستان",
    "Spain": "Spanish Spaniard Spaniards Espagne espagnol España español Spanien "
    "spanisch İspanya Испания испанский Іспанія اسبانيا",
    "Sudan": "Sudanese Soudan soudanais Sudán sudanés sudanesisch Судан суданский السودان سوداني",
    "Syria": "Syrian Syrians Syrie syrien Siria sirio Syrien syrisch Suriye Suriyeli "
    "Сирия сирийский Сирія сирійський سوريا سورية سوريه",
    "Turkey": "Turkish Turks Türkiye Turquie turc turque Turquía turco Türkei türkisch "
    "Türk Турция турецкий Туреччина турецький تركيا تركي ترکیه",
    "Ukraine": "Ukrainian Ukrainians ukrainien Ucrania ucraniano ukrainisch Ukrayna "
    "Ukraynalı Украина украинский Україна український اوكرانيا اوکراین",
    "United States": "American Americans américain Estadounidense estadounidense "
    "amerikanisch Amerikan Amerika США американский американський امريكا امريكي امریکا",
    "Yemen": "Yemeni Yemenis Yémen yéménite yemení jemenitisch Jemen Йемен йеменский اليمن يمني",
}
# Each word read as every language's stemmer would read it: an article's words are
# stemmed in its own language, which the table's words are not tagged with.
_STEMMED_IN = ("", "fr", "es", "de", "tr")


def _spellings(name: str, aliases: Iterable[str]) -> set[str]:
    """The one-word forms of an entry's spellings, folded, stemmed every way."""
    words = (normalise(term) for term in (name, *aliases))
    single = {word for word in words if word and " " not in word}
    return {stem(word, language) for word in single for language in _STEMMED_IN} | single


def _pack_entries() -> Iterable[tuple[str, tuple[str, ...]]]:
    source = "use = [" + ", ".join(f'"{name}"' for name in sorted(bundled())) + "]\n"
    ruleset = rules.load_ruleset([rules.RuleSource("aliases.toml", source)])
    for name in sorted(ruleset.entities):
        for entry in ruleset.entities[name].entries:
            yield entry.name, entry.aliases


def _countries() -> dict[str, str]:
    """Each folded spelling of the demonym table → its country's canonical name."""
    return {
        normalise(word): normalise(country)
        for country, words in _DEMONYMS.items()
        for word in (country, *words.split())
    }


@cache
def canonical_names() -> dict[str, str]:
    """Stemmed one-word spelling → the canonical name it stands for. A pack entry the
    demonym table names is that country (the packs' entry for the Arabic adjective
    "روسي" is Russia's)."""
    countries = _countries()
    claims: defaultdict[str, set[str]] = defaultdict(set)
    entries = [*_pack_entries(), *((k, tuple(v.split())) for k, v in _DEMONYMS.items())]
    for name, aliases in entries:
        canonical = countries.get(normalise(name), normalise(name))
        for word in _spellings(name, aliases):
            claims[word].add(canonical)
    return {word: next(iter(names)) for word, names in claims.items() if len(names) == 1}


def canonical_of(tokens: Iterable[str]) -> frozenset[str]:
    """The canonical names these stemmed words spell."""
    known = canonical_names()
    found = frozenset(known[token] for token in tokens if token in known)
    return _shared(found) if found else _NONE


_NONE: frozenset[str] = frozenset()


@lru_cache(maxsize=4096)
def _shared(names: frozenset[str]) -> frozenset[str]:
    """One object for each set of names, as many articles name the same few: an indexed
    article holds a reference, not a set of its own."""
    return names


def unmentioned(
    names: Iterable[str],
    words: frozenset[str] | set[str],
    aliases: frozenset[str],
    own: Collection[str] = (),
    *,
    plurals: bool,
) -> bool:
    """Some name is not in ``words``: neither as it is, with Arabic proclitics, as another
    spelling of it (``aliases``: the canonical names ``words`` spell), nor joined or apart
    (``own``: the words of the names' own report; ``plurals``: see :func:`spelt_otherwise`)."""
    missing = [name for name in names if name not in words]  # most are: cheap first
    if not missing:
        return False
    known = canonical_names()
    return any(
        not mentioned(name, words)
        and (not aliases or known.get(name) not in aliases)
        and not spelt_otherwise(name, words, own, plurals=plurals)
        for name in missing
    )


_PART = 2  # letters a part of a joined name has at least: "mt", never "s"
# Languages whose nouns, names and abbreviations take a final "-s" as their plural:
# English, French, Spanish, Portuguese, Dutch, and German for abbreviations and loanwords
# ("die PCs", "TVs"), the short names this is for. Not Italian, Turkish, Polish or any
# other script: there "Kos" and "Ko" are two names. Unknown (""): grouping reads an
# unidentified report's words as English (``words.stem``'s light plural stemmer), and
# most of them are the window's own, so the plural is read there too (decision 0089).
S_PLURALS = frozenset(("", "de", "en", "es", "fr", "nl", "pt"))


def s_plurals(language: str, other: str) -> bool:
    """Both reports' languages make a plural with a final "-s" (:data:`S_PLURALS`)."""
    return language in S_PLURALS and other in S_PLURALS


def spelt_otherwise(
    name: str, words: Collection[str], own: Collection[str], *, plurals: bool
) -> bool:
    """``name`` is one name that ``words`` write apart or joined: two of ``words`` join up
    to it ("mtgox" = "mt" + "gox"), or it is one part of a word of ``words`` whose other
    part is a word of its own report (``own``): "gox" of "mtgox", with "mt" beside it.
    Any script: parts are compared as written, never by letter class. A plural "s" the
    light stemmer leaves on a short word is the same name too: "PCs" / "PC", "TVs" / "TV",
    when both reports' languages make plurals so (``plurals``, see :func:`s_plurals`;
    docs/decisions/0089-refused-joins.md)."""
    if len(name) < _PART:
        return False
    if plurals and _plural_of_one(name, words):
        return True
    for word in words:
        if len(word) < _PART:
            continue
        if len(name) >= len(word) + _PART and name.startswith(word):
            if name[len(word) :] in words:
                return True
        elif len(word) >= len(name) + _PART and own:
            if word.startswith(name) and word[len(name) :] in own:
                return True
            if word.endswith(name) and word[: -len(name)] in own:
                return True
    return False


def _plural_of_one(name: str, words: Collection[str]) -> bool:
    """``words`` hold ``name`` with a plural "s" or without it."""
    return name + "s" in words or (len(name) > _PART and name[-1] == "s" and name[:-1] in words)


def other_entities(mine: frozenset[str], theirs: frozenset[str]) -> bool:
    """Each side spells a known place or actor (canonical names) the other does not, in
    any case: "le ministre turc" / "le ministre grec", which the name veto misses, as
    French writes demonyms in lower case."""
    return bool(mine) and bool(theirs) and not mine <= theirs and not theirs <= mine
