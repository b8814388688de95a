"""The bundled packs in Arabic, Persian, Russian, Turkish and French: every place and
actor has names in those scripts, the key ones by name, and sentences written in each
language fire the lists they should (bare dictionary forms) and stay quiet where a
name or word only looks like one."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from functools import cache

import pytest

from rules import Matcher, RuleSource, compile_rules, load_ruleset
from rules.packs import bundled

GAZETTEER = "syria-gazetteer"
ESCALATION = "conflict-escalation"

# A place with no name in a script that is not also an everyday word there: Douma is
# "always" in Arabic and the parliament in Russian (the pack's header lists these).
NO_SAFE_NAME = {"Douma": ("arabic", "cyrillic"), "Mayadin": ("arabic",)}


def _script(name: str) -> str | None:
    """The non-Latin script a name is written in, by its first letter that is not Latin."""
    for char in name:
        if "\u0600" <= char <= "\u06ff":
            return "arabic"
        if "\u0400" <= char <= "\u04ff":
            return "cyrillic"
    return None


def _entries(list_name: str) -> Iterator[tuple[str, list[str]]]:
    """Each entry of a gazetteer list: its name and every alias."""
    table = tomllib.loads(bundled()[GAZETTEER])["entities"][list_name]
    for entry in table["entries"]:
        if isinstance(entry, str):
            yield entry, []
        else:
            yield entry["name"], list(entry.get("aliases", []))


def _scripts(names: list[str]) -> set[str]:
    return {script for script in map(_script, names) if script is not None}


def test_every_place_has_an_arabic_script_and_a_russian_name() -> None:
    missing = [
        (place, script)
        for place, aliases in _entries("syria")
        for script in ("arabic", "cyrillic")
        if script not in _scripts(aliases) and script not in NO_SAFE_NAME.get(place, ())
    ]
    assert missing == []


# Entries holding one language's forms exactly as written, beside the actor's main entry.
EXACT_FORMS_ONLY = {"روسي"}  # the Arabic adjective: inflected, it reads Prussian, horsemanship


def test_every_actor_list_has_arabic_script_and_russian_names_for_each_entry() -> None:
    actor_lists = [
        name
        for name, table in tomllib.loads(bundled()[GAZETTEER])["entities"].items()
        if table["kind"] == "actor"
    ]
    missing = [
        (list_name, entry)
        for list_name in actor_lists
        for entry, aliases in _entries(list_name)
        if _scripts(aliases) != {"arabic", "cyrillic"} and entry not in EXACT_FORMS_ONLY
    ]
    assert len(actor_lists) == 11
    assert missing == []


@cache
def _matcher(pack: str) -> Matcher:
    """One rule per list of the pack, each firing on that list alone."""
    lists = tomllib.loads(bundled()[pack])
    names = sorted({*lists.get("entities", {}), *lists.get("keywords", {})})
    rules = "".join(f'[[rules]]\nname = "{name}"\nall_of = ["{name}"]\n' for name in names)
    return compile_rules(load_ruleset([RuleSource("w.toml", f'use = ["{pack}"]\n{rules}')]))


def _fired(pack: str, text: str) -> set[str]:
    return {match.rule for match in _matcher(pack).match({"title": text})}


# A neutral sentence per language, written for these tests, with a slot for a name.
FRAMES = {
    "ar": "قال مراسلنا إن {} كانت محور الاجتماع",
    "fa": "خبرنگار ما گزارش داد که {} امروز در مرکز توجه بود",
    "ru": "Наш корреспондент сообщает: {} снова в центре внимания",
    "tr": "Muhabirimiz bildiriyor: {} yeniden gündemde",
    "fr": "Notre correspondant rapporte que {} est au centre de l'attention",
}

KEY_NAMES = [
    ("syria", "Homs", {"ar": "حمص", "fa": "حمص", "ru": "Хомс", "tr": "Humus", "fr": "Homs"}),
    ("syria", "Aleppo", {"ar": "حلب", "fa": "حلب", "ru": "Алеппо", "tr": "Halep", "fr": "Alep"}),
    ("syria", "Damascus",
     {"ar": "دمشق", "fa": "دمشق", "ru": "Дамаск", "tr": "Şam yönetimi", "fr": "Damas"}),
    ("syria", "Latakia",
     {"ar": "اللاذقية", "fa": "لاذقیه", "ru": "Латакия", "tr": "Lazkiye", "fr": "Lattaquié"}),
    ("syria", "Idlib", {"ar": "إدلب", "fa": "ادلب", "ru": "Идлиб", "tr": "İdlib", "fr": "Idleb"}),
    ("hezbollah", "Hezbollah",
     {"ar": "حزب الله", "fa": "حزب‌الله", "ru": "Хезболла", "tr": "Hizbullah", "fr": "Hezbollah"}),
    ("isil", "ISIL",
     {"ar": "داعش", "fa": "داعش", "ru": "ИГИЛ", "tr": "IŞİD", "fr": "État islamique"}),
    ("iran", "Iran", {"ar": "إيران", "fa": "ایران", "ru": "Иран", "tr": "İran", "fr": "Téhéran"}),
    ("russia", "Russia",
     {"ar": "روسيا", "fa": "روسیه", "ru": "Россия", "tr": "Rusya", "fr": "Russie"}),
    ("turkey", "Turkey",
     {"ar": "تركيا", "fa": "ترکیه", "ru": "Турция", "tr": "Türkiye", "fr": "Turquie"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("listed", "language", "name"),
    [
        (listed, language, name)
        for listed, _, names in KEY_NAMES
        for language, name in names.items()
    ],
)
def test_key_places_and_actors_are_found_by_their_name_in_each_language(
    listed: str, language: str, name: str
) -> None:
    assert listed in _fired(GAZETTEER, FRAMES[language].format(name))


@pytest.mark.parametrize(
    ("listed", "text"),
    [
        ("isil", "Des combattants de l'EI arrêtés près de la frontière"),
        ("isil", "Боевики ИГ атаковали блокпост"),
        ("iran", "Une actrice iranienne primée à Cannes"),  # the adjective is about Iran
        ("hezbollah", "Хизбалла опровергла сообщения"),
        ("hezbollah", "بيان صادر عن حزب‌الله"),
        ("syrian_government", "Beşar Esad Moskova'ya gitti"),
        ("kurdish_forces", "Suriye Demokratik Güçleri açıklama yaptı"),
        ("us_coalition", "США направили делегацию"),
    ],
)  # fmt: skip
def test_the_gazetteer_finds_actors_in_their_usual_forms(listed: str, text: str) -> None:
    assert listed in _fired(GAZETTEER, text)


@pytest.mark.parametrize(
    "text",
    [
        "Şampiyon Galatasaray kupayı kaldırdı",  # Şam(pascus) only begins the word
        "Sam Smith wins another Grammy",  # Turkish Şam folds to Sam: listed in phrases only
        "افتتاح حلبة السباق الجديدة",  # حلبة (race track) begins with حلب (Aleppo)
        "سنبقى دوما معكم",  # دوما is "always": Douma has no Arabic name in the pack
        "على المدى القصير",  # القصير is "the short": Qusayr only as مدينة القصير
        "Дума приняла закон в третьем чтении",  # the parliament, not Douma
        "ترک تحصیل دانش‌آموزان افزایش یافت",  # ترک is "leaving" in Persian
        "چهارشنبه سوری امسال آرام بود",  # a festival, not "Syrian"
        "Ahmed, Sara and Tom won the quiz",  # "Ahmed Şara" is not listed
    ],
)  # fmt: skip
def test_the_gazetteer_stays_quiet_where_a_name_only_looks_like_one(text: str) -> None:
    assert _fired(GAZETTEER, text) == set()


# Sentences written for these tests, in each language, with a set's bare dictionary form.
FIRES = [
    ("ar", "strikes", "غارات جوية على ريف المدينة"),
    ("ar", "casualties", "سقوط قتلى في انفجار"),
    ("ar", "military_movement", "تعزيزات عسكرية تصل إلى الحدود"),
    ("ar", "sieges", "حصار خانق على البلدة"),
    ("ar", "ceasefire_breakdown", "الطرفان يتبادلان الاتهامات حول خرق الهدنة"),
    ("ar", "mobilisation", "إعلان حالة الطوارئ في البلاد"),
    ("fa", "strikes", "حمله هوایی به یک روستا"),
    ("fa", "casualties", "دست کم ده نفر کشته شدند"),
    ("fa", "military_movement", "عملیات زمینی آغاز شد"),
    ("fa", "sieges", "شهر در محاصره است"),
    ("fa", "ceasefire_breakdown", "گزارش نقض آتش بس در مرز"),
    ("fa", "mobilisation", "حکومت نظامی اعلام شد"),
    ("ru", "strikes", "Ракетный удар по складу"),
    ("ru", "strikes", "Крылатая ракета сбита над морем"),
    ("ru", "casualties", "В результате взрыва погибли трое"),
    ("ru", "military_movement", "Войска выдвинулись к границе"),
    ("ru", "sieges", "Осада города продолжается"),
    ("ru", "ceasefire_breakdown", "Стороны заявили: нарушение перемирия"),
    ("ru", "mobilisation", "Объявлена частичная мобилизация"),
    ("tr", "strikes", "Hava saldırısı düzenlendi"),
    ("tr", "casualties", "Saldırıda iki kişi hayatını kaybetti"),
    ("tr", "military_movement", "Sınır ötesi operasyon başladı"),
    ("tr", "sieges", "Kent abluka altında"),
    ("tr", "ceasefire_breakdown", "Ateşkes ihlali iddiası"),
    ("tr", "mobilisation", "Kısmi seferberlik ilan edildi"),
    ("fr", "strikes", "Frappes aériennes sur la ville"),
    ("fr", "casualties", "Trois soldats tués dans une embuscade"),
    ("fr", "military_movement", "Des troupes massées à la frontière"),
    ("fr", "sieges", "La ville est assiégée"),
    ("fr", "ceasefire_breakdown", "Reprise des combats dans le nord"),
    ("fr", "mobilisation", "Loi martiale décrétée"),
]


@pytest.mark.parametrize(("language", "listed", "text"), FIRES)
def test_escalation_words_fire_in_each_language(language: str, listed: str, text: str) -> None:
    assert listed in _fired(ESCALATION, text), language


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ar", "هجوم برشلونة يتألق في المباراة"),  # a football side's attack
        ("ru", "Наступление весны задерживается"),  # the coming of spring
        ("ru", "Удар головой и гол в добавленное время"),  # a header
        ("ru", "Лучшие боевики года по версии критиков"),  # action films
        ("ru", "Голод и бедность в мире"),  # hunger, not a siege
        ("ru", "Жертвы мошенников получат компенсацию"),  # victims of fraud
        ("tr", "Gıda takviyesi satışları arttı"),  # a food supplement
        ("tr", "Çıkar çatışması iddiası reddedildi"),  # a conflict of interest
        ("tr", "Ölüdeniz'de turist sayısı arttı"),  # a resort
        ("tr", "Cinsel taarruz davası ertelendi"),  # a criminal case
        ("fr", "Les blessés du PSG manqueront le match"),  # injured players
        pytest.param(
            "fr", "Le siège social déménage à Lyon",  # a head office
            marks=pytest.mark.xfail(
                strict=True,
                reason="the English siege* finds French siège once accents fold; fixed only "
                "when a term can be scoped to its language",
            ),
        ),
        ("fr", "Belle frappe de Mbappé en fin de match"),  # a shot on goal
        ("en", "Store closed Tue and Wed for stocktaking"),  # Tuesday, not "tué"
        ("en", "Company executes its buyback plan"),
        ("en", "Bank hires a new asker of hard questions"),  # not Turkish asker
    ],
)  # fmt: skip
def test_escalation_words_stay_quiet_on_other_senses(language: str, text: str) -> None:
    assert _fired(ESCALATION, text) == set(), language


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("الجيش الروسي يقصف", True),
        ("الطائرات الروسية", True),
        ("ضابط بروسي سابق", False),  # a Prussian officer
        ("بطولة فروسية دولية", False),  # a horsemanship championship
        ("Раненые доставлены в больницу", True),
        ("Как сообщалось ранее, встреча перенесена", False),  # earlier
    ],
)
def test_inflection_does_not_let_the_packs_read_a_near_word(text: str, fires: bool) -> None:
    rule = (
        'use = ["syria-gazetteer", "conflict-escalation"]\n'
        '[[rules]]\nname = "r"\nany_of = ["russia", "casualties"]\n'
    )
    matcher = compile_rules(load_ruleset([RuleSource("r.toml", rule)]))
    assert bool(matcher.match({"title": text})) is fires
