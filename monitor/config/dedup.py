"""``[dedup]``: how reports are grouped into stories, and the story index's snapshot."""

from __future__ import annotations

from pydantic import Field, model_validator

from monitor.config.base import Section


class DedupSettings(Section):
    window_hours: float = Field(48.0, gt=0)
    title_similarity: float = Field(88.0, ge=50, le=100)
    # IDF-weighted cosine for "same event in other words"; 1.0 turns that grouping off.
    related_similarity: float = Field(0.4, gt=0, le=1)
    # Each new headline's sentence embedding, computed in the parse workers (issue 17).
    semantic: bool = True
    # Headlines close in meaning (sentence embeddings, docs/decisions/0042): in one language
    # the cosine averaged with the IDF overlap of their words; across languages the cosine.
    semantic_similarity: float = Field(0.48, gt=0, le=1)
    cross_language_similarity: float = Field(0.7, gt=0, le=1)
    # The two one-language bars above hold for reports within ``recent_hours`` of each
    # other; further apart, these (never lower) bars (docs/decisions/0059-recent-reports.md,
    # set on de-leaked times: "The slice's timestamps").
    recent_hours: float = Field(1.0, ge=0)
    related_similarity_later: float = Field(0.5, gt=0, le=1)
    semantic_similarity_later: float = Field(0.52, gt=0, le=1)
    # The story index saved at shutdown and every ``snapshot_interval`` seconds, loaded at
    # start instead of re-reading the window (docs/decisions/0051-index-snapshots.md).
    snapshot: bool = True
    snapshot_path: str = Field(
        "", description="the snapshot file ('': beside the SQLite database; PostgreSQL: none)"
    )
    snapshot_interval: float = Field(900.0, ge=10, description="seconds between snapshots")

    @model_validator(mode="after")
    def _later_bars_not_below_recent(self) -> DedupSettings:
        # A later bar left unset follows a raised recent one (the story index takes the
        # higher); one written below it would judge reports hours apart more leniently.
        for key in ("related_similarity", "semantic_similarity"):
            later, recent = getattr(self, f"{key}_later"), getattr(self, key)
            if f"{key}_later" in self.model_fields_set and later < recent:
                raise ValueError(
                    f"{key}_later ({later}) is below {key} ({recent}): reports further apart"
                    f" than recent_hours are never judged more leniently; raise {key}_later"
                    " or leave it unset"
                )
        return self
