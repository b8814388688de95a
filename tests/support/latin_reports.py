"""Reports of one event in French, Spanish, German and Turkish, for story-grouping tests
(fixtures written for these tests).

In each language two outlets word the event with other inflections of the same words
(a noun for a participle, a feminine plural for a masculine one, a case suffix), so that
their headlines share fewer than three words unless the words are stemmed in the
article's language; and the same outlet reports a look-alike event in another place
and another with another number, which must stay stories of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BACKGROUND", "LATIN_EVENTS", "LatinEvent", "by_language"]


@dataclass(frozen=True, slots=True)
class LatinEvent:
    language: str  # ISO 639-1, as the identifier gives it
    report: str  # the first outlet's headline
    reworded: str  # the second outlet's, other inflections of the same words
    other_place: str  # a look-alike event somewhere else
    other_number: str  # a look-alike event with another count


LATIN_EVENTS = (
    LatinEvent(
        "fr",
        "Inondations à Nîmes : 2 hôpitaux évacués",
        "Nîmes inondé : évacuation de 2 hôpitaux",
        "Alès inondé : évacuation de 2 hôpitaux",
        "Nîmes inondé : évacuation de 3 hôpitaux",
    ),
    LatinEvent(
        "es",
        "Valencia: 12 ancianos heridos en el incendio de una residencia",
        "12 ancianas heridas en Valencia al incendiarse su residencia",
        "12 ancianas heridas en Alicante al incendiarse su residencia",
        "30 ancianas heridas en Valencia al incendiarse su residencia",
    ),
    LatinEvent(
        "de",
        "Hamburg: Schwerer Unfall im Hafen, 12 Verletzte",
        "12 Menschen bei schwerem Unfall im Hamburger Hafen verletzt",
        "12 Menschen bei schwerem Unfall im Bremer Hafen verletzt",
        "30 Menschen bei schwerem Unfall im Hamburger Hafen verletzt",
    ),
    LatinEvent(
        "tr",
        "Ankara'da otobüs kazası: 12 yaralı",
        "Ankara'daki otobüs kazasında 12 kişi yaralandı",
        "Konya'daki otobüs kazasında 12 kişi yaralandı",
        "Ankara'daki otobüs kazasında 30 kişi yaralandı",
    ),
)


def by_language(event: LatinEvent) -> str:
    """A test id for an event: its language."""
    return event.language


# Other news of the window, (headline, language), so that word rarity means something.
BACKGROUND = (
    ("Oil prices climb on supply worries", "en"),
    ("Parliament passes budget after long debate", "en"),
    ("Les prix du pétrole grimpent sur les marchés mondiaux", "fr"),
    ("Los precios del petróleo suben en los mercados", "es"),
    ("Ölpreise steigen an den Weltmärkten", "de"),
    ("Petrol fiyatları dünya piyasalarında yükseldi", "tr"),
)
