"""From the experiment config (``generate`` and ``augment`` sections) to a GenerateSpec.

A backend's options come from ``generate.options`` (any option of its ``Params``) and, for
the built-in ones, from the older flat ``augment:`` keys (``augment.concurrency`` and so on).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from biasinherit.errors import BiasInheritError
from biasinherit.generate._generate import GenerateSpec
from biasinherit.generate.backends import (
    OptionError,
    backend_params,
    backends_taking,
    option_names,
    taken_by,
)

# The ``augment:`` keys that set a backend option (flat keys kept from before
# ``generate.options``): config key -> option name.
AUGMENT_OPTIONS = {
    "base_url": "base_url",
    "api_key_env": "api_key_env",
    "concurrency": "concurrency",
    "timeout": "timeout",
    "max_retries": "max_retries",
    "kv_cache": "cache",
    "n_threads": "n_threads",
}


def _set_by_user(section: Any, key: str) -> bool:
    # A run folder's config.yaml states every key, defaults included, so "set" alone would
    # reject every saved config: a key counts as the user's when it is set to a non-default.
    default = type(section).model_fields[key].default
    return key in section.model_fields_set and getattr(section, key) != default


def backend_options(cfg: Any) -> dict[str, Any]:
    """The options the chosen backend gets: its ``augment:`` keys, then ``generate.options``.

    An ``augment:`` key the backend does not take is left out while it holds its default and
    is a config error once the user sets it; a ``generate.options`` key must be an option of
    the backend (its ``Params``, checked by ``backend_params``); a key given both ways is an
    error too.
    """
    name = cfg.generate.backend
    takes = option_names(name)
    out: dict[str, Any] = {}
    source: dict[str, str] = {}  # option -> the config key it came from, for messages
    by_user: set[str] = set()  # options the user set in augment:
    a = getattr(cfg, "augment", None)
    for key, opt in AUGMENT_OPTIONS.items():
        if a is None:
            break
        if opt in takes:
            out[opt], source[opt] = getattr(a, key), f"augment.{key}"
            if _set_by_user(a, key):
                by_user.add(opt)
        elif _set_by_user(a, key):
            others = backends_taking(opt)
            raise BiasInheritError(
                f"config error at augment.{key}: the {name} backend does not take it "
                f"(only {taken_by(others)})",
                f"drop it, or set generate.backend={others[0]}",
            )
    for opt, value in (getattr(cfg.generate, "options", None) or {}).items():
        if opt in by_user:
            raise BiasInheritError(
                f"config error at generate.options.{opt}: also set as {source[opt]}",
                "keep one of them",
            )
        out[opt], source[opt] = value, f"generate.options.{opt}"
        if opt not in takes:
            break  # backend_params names it, before any later key's problem (as before)
    try:
        backend_params(name, out)
    except OptionError as e:
        # the same check, worded as a config error at the key the option came from
        at = source.get(e.option, "generate.options") if e.option else "generate"
        if e.reason is not None:
            message = f"config error at {at}: {e.reason}"
        else:
            who = f" (only {taken_by(e.others)})" if e.others else ""
            message = f"config error at {at}: the {name} backend does not take it{who}"
        raise BiasInheritError(message, f"{e.hint} (`biasinherit backends show {name}`)") from None
    return {k: v for k, v in out.items() if v is not None}  # None: the backend's default


def augment_options(cfg: Any) -> dict:
    """The ``augment`` section as GenerateSpec fields (empty when the config lacks it)."""
    a = getattr(cfg, "augment", None)
    if a is None:
        return {}
    return {
        "task": a.task,
        "groups": list(a.groups) if a.groups else None,
        "label_check": a.label_check,
        "cache_dir": a.cache_dir,
        "backend_options": backend_options(cfg),
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


def generate_spec(cfg: Any, n_per_type: int) -> GenerateSpec:
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
