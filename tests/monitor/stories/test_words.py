"""Story grouping per language: stop words, stems, casualty counts and names in Arabic,
Persian, Russian, Ukrainian, Turkish and French headlines (fixtures written for these
tests). Two headlines in different languages are not expected to fold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.stories.headlines import content_tokens, fold, toll_numbers
from monitor.stories.index import StoryIndex
from monitor.stories.words import mentioned, stop_words, written_as_name

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# Other news in the window, in the same languages, so word rarity means something.
BACKGROUND = [
    "Oil prices climb on supply worries",
    "ارتفاع أسعار النفط في الأسواق العالمية",
    "البرلمان يقر الميزانية الجديدة بعد نقاش طويل",
    "افزایش قیمت نفت در بازارهای جهانی",
    "Цены на нефть выросли на мировых рынках",
    "Парламент принял бюджет после долгих споров",
    "Ціни на нафту зросли",
    "Petrol fiyatları dünya piyasalarında yükseldi",
    "Les prix du pétrole grimpent sur les marchés mondiaux",
]


def _kind(first: str, second: str) -> str | None:
    index = StoryIndex(timedelta(hours=48), threshold=88)
    for number, title in enumerate(BACKGROUND):
        index.add(f"bg{number}", f"bg{number}", title, NOW - timedelta(hours=2))
    index.add("s1", "a1", first, NOW)
    found = index.find(second, NOW + timedelta(hours=1))
    return found.kind if found is not None and found.story_id == "s1" else None


@pytest.mark.parametrize(
    ("first", "second", "kind"),
    [
        pytest.param(
            "غارة إسرائيلية تستهدف مستودع أسلحة قرب دمشق",
            "غارة إسرائيلية على مستودع للأسلحة بدمشق",
            "related",
            id="ar-proclitics-and-article",
        ),
        pytest.param(
            "انفجار سيارة مفخخة في دمشق",
            "انفجار سيارة مفخخة بدمشق",
            "near_identical",
            id="ar-bi-prefix",
        ),
        pytest.param(
            "اشتباكات عنيفة في مدينة الرقة",
            "إشتباكات عنيفه في مدينه الرقه",
            "same_headline",
            id="ar-hamza-and-ta-marbuta-spellings",
        ),
        pytest.param(
            "مقتل ١٢ شخصا في قصف على حلب",
            "مقتل 12 شخصا في قصف على حلب",
            "same_headline",
            id="ar-arabic-indic-digits",
        ),
        pytest.param(
            "مقتل 12 شخصا في قصف على حلب",
            "مقتل 12 شخصا جراء قصف على مدينة حلب",
            "related",
            id="ar-same-toll",
        ),
        pytest.param(
            "Москва направила войска в Сирию",
            "Войска из Москвы направлены в Сирию",
            "related",
            id="ru-case-endings",
        ),
        pytest.param(
            "Взрыв в Дамаске унёс жизни 12 человек",
            "В Дамаске прогремел взрыв, погибли 12 человек",
            "related",
            id="ru-same-toll",
        ),
        pytest.param(
            "Вибух у Києві: загинули 12 людей",
            "У Києві пролунав вибух, загинули 12 людей",
            "related",
            id="uk-reworded",
        ),
        pytest.param(
            "حمله پهپادی به پایگاه نظامی در اصفهان",
            "حمله پهپادی به پایگاه\u200cهای نظامی اصفهان",
            "near_identical",
            id="fa-plural-with-zwnj",
        ),
        pytest.param(
            "۱۲ کشته در انفجار اصفهان",
            "انفجار در اصفهان ۱۲ کشته بر جای گذاشت",
            "related",
            id="fa-persian-digits-same-toll",
        ),
        pytest.param(
            "Şam'da bombalı saldırı: 12 kişi öldü",
            "Şam'daki bombalı saldırıda 12 kişi öldü",
            "near_identical",
            id="tr-apostrophe-suffix",
        ),
        pytest.param(
            "Frappe israélienne sur un dépôt d'armes près de Damas",
            "Damas : frappes israéliennes contre des dépôts d'armes",
            "related",
            id="fr-plurals-and-elision",
        ),
        pytest.param(
            "Explosion à Damas : 12 morts",
            "Damas : une explosion fait 12 morts",
            "related",
            id="fr-same-toll",
        ),
    ],
)
def test_two_outlets_reports_of_one_event_fold(first: str, second: str, kind: str) -> None:
    assert _kind(first, second) == kind


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("قصف على حمص يوقع قتلى", "قصف على حماة يوقع قتلى", id="ar-other-city"),
        pytest.param(
            "مقتل 12 شخصا في قصف على حلب",
            "مقتل 30 شخصا جراء قصف على مدينة حلب",
            id="ar-other-toll",
        ),
        pytest.param(
            "Взрыв в Дамаске унёс жизни 12 человек",
            "В Дамаске прогремел взрыв, погибли 30 человек",
            id="ru-other-toll",
        ),
        pytest.param(
            "Взрыв в Дамаске, есть погибшие", "Взрыв в Алеппо, есть погибшие", id="ru-other-city"
        ),
        pytest.param(
            "حمله پهپادی به پایگاه نظامی در اصفهان",
            "حمله پهپادی به پایگاه نظامی در تبریز",
            id="fa-other-city",
        ),
        pytest.param(
            "۱۲ کشته در انفجار اصفهان", "انفجار در اصفهان ۳۰ کشته بر جای گذاشت", id="fa-other-toll"
        ),
        pytest.param(
            "Şam'da bombalı saldırı: 12 kişi öldü",
            "Halep'te bombalı saldırı: 12 kişi öldü",
            id="tr-other-city",
        ),
        pytest.param(
            "Frappe israélienne sur un dépôt d'armes près de Damas",
            "Frappe israélienne sur un dépôt d'armes près d'Alep",
            id="fr-other-city",
        ),
        pytest.param(
            "Explosion à Damas : 12 morts",
            "Damas : une explosion fait 30 morts",
            id="fr-other-toll",
        ),
    ],
)
def test_other_events_in_similar_words_stay_apart(first: str, second: str) -> None:
    assert _kind(first, second) is None


@pytest.mark.parametrize(
    ("headline", "dropped", "kept"),
    [
        ("Three die in crash on motorway", {"in", "on"}, {"die", "crash"}),
        ("Die Armee greift in der Stadt an", {"die", "der", "in"}, {"armee", "stadt"}),
        ("Le fils de la victime est sous le choc", {"le", "de", "la", "est", "sous"}, {"fil"}),
        ("Son of the victim speaks out", {"of", "the"}, {"son", "victim"}),
        ("غارة على دمشق", {"علي"}, {"دمشق"}),
        ("Удар по Дамаску", {"по"}, {"удар"}),
    ],
)
def test_stop_words_are_those_of_the_headlines_language(
    headline: str, dropped: set[str], kept: set[str]
) -> None:
    words = fold(headline).split()
    assert dropped <= stop_words(words)
    assert not kept & stop_words(words)
    assert not dropped & content_tokens(fold(headline))


@pytest.mark.parametrize(
    ("word", "name"),
    [
        ("Damascus", True),
        ("damascus", False),
        ("Дамаск", True),
        ("дамаск", False),
        ("دمشق", True),
        ("大马士革", True),
        ("12", False),
    ],
)
def test_a_script_without_capitals_writes_every_word_like_a_name(word: str, name: bool) -> None:
    assert written_as_name(word) is name


@pytest.mark.parametrize(
    ("headline", "tolls"),
    [
        ("مقتل 12 شخصا في حلب", {"12"}),
        ("مقتل ١٢ شخصا في حلب", {"12"}),
        ("۱۲ کشته در انفجار اصفهان", {"12"}),
        ("В Дамаске погибли 12 человек", {"12"}),
        ("Şam'da 12 kişi öldü", {"12"}),
        ("Explosion à Damas : 12 morts", {"12"}),
        ("Le sommet du G20 s'ouvre à Rome", set()),
    ],
)
def test_casualty_counts_are_read_in_each_language(headline: str, tolls: set[str]) -> None:
    assert toll_numbers(fold(headline)) == tolls


@pytest.mark.parametrize(
    ("token", "others", "found"),
    [
        ("دمشق", {"بدمشق"}, True),
        ("بدمشق", {"دمشق"}, True),
        ("جيش", {"للجيش"}, True),
        ("لبنان", {"فنان"}, False),  # a proclitic is never stripped into a shared stem
        ("troop", {"troops"}, False),
    ],
)
def test_arabic_words_are_mentioned_with_or_without_proclitics(
    token: str, others: set[str], found: bool
) -> None:
    assert mentioned(token, others) is found
