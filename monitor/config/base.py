"""The one base of every settings section: unknown keys are errors, values never change."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A table of the config file. ``extra="forbid"`` turns a misspelt key into an error
    naming it; ``frozen`` lets a reload compare and share sections safely.
    ``defer_build``: a section's own validator is built when first used alone; checking a
    config goes through ``Settings``, which holds them all (decision 0064)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
