"""Generate: LLM-written augmentation with a declared bias type and per-row provenance.

Backends (transformers, llamacpp, openai, planted, replay) sit behind one protocol in a
registry, each declaring its options; every request goes through a content-addressed cache,
so runs resume and never pay twice.
"""

from biasinherit.generate._cache import GenerationCache, request_key
from biasinherit.generate._checks import LABEL_CHECKS
from biasinherit.generate._dryrun import dry_run, planned_prompts
from biasinherit.generate._filters import clean_text, filter_rows, scrub_topic
from biasinherit.generate._generate import GenerateSpec, generate_augmentation
from biasinherit.generate._quality import quality_stop
from biasinherit.generate._spec import (
    AUGMENT_OPTIONS,
    augment_options,
    backend_options,
    generate_spec,
    with_config_extras,
)
from biasinherit.generate._summary import group_make_up, load_generation, samples, summary_table
from biasinherit.generate.backends import (
    BACKENDS,
    Backend,
    Generation,
    TransformersBackend,
    backend_params,
    describe_options,
    make_backend,
    option_names,
)

__all__ = [
    "AUGMENT_OPTIONS",
    "BACKENDS",
    "LABEL_CHECKS",
    "Backend",
    "GenerateSpec",
    "Generation",
    "GenerationCache",
    "TransformersBackend",
    "augment_options",
    "backend_options",
    "backend_params",
    "clean_text",
    "describe_options",
    "dry_run",
    "filter_rows",
    "generate_augmentation",
    "generate_spec",
    "group_make_up",
    "load_generation",
    "quality_stop",
    "samples",
    "summary_table",
    "make_backend",
    "option_names",
    "planned_prompts",
    "request_key",
    "scrub_topic",
    "with_config_extras",
]
