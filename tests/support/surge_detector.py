"""What the surge detector's tests share: settings, outlets, a name, a steady newsroom's
background and the (kind, key) of what fired."""

from __future__ import annotations

from monitor.config import SurgeSettings
from monitor.surges import Sighting, Surge
from tests.support.surge_streams import MONDAY, Newsroom, busy_days

DEFAULTS = SurgeSettings()
NAMES_ALONE = SurgeSettings(stories=False)  # one story's names fire themselves
OUTLETS = [f"http://breaking{index}.test/feed" for index in range(20)]
KUNMING = (("kunming", "Kunming"),)


def fired_keys(surges: list[Surge]) -> set[tuple[str, str]]:
    return {(surge.kind.value, surge.key) for surge in surges}


def background(seed: int = 1, days: int = 7, rate: object = None) -> list[Sighting]:
    newsroom = Newsroom(seed) if rate is None else Newsroom(seed, busy_days)
    return list(newsroom.hours(MONDAY, days * 24))
