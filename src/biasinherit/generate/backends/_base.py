"""The backend protocol and its registry; each backend module registers itself here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from biasinherit.registry import Registry


@dataclass(frozen=True)
class Generation:
    """One completion and its token counts (for tokens/s and cost)."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Backend(Protocol):
    """What a generator backend does. ``identity`` names the model for provenance and caching."""

    identity: str

    def generate(
        self,
        prompts: list[str],
        *,
        max_new_tokens: int,
        temperature: float,
        top_p: float,
        seeds: list[int],
    ) -> list[Generation]: ...


BACKENDS: Registry[type] = Registry("generator backend", plugins="biasinherit.generate.backends")


def make_backend(name: str, *, model: str, batch_size: int = 32, **options: Any) -> Backend:
    """Instantiate a registered backend; options a backend does not take are ignored."""
    import inspect

    cls = BACKENDS.get(name)
    params = inspect.signature(cls.__init__).parameters
    kw = {k: v for k, v in options.items() if k in params and v is not None}
    return cls(model=model, batch_size=batch_size, **kw)
