"""The base of every settings block (config sections, a mitigation's ``Params``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A block of settings whose unknown keys fail and whose values are type-checked."""

    model_config = ConfigDict(extra="forbid")
