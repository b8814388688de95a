"""Unrelated headlines that fill a story window, so word rarity is learned as in a real
window, and the instant the grouping tests start from (shared by the semantic-tier tests)."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
BACKGROUND = [
    "Parliament passes budget after long debate",
    "Storm closes schools across the north",
    "Football club sacks manager after defeat",
    "Shares rise on strong jobs data",
    "Film festival opens with comedy premiere",
    "Hospital strike enters second week",
    "Police arrest suspect in bank robbery",
    "New smartphone sales slow in Europe",
]
