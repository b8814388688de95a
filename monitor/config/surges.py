"""``[surge]``: what the surge detector watches and when a count is a surge
(docs/decisions/0043-surge-detection.md says how the defaults were measured)."""

from __future__ import annotations

from pydantic import Field, model_validator

from monitor.config.base import Section
from rules import Severity


class SurgeSettings(Section):
    """``[surge]``: stories, rules and names reported far more than their baseline."""

    enabled: bool = Field(True, description="false: no detector at all, no cost")
    stories: bool = Field(True, description="a story gaining outlets far faster than usual")
    rules: bool = Field(True, description="a rule matching far more stories than usual")
    names: bool = Field(True, description="a name in far more stories and outlets than usual")
    sensitivity: float = Field(
        1e-6, gt=0, lt=1, description="fires when the baseline gives the count a chance below "
        "this (higher: more surges)",
    )  # fmt: skip
    min_count: int = Field(6, ge=1, description="reports in the window, copies counted once")
    min_outlets: int = Field(5, ge=1, description="independent outlets in the window")
    min_stories: int = Field(
        1, ge=1, description="stories in the window a rule or name surge needs (one story's "
        "outlets are that story's surge)",
    )  # fmt: skip
    window_minutes: float = Field(60.0, ge=1, le=7 * 1440, description="the sliding window")
    half_life_hours: float = Field(
        168.0, gt=0, description="how fast the learned baseline forgets (weights halve)"
    )
    warmup_hours: float = Field(24.0, ge=0, description="observed time before the first surge")
    cooldown_hours: float = Field(6.0, ge=0, description="one key fires again only after this")
    story_hours: float = Field(
        24.0, gt=0, description="a story is tracked this long after it opens"
    )
    max_names: int = Field(20_000, ge=100, le=1_000_000, description="names tracked at most")
    save_interval: float = Field(300.0, ge=10, description="seconds between state saves")
    notifiers: tuple[str, ...] = Field(
        (),
        description="the only notifiers surge alerts go to; empty: no surge alerts "
        "(surges are still recorded, listed and shown)",
    )
    severity: Severity = Field(Severity.MEDIUM, description="the severity of surge alerts")

    @model_validator(mode="after")
    def _window_fits_story(self) -> SurgeSettings:
        if self.window_minutes > self.story_hours * 60:
            raise ValueError("window_minutes exceeds story_hours: a story would never fill it")
        return self
