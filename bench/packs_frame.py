"""The sampling frame of ``bench.packs``: a reference lexicon of conflict vocabulary.

It was written apart from the bundled packs and is far broader than any of them: its
job is to find every headline that *might* be about armed conflict, so that a small
labelled sample can stand for the whole file. It decides nothing on its own; the
labels in ``bench/packs_labels.csv`` were given by reading each sampled headline.

Headlines fall into five strata by the lexicon's three word lists:

1. a conflict word and a conflict place or actor (``Iraq fighting``)
2. a conflict word only (``troops``, ``shelling``, ``war``)
3. a conflict place or actor only (``Ukraine``, ``ISIS``)
4. only an ambiguous word (``attack``, ``strike``, ``dead``, ``jets``)
5. none of them: the rest of the file

A sample is drawn from each stratum with a fixed seed; each labelled headline stands
for ``stratum size / stratum sample`` headlines of the file. The lexicon is frozen with
the labels: changing it changes the strata, and the labels would have to be redrawn.
Matching is plain ``re`` on the raw headline, case-insensitive, whole-word: nothing of
the rule language, so the frame cannot inherit the packs' blind spots.
"""

from __future__ import annotations

import random
import re
from collections.abc import Collection, Iterable, Mapping, Sequence

TUNING_SEED = 2026  # the sample the packs' gaps were found in
HELD_OUT_SEED = 2027  # drawn and labelled after the packs were changed
STRATA = (1, 2, 3, 4, 5)
SAMPLE_SIZES: Mapping[int, int] = {1: 200, 2: 300, 3: 200, 4: 300, 5: 300}
STRATUM_NAMES: Mapping[int, str] = {
    1: "conflict word and place/actor",
    2: "conflict word only",
    3: "place/actor only",
    4: "ambiguous word only",
    5: "none (rest of the file)",
}

# Words whose main sense in news is armed conflict (stems end in \w*).
CONFLICT_WORDS = """
war wars warfare wartime warzone warplanes? warships? military militar(?:y|ies) militants?
militia\\w* army armies armed troops? soldiers? servicem[ae]n marines? paratroopers? rebels?
insurgen\\w+ insurrection separatists? jihad\\w* guerrill\\w+ gunm[ae]n gunfire gunships?
gunfight\\w* firefight\\w* snipers? ambush\\w* airstrikes? air[-\\s]strikes? air[-\\s]raids?
missiles? rockets? artillery mortars? shell(?:s|ed|ing) bombard\\w* bomb(?:s|ed|ing|ings|er|ers)?
explosions? explosives? blasts? grenades? tanks? drones? fighter[-\\s]jets? jet[-\\s]fighters?
warheads? ceasefires? cease[-\\s]fire truce armistice sieges? besieged? blockade\\w* invasion
invad\\w+ annex\\w* occupation occupied offensive counter[-\\s]?offensive incursions?
clash(?:es|ed)? skirmish\\w* battles? battling battlefield combat\\w* fighting fighters
hostilit\\w+ massacres? atrocit\\w+ genocide hostages? kidnap\\w* abduct\\w* terror\\w* coup
junta mobili[sz]\\w* conscript\\w* reservists? martial[-\\s]law nato pentagon
defen[cs]e[-\\s]minist\\w* shot[-\\s]down shoots?[-\\s]down downed downing casualt\\w+
death[-\\s]toll killed killing killings kills slain wounded executed beheaded violence
violent unrest uprising crackdown refugees? displaced peacekeep\\w* extremists? islamists?
commandos? special[-\\s]forces arsenal ammunition munitions? weaponry
"""

# Places and armed actors of the wars and insurgencies in the news of 2014, and beyond.
CONFLICT_PLACES = """
ukrain\\w* crimea\\w* donetsk luhansk lugansk slavyansk sloviansk kharkiv kharkov odessa
mariupol kiev kyiv sevastopol pro[-\\s]russia\\w* russia\\w* moscow kremlin putin mh17
iraq\\w* baghdad mosul kirkuk tikrit fallujah anbar erbil kurd\\w* peshmerga isis isil
islamic[-\\s]state al[-\\s]qaeda qaeda syria\\w* damascus aleppo homs assad gaza\\w* hamas
hezbollah israel\\w* idf west[-\\s]bank palestin\\w* lebanon\\w* beirut libya\\w* benghazi
tripoli afghan\\w* taliban kabul pakistan\\w* waziristan karachi nigeria\\w* boko[-\\s]haram
somalia\\w* al[-\\s]shabaab shabab kenya\\w* yemen\\w* houthi\\w* sudan\\w* mali
central[-\\s]african congo\\w* north[-\\s]korea\\w* pyongyang south[-\\s]china[-\\s]sea
iran\\w* tehran sinai xinjiang urumqi kunming uighurs? uyghurs?
"""

# Words that are often about conflict but more often about something else.
AMBIGUOUS_WORDS = """
attack\\w* strike strikes striking struck jets? kill\\w* dead deaths? died dies shoot\\w* shot
guns? gunned weapons? arms nuclear threat\\w* conflicts? crisis tensions? standoff raid\\w*
seiz\\w+ captur\\w+ fight\\w* assault\\w* security[-\\s]forces police forces deploy\\w* convoys?
injur\\w+ victims? sanctions? border navy naval air[-\\s]force air[-\\s]base airbase evacuat\\w*
"""


def _pattern(words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words.split()) + r")\b", re.IGNORECASE)


_CONFLICT, _PLACES, _AMBIGUOUS = map(_pattern, (CONFLICT_WORDS, CONFLICT_PLACES, AMBIGUOUS_WORDS))


def stratum(title: str) -> int:
    """Which of the five strata a headline falls in."""
    word, place = _CONFLICT.search(title), _PLACES.search(title)
    if word and place:
        return 1
    if word:
        return 2
    if place:
        return 3
    return 4 if _AMBIGUOUS.search(title) else 5


def reference_words(title: str) -> tuple[str, ...]:
    """The lexicon's conflict and ambiguous words in a headline, lower-cased, in order."""
    found = [m.group(0).lower() for m in _CONFLICT.finditer(title)]
    found += [m.group(0).lower() for m in _AMBIGUOUS.finditer(title)]
    return tuple(dict.fromkeys(found))


def draw_sample(
    strata: Mapping[int, Sequence[int]], seed: int, exclude: Collection[int] = ()
) -> dict[int, list[int]]:
    """Each stratum's sample of row ids: ``SAMPLE_SIZES`` rows at random, in id order.

    Rows in ``exclude`` (an earlier sample) are never drawn again.
    """
    rng = random.Random(seed)
    samples = {}
    for number, size in SAMPLE_SIZES.items():
        pool = sorted(set(strata[number]).difference(exclude))
        samples[number] = sorted(rng.sample(pool, min(size, len(pool))))
    return samples


def group_by_stratum(rows: Iterable[tuple[int, str]]) -> dict[int, list[int]]:
    """Row ids by stratum, from (id, title) pairs."""
    grouped: dict[int, list[int]] = {number: [] for number in STRATA}
    for row_id, title in rows:
        grouped[stratum(title)].append(row_id)
    return grouped
