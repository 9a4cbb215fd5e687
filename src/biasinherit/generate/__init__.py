"""Generate: LLM-written augmentation with a declared bias type and per-row provenance.

Backends (transformers, llamacpp, openai) sit behind one protocol in a registry; every
request goes through a content-addressed cache, so runs resume and never pay twice.
"""

from biasinherit.generate._cache import GenerationCache, request_key
from biasinherit.generate._checks import LABEL_CHECKS
from biasinherit.generate._dryrun import dry_run
from biasinherit.generate._filters import clean_text, filter_rows, scrub_topic
from biasinherit.generate._generate import GenerateSpec, generate_augmentation
from biasinherit.generate._quality import quality_stop
from biasinherit.generate._spec import augment_options, spec_from_config, with_config_extras
from biasinherit.generate._summary import group_make_up, load_generation, samples, summary_table
from biasinherit.generate.backends import (
    BACKENDS,
    Backend,
    Generation,
    TransformersBackend,
    make_backend,
)

__all__ = [
    "BACKENDS",
    "LABEL_CHECKS",
    "Backend",
    "GenerateSpec",
    "Generation",
    "GenerationCache",
    "TransformersBackend",
    "augment_options",
    "clean_text",
    "dry_run",
    "filter_rows",
    "generate_augmentation",
    "group_make_up",
    "load_generation",
    "quality_stop",
    "samples",
    "summary_table",
    "make_backend",
    "request_key",
    "scrub_topic",
    "spec_from_config",
    "with_config_extras",
]
