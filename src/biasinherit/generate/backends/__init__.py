"""Generator backends behind one protocol: user prompts and per-prompt seeds in, texts out.

Each backend is one file that registers itself in ``BACKENDS``, which finds every file here
on its first lookup, and declares its options as a ``Params`` model: ``transformers``
(local, batched), ``llamacpp`` (optional extra ``[llamacpp]``), ``openai`` (any
OpenAI-compatible HTTP endpoint), ``planted`` (a positive control without an LLM),
``replay`` (completions produced elsewhere, read from a JSONL file). A request's output
depends only on its prompt, sampling parameters and seed, so cached rows and resumed runs
match an uninterrupted run.
"""

from biasinherit.generate.backends._base import (
    BACKENDS,
    Backend,
    Generation,
    OptionError,
    Params,
    backend_identity,
    backend_params,
    backends_taking,
    describe_options,
    make_backend,
    option_names,
    taken_by,
)
from biasinherit.generate.backends.transformers import TransformersBackend

__all__ = [
    "BACKENDS",
    "Backend",
    "Generation",
    "OptionError",
    "Params",
    "TransformersBackend",
    "backend_identity",
    "backend_params",
    "backends_taking",
    "describe_options",
    "make_backend",
    "option_names",
    "taken_by",
]
