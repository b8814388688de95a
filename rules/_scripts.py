"""Letters that one script writes several ways, folded to one form for matching.

Used by ``rules.text`` (the one normalisation of terms and text) after NFKC and case
folding, on one character at a time, before diacritics are dropped. A value of ""
means the character joins its word and leaves nothing, like a combining mark.

The choices, and why:

- Arabic alef with hamza above or below, with madda, and alef wasla (أ إ آ ٱ) are
  plain alef: news text writes the hamza or leaves it out as it pleases. Hamza on waw
  and on yeh (ؤ ئ) are waw and yeh. A standalone hamza (ء) stays: it is a letter of
  its own, and dropping it would join words that differ by it.
- Alef maqsura (ى) and the Persian yeh (ی) are the Arabic yeh (ي); the Persian keheh
  (ک) and the swash kaf (ڪ) are the Arabic kaf (ك): Persian and Arabic keyboards type
  the same name with different code points.
- Ta marbuta (ة, and ۃ) and heh with yeh above (ۀ, the Persian ezafe) are heh (ه).
- Tatweel (ـ) only draws a word out: it is dropped without splitting it.
- Turkish dotless ı is i, so that "ISTANBUL", "İstanbul", "istanbul" and "ıstanbul"
  are one word (case folding already makes I and İ an i).
- Arabic-Indic and Persian digits are ASCII digits, so "٢٠٢٤" and "۲۰۲۴" are "2024".

Harakat, the hamza marks left by decomposition, Cyrillic ё's diaeresis and the dot of
İ are combining marks: ``rules.text`` drops those for every script alike.
"""

from __future__ import annotations

_ALEF = "\u0627"
_YEH = "\u064a"
_KAF = "\u0643"
_HEH = "\u0647"

_LETTERS = {
    "\u0622": _ALEF,  # آ alef with madda above
    "\u0623": _ALEF,  # أ alef with hamza above
    "\u0625": _ALEF,  # إ alef with hamza below
    "\u0671": _ALEF,  # ٱ alef wasla
    "\u0672": _ALEF,  # ٲ alef with wavy hamza above
    "\u0673": _ALEF,  # ٳ alef with wavy hamza below
    "\u0675": _ALEF,  # ٵ high hamza alef
    "\u0624": "\u0648",  # ؤ waw with hamza above
    "\u0626": _YEH,  # ئ yeh with hamza above
    "\u0649": _YEH,  # ى alef maqsura
    "\u06cc": _YEH,  # ی Farsi yeh
    "\u06a9": _KAF,  # ک keheh (Persian kaf)
    "\u06aa": _KAF,  # ڪ swash kaf
    "\u0629": _HEH,  # ة ta marbuta
    "\u06c3": _HEH,  # ۃ ta marbuta goal
    "\u06c0": _HEH,  # ۀ heh with yeh above
    "\u0640": "",  # ـ tatweel
    "\u0131": "i",  # ı Turkish dotless i
}
_DIGITS = {
    chr(zero + value): str(value) for zero in (0x0660, 0x06F0) for value in range(10)
}  # ٠-٩ Arabic-Indic, ۰-۹ extended (Persian and Urdu)

SCRIPT_FOLD = str.maketrans({**_LETTERS, **_DIGITS})
