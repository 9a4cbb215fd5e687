"""The base of every settings block (config sections, a mitigation's ``Params``), and the
value types more than one block checks."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


def _http_url(v: str) -> str:
    if not v.startswith(("http://", "https://")):
        raise ValueError(f"base_url must start with http:// or https://, got {v!r}")
    return v


# An endpoint URL (``augment.base_url``, the openai backend's ``base_url``).
HttpUrl = Annotated[str, AfterValidator(_http_url)]


class Section(BaseModel):
    """A block of settings whose unknown keys fail and whose values are type-checked."""

    model_config = ConfigDict(extra="forbid")
