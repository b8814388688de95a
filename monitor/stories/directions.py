"""Direction words: two headlines that say opposite things happened are two stories.

"Shares rise as bank signals rate hike" and "shares slide as bank signals rate cut" share
every other word; only their direction words tell them apart. Each axis below pairs the
words of one direction with those of its opposite, per language, hand-written and small
(docs/decisions/0041-story-gates.md). A headline's directions are read once, as a set of
poles (``axis * 2`` and ``axis * 2 + 1``); two headlines are opposed when one holds a pole
whose opposite only the other holds, on an axis where neither holds both.

Words are matched as grouping reads them: folded and stemmed in the article's language
(``monitor.stories.words.stem``), so "baisse" and "baissent" meet in a French article.
An article reads its own language's table (English when the language is unknown or has
none) and the tables of the scripts no English word is written in (Arabic, Persian,
Russian, Ukrainian).
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache, lru_cache

from monitor.stories.words import stem
from rules.text import normalise

# axis: (one direction, its opposite), each "language: words" lines
_AXES: tuple[tuple[dict[str, str], dict[str, str]], ...] = (
    (  # prices, figures, markets moving
        {
            "en": """rise rises rising rose risen climb climbs climbed climbing jump jumps
                jumped surge surges surged soar soars soared rally rallies rallied gain
                gains gained up higher""",
            "fr": "hausse monte montent grimpe grimpent bondit progresse progressent",
            "es": "sube suben alza subida repunta repuntan dispara disparan",
            "de": "steigt steigen stieg gestiegen klettert klettern Anstieg",
            "tr": "yükseldi yükseliş arttı tırmandı",
            "ru": "вырос выросла выросли растут рост подорожал подорожала подорожали",
            "uk": "зріс зросла зросли зростання подорожчав подорожчала подорожчали",
            "ar": "ارتفاع ارتفع ارتفعت صعود يرتفع ترتفع",
            "fa": "افزایش صعود",
        },
        {
            "en": """fall falls falling fell fallen drop drops dropped dropping slide slides
                slid sliding slump slumps slumped plunge plunges plunged tumble tumbles
                tumbled sink sinks sank decline declines declined dip dips dipped down
                lower""",
            "fr": "baisse baissent chute chutent recule reculent plonge plongent",
            "es": "baja bajan cae caen caída desploma desploman retrocede retroceden",
            "de": "fällt fallen fiel gefallen sinkt sinken sank gesunken Rückgang",
            "tr": "düştü düşüş geriledi",
            "ru": "упал упала упали падение подешевел подешевела подешевели",
            "uk": "впав впала впали падіння подешевшав подешевшала подешевшали",
            "ar": "انخفاض انخفض انخفضت هبوط هبط تراجع تراجعت",
            "fa": "کاهش سقوط",
        },
    ),
    (  # a rate, tax, price or budget set higher or lower
        {
            "en": "raise raises raised raising hike hikes hiked increase increases increased",
            "fr": "relève augmente augmentent augmentation",
            "es": "aumenta aumentan aumento eleva elevan",
            "de": "erhöht erhöhen Erhöhung",
            "tr": "artırdı artırım",
            "ru": "повысил повысила повысили повышение",
            "uk": "підвищив підвищила підвищили підвищення",
            "ar": "رفع يرفع ترفع زيادة",
        },
        {
            "en": "cut cuts cutting reduce reduces reduced slash slashes slashed",
            "fr": "baisse abaisse réduit réduisent réduction",
            "es": "recorta recortan recorte rebaja rebajan reduce reducen",
            "de": "senkt senken Senkung kürzt kürzen",
            "tr": "indirdi indirim düşürdü",
            "ru": "снизил снизила снизили снижение",
            "uk": "знизив знизила знизили зниження",
            "ar": "خفض يخفض تخفض تخفيض",
        },
    ),
    (  # contests
        {
            "en": "win wins won winning victory",
            "fr": "gagne gagnent remporte victoire",
            "es": "gana ganan victoria",
            "de": "gewinnt gewinnen siegt Sieg",
            "tr": "kazandı galibiyet",
            "ru": "победил победила победили победа",
            "uk": "переміг перемогла перемогли перемога",
            "ar": "فوز فاز",
            "fa": "پیروزی",
        },
        {
            "en": "lose loses lost losing defeat defeated",
            "fr": "perd perdent défaite",
            "es": "pierde pierden derrota",
            "de": "verliert verlieren Niederlage",
            "tr": "kaybetti yenilgi",
            "ru": "проиграл проиграла проиграли поражение",
            "uk": "програв програла програли поразка",
            "ar": "خسارة خسر",
            "fa": "شکست",
        },
    ),
    (  # results
        {"en": "profit profits", "fr": "bénéfice", "es": "beneficio", "de": "Gewinn"},
        {
            "en": "loss losses",
            "fr": "perte pertes",
            "es": "pérdida pérdidas",
            "de": "Verlust Verluste",
        },
    ),
    (  # doors, borders, markets, polls
        {
            "en": "opens opened reopen reopens reopened",  # not "open": see _NOT_DIRECTIONS
            "fr": "ouvre rouvre",
            "es": "abre reabre",
            "de": "öffnet",
            "ru": "открыл открыла открыли открытие",
            "uk": "відкрив відкрила відкрили відкриття",
            "ar": "فتح افتتاح",
        },
        {
            "en": "closes closed shut shuts",  # not "close": "close to a deal"
            "fr": "ferme fermeture",
            "es": "cierra cierre",
            "de": "schließt",
            "ru": "закрыл закрыла закрыли закрытие",
            "uk": "закрив закрила закрили закриття",
            "ar": "اغلاق اغلق",
        },
    ),
    (  # votes and offers
        {
            "en": "approve approves approved approval accept accepts accepted",
            "fr": "approuve adopte accepte",
            "es": "aprueba aprueban acepta",
            "de": "billigt genehmigt",
            "tr": "onayladı",
            "ru": "одобрил одобрила одобрили",
            "uk": "схвалив схвалила схвалили",
            "ar": "وافق موافقة",
            "fa": "تصویب",
        },
        {
            "en": "reject rejects rejected rejection refuse refuses refused",
            "fr": "rejette refuse",
            "es": "rechaza rechazan",
            "de": "lehnt Ablehnung",
            "tr": "reddetti",
            "ru": "отклонил отклонила отклонили отверг",
            "uk": "відхилив відхилила відхилили",
            "ar": "رفض",
        },
    ),
    (  # talks reaching agreement or breaking down
        {
            "en": "agree agrees agreed agreement",
            "fr": "accordent entente",
            "es": "acuerdan acordaron",
            "de": "einigen einigt geeinigt Einigung",
            "tr": "anlaştı uzlaştı",
            "ru": "договорились договорилась",
            "uk": "домовилися домовилась",
            "ar": "تتفقان يتفقان اتفقا اتفقت يتفق تتفق",
            "fa": "توافق",
        },
        {
            "en": "collapse collapses collapsed fail fails failed breakdown",
            "fr": "échouent échoue échec capotent",
            "es": "fracasan fracasa fracaso",
            "de": "scheitern scheitert gescheitert",
            "tr": "çöktü başarısız",
            "ru": "сорвались провалились провал",
            "uk": "зірвалися провалилися провал",
            "ar": "انهيار تنهار انهارت فشل فشلت",
        },
    ),
    (  # sanctions, bans, curfews
        {
            "en": "impose imposes imposed",
            "fr": "impose",
            "es": "impone",
            "ru": "ввел ввела ввели",
        },
        {
            "en": "lift lifts lifted",
            "fr": "lève",
            "es": "levanta",
            "ru": "снял сняла сняли",
        },
    ),
    (  # a figure against its target or forecast: beaten or missed
        {
            "en": """beat beats surpass surpasses surpassed exceed exceeds exceeded outperform
                outperforms outperformed""",
            "fr": "dépasse dépassent surpasse surpassent",
            "es": "supera superan superó",
            "de": "übertrifft übertreffen übertroffen",
            "ru": "превысил превысила превысили превзошёл",
            "uk": "перевищив перевищила перевищили",
        },
        {
            "en": "miss misses missed underperform underperforms underperformed",
            "fr": "manque manquent rate ratent",
            "es": "incumple incumplen",
            "de": "verfehlt verfehlen verfehlte",
        },
    ),
    (  # people leaving a place or going back to it (an evacuation and the return after)
        {
            "en": """flee flees fled fleeing evacuate evacuates evacuated evacuating
                evacuation evacuations""",
            "fr": "fuient fuit fuite évacuation évacués évacuée évacuent évacue",
            "es": "huyen huye evacuación evacuados evacuan evacúan",
            "de": "fliehen flieht flohen Flucht evakuiert Evakuierung",
            "tr": "kaçtı kaçıyor tahliye",
            "ru": "бегут бежали эвакуация эвакуировали эвакуированы",
            "uk": "тікають евакуація евакуювали евакуйовано",
            "ar": "فرار نزوح إجلاء يفرون فروا",
            "fa": "فرار تخلیه",
        },
        {
            "en": "return returns returned returning",
            "fr": "retour retournent reviennent rentrent",
            "es": "regresan regreso retornan vuelven",
            "de": "Rückkehr zurückkehren heimkehren",
            "tr": "döndü dönüyor dönüş",
            "ru": "вернулись возвращаются возвращение",
            "uk": "повернулися повертаються повернення",
            "ar": "عودة عادوا يعودون",
            "fa": "بازگشت",
        },
    ),
)
# The target axis's words ("beat", "miss", "dépasse", "rate") are also a match's words
# ("Arsenal beat Chelsea", "Chelsea miss penalty") and everyday ones ("manque": a lack):
# they name a direction only with a target noun at most ``_TARGET_REACH`` words away.
_TARGET_AXIS = 8  # its place in _AXES
_TARGET_POLES = frozenset({_TARGET_AXIS * 2, _TARGET_AXIS * 2 + 1})
_TARGET_REACH = 3
_TARGETS = {
    "en": """estimate estimates forecast forecasts target targets goal goals expectations
        projections""",
    "fr": "objectif objectifs prévision prévisions attentes",
    "es": "objetivo objetivos previsión previsiones expectativas",
    "de": "Ziel Ziele Prognose Prognosen Erwartung Erwartungen",
    "ru": "план плана планы прогноз прогноза прогнозы ожидания ожиданий цель цели",
    "uk": "план плану плани прогноз прогнозу прогнози очікування очікувань ціль цілі мету",
}
# English "goal" is also a match's goal ("misses open goal", "late goal beats Arsenal"),
# which other languages write with another word (but, gol, Tor, гол). A goal is a
# match's beside a match's word or right before a match's verb. Bare after a verb it is
# not told from a target's ("sign-ups beat goal", "Tesla misses its goal"), so it stays
# a target's there: the other report of the match ("Costa goal beats Arsenal") reads no
# target, so nothing opposes the two.
_AMBIGUOUS_TARGETS = frozenset({"goal"})  # stems, English only
_MATCH_BESIDE = frozenset(
    """open own empty late winning golden disallowed equalising equalizing stoppage injury
    scoring scorer scorers chance chances kick line mouth drought celebration header
    keeper""".split()
)
_MATCH_VERBS = frozenset({"beat", "miss", "misse", "missed"})  # "misses" stems to "misse"
# Words that turn the direction word after them into no direction at all, folded.
_NEGATIONS = frozenset(
    "without no not never sans pas sin ohne kein keine keinen без не ні بدون بلا لا olmadan".split()
)
# Folded words whose stem names a direction they do not: "opens" stems to "open", and
# "open letter", "open goal", "open to talks" say nothing opened.
_NOT_DIRECTIONS = frozenset({"open"})
_SCRIPTS_OF_THEIR_OWN = ("ar", "fa", "ru", "uk")
_LATIN = ("fr", "es", "de", "tr")
NO_DIRECTIONS: frozenset[int] = frozenset()


def _poles_by_stem(language: str) -> dict[str, frozenset[int]]:
    """Stem → the poles it names, for the words listed under ``language``."""
    poles: defaultdict[str, set[int]] = defaultdict(set)
    for axis, sides in enumerate(_AXES):
        for side, words in enumerate(sides):
            for word in normalise(words.get(language, "")).split():
                poles[stem(word, language)].add(axis * 2 + side)
    return {word: frozenset(found) for word, found in poles.items()}


@cache
def table(language: str) -> dict[str, frozenset[int]]:
    """The direction stems an article in ``language`` is read with; a stem listed on
    both sides of one axis (in two languages sharing a script) says nothing and is
    left out."""
    merged: defaultdict[str, set[int]] = defaultdict(set)
    own = language if language in _LATIN else "en"
    for source in (own, *_SCRIPTS_OF_THEIR_OWN):
        for word, poles in _poles_by_stem(source).items():
            merged[word].update(poles)
    return {
        word: frozenset(poles)
        for word, poles in merged.items()
        if not any(pole ^ 1 in poles for pole in poles)
    }


@cache
def targets(language: str) -> frozenset[str]:
    """The target nouns' stems an article in ``language`` is read with (as ``table``)."""
    own = language if language in _LATIN else "en"
    return frozenset(
        stem(word, source)
        for source in (own, *_SCRIPTS_OF_THEIR_OWN)
        for word in normalise(_TARGETS.get(source, "")).split()
    )


