"""Turkish case, possessive and plural suffixes off a folded word.

Folding writes ı as i, ü as u, ö as o, ş as s, ç as c and ğ as g, so each suffix is
listed in its folded spellings (-ı/-i/-u/-ü are all -i or -u). Up to four suffixes come
off, longest first, plural, possessive, case and the relative -ki (with the locative
before it: -daki, -ndeki) in any order, each
only when ``shortest`` letters stay; a final b, d or g left bare is read as the p, t,
k it softened from (*kitabı* → *kitap*, *kanadı* → *kanat*, *ayağı* → *ayak*).

A buffer n, s or y starts a suffix only after a vowel, and the n of a case only after
the possessive -ı, -i, -u, -ü (*operasyonu* is *operasyon* + u, not *operasyo* + nu); a
vowel-initial suffix only after a consonant; t- only after a voiceless consonant.

Not removed: the one-letter possessives -m and -n after a vowel (*kalem*, pen, would
read *kale*, castle), and verb endings. Roots of three letters (*köy*, *gün*) keep their
suffixes: with ``rules._latin``'s floor of four letters, so *şamdan* (candlestick) is not
*Şam* (Damascus) + -dan.
"""

from __future__ import annotations

_SUFFIXES = tuple(
    sorted(
        {
            # plural, and the plural with the third-person possessive
            "lar", "ler", "lari", "leri",
            # possessives: -ım -ımız -ın -ınız -ı/-sı, in every folded vowel
            "im", "um", "imiz", "umuz", "iniz", "unuz", "si", "su",
            # cases: locative, ablative, dative, accusative, genitive, instrumental
            "da", "de", "ta", "te", "dan", "den", "tan", "ten",
            "a", "e", "ya", "ye", "i", "u", "yi", "yu",
            "in", "un", "nin", "nun", "la", "le", "yla", "yle",
            # cases after the third-person possessive's buffer n
            "nda", "nde", "ndan", "nden", "na", "ne", "ni", "nu", "nla", "nle",
            # the relative -ki, only with the locative before it: a bare -ki would cut
            # every word in -k + -ı (*ittifakı*, alliance + ı, would read *ittif*)
            "daki", "deki", "taki", "teki", "ndaki", "ndeki",
        },
        key=lambda suffix: (-len(suffix), suffix),
    )
)  # fmt: skip
_MOST_SUFFIXES = 4
_VOWELS = frozenset("aeiou")
_BUFFERS = frozenset("nsy")
_GENITIVES = frozenset({"nin", "nun"})
_VOICELESS = frozenset("cfhkpst")  # folded: ç and ş are c and s
_HARDENED = str.maketrans({"b": "p", "d": "t", "g": "k"})


def turkish_stem(word: str, shortest: int) -> str:
    """``word`` without its nominal suffixes (keeping at least ``shortest`` letters), its
    last consonant hardened."""
    for _ in range(_MOST_SUFFIXES):
        shorter = _without_suffix(word, shortest)
        if shorter == word:
            break
        word = shorter
    return word[:-1] + word[-1].translate(_HARDENED)


def _without_suffix(word: str, shortest: int) -> str:
    for suffix in _SUFFIXES:
        rest = len(word) - len(suffix)
        if rest >= max(shortest, 1) and word.endswith(suffix) and _fits(word[rest - 1], suffix):
            return word[:rest]
    return word


def _fits(before: str, suffix: str) -> bool:
    """Whether ``suffix`` can follow the letter ``before`` (see the module's note)."""
    first = suffix[0]
    if first == "n" and suffix not in _GENITIVES:
        return before in "iu"  # the buffer n follows the possessive -ı, -i, -u, -ü
    if first in _BUFFERS:
        return before in _VOWELS
    if first in _VOWELS:
        return before not in _VOWELS
    return first != "t" or before in _VOICELESS
