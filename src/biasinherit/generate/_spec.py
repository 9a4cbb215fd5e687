"""From the experiment config (``generate`` and ``augment`` sections) to a GenerateSpec."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from biasinherit.generate._generate import GenerateSpec


def augment_options(cfg: Any) -> dict:
    """The ``augment`` section as GenerateSpec fields (empty when the config lacks it)."""
    a = getattr(cfg, "augment", None)
    if a is None:
        return {}
    backend_options = {
        "base_url": a.base_url,
        "api_key_env": a.api_key_env,
        "concurrency": a.concurrency,
        "timeout": a.timeout,
        "max_retries": a.max_retries,
        "cache": a.kv_cache,
        "n_threads": a.n_threads,
    }
    return {
        "task": a.task,
        "groups": list(a.groups) if a.groups else None,
        "label_check": a.label_check,
        "cache_dir": a.cache_dir,
        "backend_options": {k: v for k, v in backend_options.items() if v is not None},
    }


def with_config_extras(spec: GenerateSpec, cfg: Any) -> GenerateSpec:
    """``spec`` with the ``augment`` section of ``cfg`` applied (task, groups, backend, cache)."""
    return replace(spec, **augment_options(cfg))


def _batch_size(cfg: Any) -> int:
    """``generate.batch_size``, with ``auto`` resolved for the run's device and dtype."""
    if cfg.generate.batch_size != "auto":
        return cfg.generate.batch_size
    from biasinherit.device import current_precision
    from biasinherit.preflight import batch_size

    return batch_size("generate", cfg, current_precision())


def spec_from_config(cfg: Any, n_per_type: int) -> GenerateSpec:
    """The spec the runner builds for ``cfg``, for ``n_per_type`` kept rows per bias type."""
    g = cfg.generate
    spec = GenerateSpec(
        attribute=cfg.attribute,
        bias_types=list(g.bias_types),
        n_per_type=n_per_type,
        model=cfg.generator_model,
        backend=g.backend,
        batch_size=_batch_size(cfg),
        max_new_tokens=g.max_new_tokens,
        temperature=g.temperature,
        top_p=g.top_p,
        seed=0,
        oversample=g.oversample,
    )
    return with_config_extras(spec, cfg)
