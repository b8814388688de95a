"""Script-aware folding: each way a script writes a word matches a term written the
other way, in both directions, and nothing more (``rules._scripts`` via ``rules.text``).

Every case compiles a one-term rule and matches a title, as ``wirewatch rules try`` does,
and lists what the matcher marks in the original text ([] when the rule must not fire).
"""

from __future__ import annotations

import pytest

from rules import normalise
from tests.support.marks import marked_by_matcher

ARABIC = [
    ("أحمد", "قال احمد اليوم", ["احمد"], "hamza above in the term, bare alef in the text"),
    ("احمد", "قال أحمد اليوم", ["أحمد"], "bare alef in the term, hamza above in the text"),
    ("اسرائيل", "غارة إسرائيلية وبيان إسرائيل", ["إسرائيل"], "hamza below; longer word not"),
    ("القران", "تلاوة القرآن", ["القرآن"], "alef with madda"),
    ("الاسلام", "باسم ٱلإسلام", ["ٱلإسلام"], "alef wasla"),
    ("مؤتمر", "عقد موتمر صحفي", ["موتمر"], "hamza on waw"),
    ("رئيس", "قال الريس رييس الحكومة", ["رييس"], "hamza on yeh"),
    ("مصطفى", "التقى مصطفي بالوفد", ["مصطفي"], "alef maqsura and yeh"),
    ("مدرسة", "قصف مدرسه في حلب", ["مدرسه"], "ta marbuta and heh"),
    ("حلب", "معارك في حلـــب اليوم", ["حلـــب"], "tatweel drawn out"),
    ("حلب", "معارك في حَلَبَ اليوم", ["حَلَبَ"], "harakat"),
    ("حَلَب", "معارك في حلب اليوم", ["حلب"], "harakat in the term"),
    ("دمشق", "وصل إلى دِمَـشْـقَ مساء", ["دِمَـشْـقَ"], "harakat and tatweel together"),
    ("حلب", "وصل الحلبي", [], "a longer word is not the name"),
    ("سماء", "سما الاخبار", [], "standalone hamza is a letter"),
    ("2024", "في عام ٢٠٢٤ قتل", ["٢٠٢٤"], "arabic-indic digits"),
    ("٢٠٢٤", "in 2024 it", ["2024"], "arabic-indic digits in the term"),
]
PERSIAN = [
    ("ایران", "سپاه ايران گفت", ["ايران"], "persian yeh in the term, arabic yeh in the text"),
    ("ايران", "سپاه ایران گفت", ["ایران"], "arabic yeh in the term, persian yeh in the text"),
    ("یمن", "حمله به يمن", ["يمن"], "persian yeh and alef maqsura alike"),
    ("کرمان", "انفجار در كرمان", ["كرمان"], "keheh and arabic kaf"),
    ("كرمان", "انفجار در کرمان", ["کرمان"], "arabic kaf in the term"),
    ("خانه", "خانۀ ملت", ["خانۀ"], "heh with yeh above (ezafe)"),
    ("میخواهد", "او می\u200cخواهد برود", ["می\u200cخواهد"], "zero-width non-joiner joins"),
    ("می‌خواهد", "او میخواهد برود", ["میخواهد"], "zero-width non-joiner in the term"),
    ("خواهد", "او می\u200cخواهد برود", [], "a joined part is not a word"),
    ("1403", "سال ۱۴۰۳ شمسی", ["۱۴۰۳"], "persian digits"),
]
TURKISH = [
    ("İstanbul", "ISTANBUL'da patlama", ["ISTANBUL"], "dotted capital term, plain capitals"),
    ("Istanbul", "İstanbul'da patlama", ["İstanbul"], "dotted capital in the text"),
    ("istanbul", "ıstanbul yazımı", ["ıstanbul"], "dotless small i"),
    ("IĞDIR", "ığdır merkezli", ["ığdır"], "dotless i in both, any case"),
    ("Şam", "Şam'da çatışma", ["Şam"], "apostrophe suffix split off"),
    ("Halep", "Halep’te saldırı", ["Halep"], "curly apostrophe suffix"),
    ("Şam", "Şampiyon oldu", [], "a name inside a longer word"),
    ("Şam", "Şampiyonlar'da", [], "a longer word with a suffix"),
    ("da", "Şam'da çatışma", ["da"], "the suffix stays a word of its own"),
]
RUSSIAN = [
    ("ёлка", "ЕЛКА горит", ["ЕЛКА"], "yo in the term"),
    ("елка", "Ёлка горит", ["Ёлка"], "capital yo in the text"),
    ("Москва", "МОСКВА заявила", ["МОСКВА"], "case"),
    ("Хомс", "Хомсом", ["Хомсом"], "a case form, by inflection (rules.inflection)"),
]
FRENCH = [
    ("armée", "l'armée syrienne", ["armée"], "elided article"),
    ("Alep", "près d’Alep", ["Alep"], "curly apostrophe elision"),
    ("armée syrienne", "l'armée syrienne", ["armée syrienne"], "phrase after elision"),
    ("il", "qu'il a dit", ["il"], "qu' elided"),
    ("larmée", "l'armée", [], "the article does not glue onto the word"),
]
ENGLISH = [
    ("Iran", "Iran's forces", ["Iran"], "possessive stays dropped"),
    ("Iran s", "Iran's forces", [], "the possessive s is not a word"),
]


def _cases(language: str, rows: list[tuple[str, str, list[str], str]]) -> list[object]:
    return [pytest.param(*row[:3], id=f"{language}: {row[3]}") for row in rows]


CASES = [
    *_cases("ar", ARABIC),
    *_cases("fa", PERSIAN),
    *_cases("tr", TURKISH),
    *_cases("ru", RUSSIAN),
    *_cases("fr", FRENCH),
    *_cases("en", ENGLISH),
]


@pytest.mark.parametrize(("term", "text", "expected"), CASES)
def test_each_written_form_matches_the_term(term: str, text: str, expected: list[str]) -> None:
    assert marked_by_matcher(term, text) == expected


@pytest.mark.parametrize(
    ("forms", "folded"),
    [
        pytest.param("أ إ آ ٱ ا", "ا ا ا ا ا", id="alef forms"),
        pytest.param("ی ي ى", "ي ي ي", id="yeh forms"),
        pytest.param("ک ك ڪ", "ك ك ك", id="kaf forms"),
        pytest.param("ة ۀ ه", "ه ه ه", id="heh forms"),
        pytest.param("İ ı I i", "i i i i", id="turkish i"),
        pytest.param("Ё ё е", "е е е", id="cyrillic yo"),
        pytest.param("٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹", "0123456789 0123456789", id="digits"),
    ],
)
def test_variant_letters_fold_to_one(forms: str, folded: str) -> None:
    assert normalise(forms) == folded