def directions(folded_words: list[str], language: str = "") -> frozenset[int]:
    """The poles a headline's folded words (stop words included: "up", "down") name."""
    known = table(language if language in _LATIN else "")
    keys = [stem(word, language) for word in folded_words]
    found = []
    for place, key in enumerate(keys):
        poles = known.get(key) if folded_words[place] not in _NOT_DIRECTIONS else None
        if (
            poles
            and not poles.isdisjoint(_TARGET_POLES)
            and not _near_target(keys, place, language)
        ):
            poles = poles - _TARGET_POLES or None
        if poles is not None:  # "without agreement", "sin acuerdo": neither way
            negated = place and folded_words[place - 1] in _NEGATIONS
            found.append(_both(poles) if negated else poles)
    return _shared(frozenset().union(*found)) if found else NO_DIRECTIONS


def _near_target(keys: list[str], place: int, language: str) -> bool:
    """A target noun within reach of the word at ``place``: "beats estimates", "dépasse
    les attentes", not "beat Chelsea" nor "misses open goal"."""
    nouns = targets(language if language in _LATIN else "")
    start = max(0, place - _TARGET_REACH)
    return any(
        key in nouns and not (key in _AMBIGUOUS_TARGETS and _a_match_goal(keys, noun))
        for noun, key in enumerate(keys[start : place + _TARGET_REACH + 1], start)
    )


def _a_match_goal(keys: list[str], noun: int) -> bool:
    """The goal at ``noun`` is a match's: a match's word beside it ("open goal", "late
    goal") or a match's verb right after it ("goal beats")."""
    if not _MATCH_BESIDE.isdisjoint(keys[max(0, noun - 1) : noun + 2]):
        return True
    return not _MATCH_VERBS.isdisjoint(keys[noun + 1 : noun + 2])


def _both(poles: frozenset[int]) -> frozenset[int]:
    return poles | {pole ^ 1 for pole in poles}


@lru_cache(maxsize=1024)
def _shared(poles: frozenset[int]) -> frozenset[int]:
    """One object for each set of poles: the window's articles hold a few dozen kinds."""
    return poles


def opposed(mine: frozenset[int], theirs: frozenset[int]) -> bool:
    """One side holds a pole whose opposite only the other holds."""
    if not mine or not theirs:
        return False
    return any(pole ^ 1 in theirs and pole ^ 1 not in mine and pole not in theirs for pole in mine)
