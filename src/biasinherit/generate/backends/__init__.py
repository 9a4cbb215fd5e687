"""Generator backends behind one protocol: user prompts and per-prompt seeds in, texts out.

Each backend is one file that registers itself in ``BACKENDS``: ``transformers`` (local,
batched), ``llamacpp`` (optional extra ``[llamacpp]``), ``openai`` (any OpenAI-compatible
HTTP endpoint), ``planted`` (a positive control without an LLM). A request's output
depends only on its prompt, sampling parameters and seed,
so cached rows and resumed runs match an uninterrupted run.
"""

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


BACKENDS: Registry[type] = Registry("generator backend")


def make_backend(name: str, *, model: str, batch_size: int = 32, **options: Any) -> Backend:
    """Instantiate a registered backend; options a backend does not take are ignored."""
    import inspect

    cls = BACKENDS.get(name)
    params = inspect.signature(cls.__init__).parameters
    kw = {k: v for k, v in options.items() if k in params and v is not None}
    return cls(model=model, batch_size=batch_size, **kw)


# Registration happens on import; each module keeps its heavy imports inside methods.
from biasinherit.generate.backends import llamacpp, openai, planted, transformers  # noqa: E402,F401
from biasinherit.generate.backends.transformers import TransformersBackend  # noqa: E402

__all__ = ["BACKENDS", "Backend", "Generation", "TransformersBackend", "make_backend"]
