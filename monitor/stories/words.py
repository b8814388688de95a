"""Which words of a headline carry meaning, in the language it is written in.

Stop words per language (hand-written, small: function words and "said"), the words
next to which a number counts casualties, the stem a word is compared by, and what
counts as written like a name in a script without capital letters
(docs/decisions/0037-grouping-per-language.md).

Every function takes the article's detected language (``Article.language``, an ISO
639-1 code, "" when it could not be told). Stop words of scripts no English word is
written in (Arabic, Persian, Russian, Ukrainian) are dropped from every headline, and
English ones too. Latin-script languages share letters, and their function words are
other languages' content words (German "die", French "son", Spanish "sin"): a headline
drops French, Spanish, German or Turkish ones when its article is in that language, or,
when the language is unknown, when more of its words are that language's stop words
than English ones. Words of an article in those four languages are stemmed by the
rules' stemmer for it (``rules.inflection.stem(word, language)``: Snowball, guarded);
English words, and words of a language without one, by a light plural stemmer, as are
the unknown language's.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from rules.inflection import stem as inflected_stem
from rules.inflection import term_forms
from rules.text import normalise

_ENGLISH = """a about after against all also amid an and any are as at be been before being
    but by can could did do does down during for from had has have he her his how i if in
    into is it its just last may might more most my near new next no not now of off on one
    or our out over s say said says she should since so some than that the their them then
    there these they this those three to two under up us via vs was we were what when where
    which while who why will with would you your"""
# Scripts no English word shares: dropped from every headline.
_ARABIC = """في من على الى عن مع بعد قبل ان انه انها كان كانت هذا هذه ذلك تلك التي الذي
    الذين او ثم قد لا ما لم لن هو هي هم بين حتى عند منذ خلال ضد نحو حول اي كل غير عبر لدى
    امام دون فيه فيها عليه منه كما ايضا وسط وفي ومن وعلى والى وقد وان قال قالت يقول تقول"""
_PERSIAN = """در از به با که این آن را و یا برای تا بر هم هر یک می شد شده است بود کرد کرده
    اند ها های پس پیش بین روی زیر علیه درباره گفت گفته نیز اما اگر چه وی او آنها ما شود"""
_RUSSIAN = """в во на с со к ко по за из от до у о об обо и а но или что как это этот эта
    эти тот та те не ни же ли бы был была были быть его ее их он она они мы вы для при про
    под над после перед между через без более также уже еще где когда который которая
    которые которых заявил заявила заявили сообщил сообщили"""
_UKRAINIAN = """в у на з із зі до від по за про під над для при після перед між через без і й
    та а але або що як це цей ця ці той не ні же чи був була були бути його її їх він вона
    вони ми ви також вже ще де коли який яка які заявив заявила повідомили"""
# Latin-script languages other than English: dropped when the headline reads as one.
_LATIN = {
    "fr": """le la les un une des du de et ou au aux en dans sur sous pour par avec sans
        contre après avant près selon entre vers chez est sont ont été être qui que qu ne pas
        plus se son sa ses leur leurs ce cet cette ces il elle ils elles nous dit deux trois""",
    "es": """el la los las un una unos unas de del al en con sin por para sobre tras
        contra entre hacia desde según es son fue han ha que se su sus lo como más dos tres
        dice""",
    "de": """der die das den dem des ein eine einer einem einen und oder im am an auf aus
        bei mit nach von vom zu zum zur für gegen über unter vor seit ist sind war wurde
        wurden hat haben nicht auch wie als sich es er sie wir zwei drei sagt""",
    # with the case endings written after an apostrophe ("Şam'da", "İran'ın")
    "tr": """ve ile bir bu şu da de ki mi için gibi daha çok en ama fakat veya ya hem
        olarak olan sonra önce karşı göre kadar üzerine ise her tüm dedi ta te dan den
        tan ten nin nın nun nün ın un ün ya ye yi yı daki deki taki teki""",
}
# Words next to which a number counts people hurt ("kills 14" → "kills 40").
_ENGLISH_TOLL = """casualties civilians dead death deaths die died dies injured injures
    injuring kill killed killing kills missing people soldiers toll victims wounded wounds"""
_OTHER_TOLL = {
    "ar": """قتيل قتيلا قتلى مقتل جريح جرحى ضحايا ضحية شهيد شهداء مصرع مصابا مصابين اشخاص
        شخصا""",
    "fa": "کشته زخمی مجروح قربانی نفر",
    "ru": """погиб погибли погибших убит убиты убитых ранен ранены раненых жертв жертвы
        человек""",
    "uk": "загинули загиблих поранені поранених людей",
    "tr": "ölü yaralı yaralandı kişi",  # not öldü (died): folded, it is oldu (became)
    "fr": "morts mort tués blessés victimes personnes",
    "es": "muertos heridos víctimas personas fallecidos",
    "de": "Tote Verletzte Opfer Menschen getötet",
}


def _folded(words: str) -> frozenset[str]:
    """The words as headlines fold them (``rules.text``), so lists match folded text."""
    return frozenset(normalise(words).split())


ENGLISH_STOPWORDS = _folded(_ENGLISH)
_EVERYWHERE = ENGLISH_STOPWORDS | _folded(" ".join((_ARABIC, _PERSIAN, _RUSSIAN, _UKRAINIAN)))
_LATIN_STOPWORDS = {language: _folded(words) for language, words in _LATIN.items()}
_BY_LANGUAGE = {language: _EVERYWHERE | words for language, words in _LATIN_STOPWORDS.items()}
_CAPITALISED_STOPWORDS = {
    language: ENGLISH_STOPWORDS | words for language, words in _LATIN_STOPWORDS.items()
}
_TOLL_WORDS = _folded(_ENGLISH_TOLL) | _folded(" ".join(_OTHER_TOLL.values()))
_LONGEST_PROCLITICS = 4  # "وبال": and + with + the
_SHORTEST_BARE = 2


def reading_language(words: Iterable[str], language: str = "") -> str:
    """The language a headline's folded words are stemmed in: its article's, or when
    that is unknown (""), a Latin-script language only on clear evidence: at least
    ``_CLEAR_GUESS`` of its stop words, and more than English ones. So a report whose
    language could not be told reads like its partner identified as French ("Nîmes :
    hôpitaux évacués après les inondations"), while a headline with a single stop word
    keeps the plain reading two unknown reports have always shared."""
    return reading(words, language)[1]


def stop_words(words: Iterable[str], language: str = "") -> frozenset[str]:
    """The stop words of a headline given its folded words and its article's language:
    every script's, and those of its Latin-script language if not English. When the
    language is unknown (""), the one its stop words say, if any says more than English."""
    return reading(words, language)[0]


def reading(words: Iterable[str], language: str = "") -> tuple[frozenset[str], str]:
    """:func:`stop_words` and :func:`reading_language` of a headline's folded words, its
    language guessed once when unknown (a headline read needs both)."""
    if language:
        return _BY_LANGUAGE.get(language, _EVERYWHERE), language
    guess, count = _guess(frozenset(words))
    stop = _BY_LANGUAGE[guess] if guess else _EVERYWHERE
    return stop, guess if count >= _CLEAR_GUESS else ""


def _guess(present: frozenset[str]) -> tuple[str, int]:
    """The Latin-script language whose stop words the words hold more of than English
    ones, with how many, or ("", 0)."""
    best, hits = "", len(present & ENGLISH_STOPWORDS)
    for guess, listed in _LATIN_STOPWORDS.items():  # insertion order: deterministic
        count = len(present & listed)
        if count > hits:
            best, hits = guess, count
    return (best, hits) if best else ("", 0)


_CLEAR_GUESS = 2


def capitalised_stop_words(language: str = "") -> frozenset[str]:
    """The function words that start no name when capitalised ("The", "Les"): English
    ones, and those of the article's Latin-script language."""
    return _CAPITALISED_STOPWORDS.get(language, ENGLISH_STOPWORDS)


def is_toll_word(word: str, language: str = "") -> bool:
    """A folded word next to which a number counts casualties, in any language's
    listed form, or (Arabic script, Cyrillic, the Snowball Latin languages) its stem."""
    if word in _TOLL_WORDS or (not word.isascii() and stem(word) in _TOLL_STEMS):
        return True
    stems = _LATIN_TOLL_STEMS.get(language)
    return stems is not None and stem(word, language) in stems


@lru_cache(maxsize=65_536)
def stem(word: str, language: str = "") -> str:
    """The word's stem by ``rules.inflection``: Arabic script and Cyrillic whatever the
    language, Latin-script words of a French, Spanish, German or Turkish article by that
    language's stemmer; a word it leaves as it is (English, another language's, one of
    four letters or fewer) by a light English stemmer: plurals and third-person ``-s``
    ("troops" → "troop")."""
    inflected = inflected_stem(word, language or None)
    if inflected != word:
        return inflected
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def mentioned(token: str, tokens: frozenset[str] | set[str]) -> bool:
    """``tokens`` hold this stem, or (Arabic script) it with or without proclitics."""
    return token in tokens or (not token.isascii() and not variants(token).isdisjoint(tokens))


@lru_cache(maxsize=65_536)
def variants(token: str) -> frozenset[str]:
    """The stems that are this Arabic-script one with proclitics and the article
    (``rules.inflection.term_forms``: دمشق → بدمشق, ودمشق, الدمشق...) or without them
    (بدمشق → دمشق); none in other scripts. Pairwise, never a stem of its own: stripping
    proclitics from every word would make لبنان and فنان one word."""
    forms = term_forms((token,))[0]
    if len(forms) < 2:
        return frozenset()
    bare = (
        token[cut:]
        for cut in range(1, _LONGEST_PROCLITICS + 1)
        if len(token) - cut >= _SHORTEST_BARE and token in term_forms((token[cut:],))[0]
    )
    return frozenset(forms).union(bare) - {token}


_TOLL_STEMS = frozenset(stem(word) for word in _TOLL_WORDS if not word.isascii())
_LATIN_TOLL_STEMS = {
    language: frozenset(stem(word, language) for word in _folded(_OTHER_TOLL[language]))
    for language in _LATIN
}


def written_as_name(word: str) -> bool:
    """Capitalised, or in a script without capital letters (Arabic, Persian, Chinese...):
    there nothing tells a name from a common word, and every doubt keeps stories apart,
    so each such word counts as one."""
    first = word[:1]
    return first.isupper() or (first.isalpha() and first.lower() == first.upper())
