"""llama.cpp backend through ``llama-cpp-python`` (optional extra: ``pip install .[llamacpp]``).

It serves GGUF files directly (the embedded SmolLM2 is one). Requests run one at a time in
one context; each carries its own seed, so outputs do not depend on request order.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from pydantic import Field

from biasinherit.errors import BiasInheritError
from biasinherit.generate.backends._base import BACKENDS, Generation, Params


def _gguf_path(model: str) -> str:
    from biasinherit.modelfiles import EMBEDDED, _package_dir

    if model in EMBEDDED:
        module, filename, how = EMBEDDED[model]
        pkg = _package_dir(module)
        if pkg is None or not (pkg / filename).exists():
            raise BiasInheritError(f"embedded model {model!r} is not installed", f"run: {how}")
        return str(pkg / filename)
    if model.endswith(".gguf") and os.path.isfile(model):
        return model
    raise BiasInheritError(
        f"the llamacpp backend needs a .gguf file, got {model!r}",
        "name an embedded model or a .gguf path, or use --set generate.backend=transformers",
    )


class LlamaCppParams(Params):
    n_threads: int | None = Field(None, ge=1, description="CPU threads, default all cores")
    n_ctx: int = Field(1024, ge=64, description="context length in tokens")


@BACKENDS.register("llamacpp")
class LlamaCppBackend:
    """Generation with llama.cpp on the CPU.

    Parameters
    ----------
    model : str
        Embedded model name or a .gguf file.
    batch_size : int
        Unused (llama-cpp-python decodes one sequence per call); kept for the common interface.
    n_threads : int, optional
        CPU threads (default: all cores).
    n_ctx : int
        Context length.
    """

    Params = LlamaCppParams

    def __init__(
        self, *, model: str, batch_size: int = 1, n_threads: int | None = None, n_ctx: int = 1024
    ) -> None:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise BiasInheritError(
                "the llamacpp backend needs llama-cpp-python, which is not installed",
                "pip install 'biasinherit[llamacpp]' (builds from source, ~10 min)",
            ) from None
        path = _gguf_path(model)
        self.llm = Llama(
            model_path=path, n_ctx=n_ctx, n_threads=n_threads or os.cpu_count(), verbose=False
        )
        self.identity = f"gguf:{os.path.basename(path)}:{os.path.getsize(path)}"

    @classmethod
    def identity_for(cls, model: str, params: LlamaCppParams) -> str:
        """``identity`` without loading the model (the GGUF file's name and size)."""
        path = _gguf_path(model)
        return f"gguf:{os.path.basename(path)}:{os.path.getsize(path)}"

    def generate(
        self,
        prompts: list[str],
        *,
        max_new_tokens: int,
        temperature: float,
        top_p: float,
        seeds: list[int],
        on_done: Callable[[int, Generation], None] | None = None,
    ) -> list[Generation]:
        out = []
        for i, (p, seed) in enumerate(zip(prompts, seeds, strict=True)):
            res = self.llm.create_chat_completion(
                messages=[{"role": "user", "content": p}],
                max_tokens=max_new_tokens,
                temperature=temperature,
                top_p=top_p,
                seed=int(seed) % (2**31),
            )
            usage = res.get("usage", {})
            out.append(
                Generation(
                    res["choices"][0]["message"]["content"] or "",
                    usage.get("prompt_tokens", 0),
                    usage.get("completion_tokens", 0),
                )
            )
            if on_done:
                on_done(i, out[-1])
        return out
