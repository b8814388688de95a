"""Surge detection: stories, rules and names reported far more than their baseline.

Owns the :class:`SurgeDetector` (fed one :class:`Sighting` per stored article, it keeps
sliding windows and learned baselines in bounded memory and says which :class:`Surge`
fired), its records and its saved state. It reads nothing from the store: the ingest
path feeds it and the store keeps what fired (docs/decisions/0043-surge-detection.md).
"""

from monitor.surges.detector import SurgeDetector, backtest
from monitor.surges.model import (
    Rising,
    Sighting,
    Surge,
    SurgeKind,
    sighted_at,
    surge_from_evidence,
    surge_id,
)
from monitor.surges.state import SurgeStateError, encode_state

__all__ = [
    "Rising",
    "Sighting",
    "Surge",
    "SurgeDetector",
    "SurgeKind",
    "SurgeStateError",
    "backtest",
    "encode_state",
    "sighted_at",
    "surge_from_evidence",
    "surge_id",
]
