"""Language codes a rule's ``languages`` scope accepts, and the hint for one it does not.

A code is an ISO 639-1 code ("ar", "fa") or, for a language without one, the ISO 639-3
code the daemon's identifier reports ("ckb", "arz", "yue"). Codes are lower case, as the
identifier writes them; an article whose language could not be told matches no rule
scoped to languages.
"""

from __future__ import annotations

from rules._reader import suggestion

ISO_639_1 = frozenset(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu"
    " cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi"
    " ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks"
    " ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl"
    " nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si sk"
    " sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz"
    " ve vi vo wa wo xh yi yo za zh zu".split()
)
# The identifier's languages that have no ISO 639-1 code (fastText lid.176), by ISO 639-3.
IDENTIFIED_639_3 = frozenset(
    "als arz ast azb bar bcl bpy bxr cbk ceb ckb diq dsb dty eml frr gom hif hsb ilo jbo krc"
    " lez lmo lrc mai mhr min mrj mwl myv mzn nah nap nds new pam pfl pms pnb rue sah scn sco"
    " tyv vec vep vls war wuu xal xmf yue".split()
)
KNOWN = ISO_639_1 | IDENTIFIED_639_3
# Three-letter codes people write for languages that have two-letter ones (ISO 639-2/3).
THREE_TO_TWO = {
    "ara": "ar", "fas": "fa", "per": "fa", "rus": "ru", "ukr": "uk", "tur": "tr", "fra": "fr",
    "fre": "fr", "spa": "es", "deu": "de", "ger": "de", "eng": "en", "zho": "zh", "chi": "zh",
    "heb": "he", "kur": "ku", "urd": "ur", "pus": "ps", "hin": "hi", "ita": "it", "por": "pt",
    "jpn": "ja", "kor": "ko", "nld": "nl", "dut": "nl", "pol": "pl", "aze": "az",
}  # fmt: skip


def language_problem(code: str) -> str | None:
    """Why ``code`` is not a language code a rule can be scoped to, or None when it is."""
    if code in KNOWN:
        return None
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    better = THREE_TO_TWO.get(primary, primary)
    if better in KNOWN:
        return f"unknown language code {code!r}: write {better!r}"
    return f"unknown language code {code!r}: give an ISO 639-1 code such as 'ar'" + suggestion(
        code.lower(), sorted(KNOWN)
    )
