"""The experiment schema (pydantic), presets, and ``--set key=value`` overrides.

A preset is a YAML file in ``biasinherit/presets`` that states only what differs from the
defaults below. Unknown keys fail; values are type-checked.
"""

from __future__ import annotations

import difflib
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from biasinherit._yaml import load_yaml
from biasinherit.data import ColumnsConfig, OriginalConfig, ValuesConfig  # noqa: F401
from biasinherit.device import DEVICE_PATTERN
from biasinherit.errors import BiasInheritError
from biasinherit.files import read_user_text
from biasinherit.settings import HttpUrl, Section

DEFAULT_PRESET = "quick"
BatchSize = Annotated[int, Field(ge=1)] | Literal["auto"]  # auto: what fits the device


class GenerateConfig(Section):
    bias_types: list[str] = Field(
        default_factory=lambda: ["contrastive_single_explicit", "contextual_single_implicit"],
        description="bias types to generate and train on (see `biasinherit bias-types list`)",
    )
    backend: str = Field(
        "transformers",
        description="generator backend (`biasinherit backends list`)",
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="options of the chosen backend, checked against what it takes "
        "(`biasinherit backends show NAME`), e.g. {path: answers.jsonl} for replay",
    )
    batch_size: BatchSize = Field(
        192,
        description="rows decoded together (transformers): larger is faster on a CPU; "
        "auto: the most that fits the device",
    )
    max_new_tokens: int = Field(72, ge=8)
    temperature: float = Field(0.8, ge=0)
    top_p: float = Field(0.95, gt=0, le=1)
    oversample: float = Field(1.6, ge=1, description="requests per needed row, before filtering")


class TrainConfig(Section):
    lr: float = Field(2e-3, gt=0)
    epochs: float = Field(1.0, gt=0)
    batch_size: BatchSize = Field(8, description="examples per step; auto: what fits the device")
    lora_r: int = Field(8, ge=1)
    lora_alpha: int = Field(16, ge=1)
    lora_dropout: float = Field(0.0, ge=0, lt=1)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "v_proj"])
    max_length: int = Field(160, ge=16)
    gradient_checkpointing: bool = Field(
        False, description="recompute activations in the backward pass: less memory, ~30 % slower"
    )
    quantize: Literal["none", "4bit", "8bit"] = Field(
        "none",
        description="bitsandbytes 4/8-bit base for QLoRA (CUDA and the [qlora] extra only)",
    )
    warmup_frac: float = Field(0.1, ge=0, lt=1, description="share of steps warming up the lr")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay")
    grad_clip: float = Field(1.0, gt=0, description="clip the gradient norm at this value")


class EvaluateConfig(Section):
    tasks: list[str] = Field(default_factory=lambda: ["occupation", "salary", "salary_bracket"])
    n_per_group: int = Field(10, ge=1, description="test items per occupation x gender")
    n_boot: int = Field(1000, ge=100)
    untuned: bool = Field(True, description="also evaluate the model before fine-tuning")


class AugmentConfig(Section):
    """Where the augmentation goes beyond gender biographies, and how remote backends behave.

    The backend keys (``base_url`` to ``n_threads``) are options of one backend each: one set
    to a non-default value while ``generate.backend`` does not take it is a config error.
    """

    task: str | None = Field(
        None,
        description="the attribute's task (gender: occupation; culture: davidson, "
        "rt_polarity, dreaddit); default its first",
    )
    groups: list[str] | None = Field(
        None, description="groups to use (default all); culture also takes ISO country codes"
    )
    label_check: str | None = Field(None, description="vader, model or none (default: the task's)")
    cache_dir: str | None = Field(None, description="generation cache folder (default user cache)")
    base_url: HttpUrl = Field("http://127.0.0.1:8000/v1", description="openai backend endpoint")

    api_key_env: str | None = Field(
        None, description="NAME of the environment variable holding the API key (never the key)"
    )
    concurrency: int = Field(4, ge=1, le=256, description="openai backend: requests in flight")
    timeout: float = Field(60.0, gt=0, description="openai backend: seconds per request")
    max_retries: int = Field(4, ge=0, le=20, description="retries on 429/5xx/timeouts")
    price_per_1k_input: float = Field(0.0, ge=0, description="USD per 1k prompt tokens (dry-run)")
    price_per_1k_output: float = Field(0.0, ge=0, description="USD per 1k completion tokens")
    kv_cache: Literal["reserved", "dynamic", "static"] = Field(
        "reserved",
        description="transformers KV cache: reserved (in place, fastest), dynamic or static",
    )
    n_threads: int | None = Field(None, ge=1, description="llamacpp backend: CPU threads")


class AuditConfig(Section):
    enabled: bool = Field(
        True, description="audit the augmentation before training (audit.json, figures)"
    )
    values: bool = Field(True, description="ask the generator the World Values Survey questions")
    limit: int | None = Field(None, ge=1, description="ask only the first N WVS questions")
    values_from: Literal["auto", "probabilities", "samples"] = Field(
        "auto",
        description="read WVS answers from option probabilities (local model) or sampled "
        "answers (any backend); auto: probabilities for transformers, samples otherwise",
    )
    n_samples: int = Field(
        20, ge=1, description="sampled answers per question, persona and option order"
    )
    option_orders: int = Field(
        2,
        ge=1,
        description="ask each WVS question with its options in this many orders and average "
        "the answers (1: as listed; 2: also reversed; more: cyclic shifts too), so that a "
        "preference for the first option is not read as a country's values",
    )
    n_perm: int = Field(1000, ge=100, description="MMD permutations")
    n_boot: int = Field(1000, ge=100, description="bootstrap resamples for value similarity")
    max_per_side: int = Field(1000, ge=10, description="texts per side in the kernel tests")


class AnalysisConfig(Section):
    """How the analysis step tests: levels, contrasts, the trend and the mitigation rule."""

    alpha: float = Field(0.05, gt=0, lt=0.5, description="level of every test (Holm-corrected)")
    max_cost: float = Field(
        0.02,
        ge=0,
        lt=1,
        description="largest tolerated fall in task performance (0.02 = 2 "
        "points): a mitigation is picked only if its interval's lower end lies above -max_cost",
    )
    calibrate: bool = Field(
        True, description="measure the tests' false-positive rate and power on this run (A/A)"
    )
    n_trend: int = Field(400, ge=50, description="A/A resamples for the trend test")
    n_rule: int = Field(200, ge=50, description="A/A resamples for the mitigation rule")


class ResourcesConfig(Section):
    """What each cell asks of a Ray cluster (``--executor ray``)."""

    gpus_per_cell: float = Field(0, ge=0, description="GPUs per cell (fractions share a GPU)")
    cpus_per_cell: int | None = Field(
        None, ge=1, description="CPUs per cell (default: the cluster's CPUs split over the cells)"
    )


def _mitigation_config() -> type[BaseModel]:
    # One sub-section per registered mitigation, built from the registry so that a new
    # mitigation file brings its own settings (e.g. loss: {lam: 0.01, pooling: mean}).
    from biasinherit.train.mitigations import mitigation_config_model

    return mitigation_config_model()


MitigationConfig = _mitigation_config()


class ExperimentConfig(Section):
    """One study: what to generate, how to mix, train and evaluate."""

    name: str = "experiment"
    attribute: str = "gender"
    model: str = Field(
        "smollm2-135m-instruct",
        description="tuned model: embedded name, local HF folder or .gguf file",
    )
    generator: str | None = Field(None, description="augmenting LLM; defaults to model")
    data_dir: str | None = None
    seeds: list[int] = Field(default_factory=lambda: [0])
    ratios: list[float] = Field(default_factory=lambda: [0.0, 0.05, 0.1, 0.2, 0.5])
    mix_mode: Literal["fixed_original", "fixed_total"] = "fixed_original"
    mitigations: list[str] = Field(default_factory=lambda: ["none"])
    original: OriginalConfig = Field(default_factory=OriginalConfig)
    generate: GenerateConfig = Field(default_factory=GenerateConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)
    augment: AugmentConfig = Field(default_factory=AugmentConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    mitigation_params: MitigationConfig = Field(  # type: ignore[valid-type]
        default_factory=MitigationConfig,
        description="settings per mitigation; combine mitigations with '+' in mitigations",
    )
    executor: Literal["local", "process", "ray"] = Field(
        "local", description="where cells run: in-process, a process pool, or Ray"
    )
    workers: int | None = Field(None, ge=1, description="parallel cells (default: the cores)")
    ray_address: str | None = Field(None, description="Ray cluster address; none = local Ray")
    rounds: int = Field(
        1,
        ge=1,
        le=20,
        description="self-augmentation rounds at the largest "
        "ratio: round k's tuned model writes round k+1's augmentation",
    )
    device: str = Field(
        "auto",
        description="auto, cpu, cuda, cuda:N or mps (auto: a CUDA GPU if there is one)",
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto",
        description="auto: bfloat16 on a GPU; float32 on the CPU unless bfloat16 is measured "
        "faster and calibrated (docs/SCALE.md)",
    )
    resources: ResourcesConfig = Field(default_factory=ResourcesConfig)

    @field_validator("ratios")
    @classmethod
    def _ratios(cls, v: list[float]) -> list[float]:
        if not v:
            raise ValueError("need at least one bias ratio, e.g. [0, 0.5]")
        bad = [r for r in v if not 0 <= r < 1]
        if bad:
            raise ValueError(f"bias ratio {bad[0]} is outside [0, 1)")
        return sorted(set(v))

    @field_validator("device")
    @classmethod
    def _device(cls, v: str) -> str:
        if not re.match(DEVICE_PATTERN, v):
            raise ValueError(f"unknown device {v!r}: use auto, cpu, cuda, cuda:N or mps")
        return v

    @property
    def generator_model(self) -> str:
        return self.generator or self.model

    def n_augmented_needed(self) -> int:
        from biasinherit.mix import n_augmented

        if self.original.source != "templates":
            return 0
        from biasinherit.bias import get_attribute

        attr = get_attribute(self.attribute)
        spec = attr.task(self.augment.task)
        per = (
            len(spec.labels)
            if spec.kind == "classification"
            else len(spec.labels) * len(attr.groups)
        )  # real labelled rows per label, or template bios per topic x group
        n_o = self.original.per_group * per
        return max((n_augmented(r, n_o, self.mix_mode) for r in self.ratios), default=0)


def available_presets() -> list[str]:
    folder = resources.files("biasinherit") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _preset_dict(name: str) -> dict:
    if name not in available_presets():
        close = difflib.get_close_matches(name, available_presets(), n=1)
        guess = f"did you mean {close[0]!r}? " if close else ""
        raise BiasInheritError(
            f"unknown preset {name!r}", f"{guess}available: {', '.join(available_presets())}"
        )
    text = (resources.files("biasinherit") / "presets" / f"{name}.yaml").read_text()
    return load_yaml(text, where=f"preset {name}") or {}


def _read_yaml(path: str | Path) -> dict:
    path = Path(path)
    hint = "pass an experiment YAML or --preset NAME"
    data = load_yaml(read_user_text(path, what="config file", hint=hint), where=f"config {path}")
    if data is None:
        raise BiasInheritError(
            f"config {path} is empty",
            "write at least `preset: quick` in it, or run `biasinherit init` for every key",
        )
    if not isinstance(data, dict):
        raise BiasInheritError(
            f"config {path} must be a mapping of keys, not a {type(data).__name__}",
            "see `biasinherit init`",
        )
    if not isinstance(data.get("preset", ""), str):
        raise BiasInheritError(f"config {path}: preset must be a name", "e.g. preset: quick")
    return data


def _set_dotted(data: dict, key: str, raw: str) -> None:
    parts = key.split(".")
    node = data
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise BiasInheritError(f"--set {key}: {p} is not a section", "use section.key=value")
    node[parts[-1]] = load_yaml(raw, where=f"--set {key}")


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_config(
    path: str | Path | None = None, *, preset: str | None = None, overrides: list[str] | None = None
) -> ExperimentConfig:
    """Resolve a config: preset (or the YAML file's ``preset:`` key), file, then ``--set``.

    Examples
    --------
    >>> cfg = load_config(preset="smoke", overrides=["train.lr=0.001"])
    >>> cfg.train.lr
    0.001
    """
    data: dict[str, Any] = {}
    file_data = _read_yaml(path) if path else {}
    preset = preset or file_data.pop("preset", None) or (None if path else DEFAULT_PRESET)
    if preset:
        data = _preset_dict(preset)
    data = _merge(data, file_data)
    for item in overrides or []:
        if "=" not in item:
            raise BiasInheritError(f"--set {item!r} has no '='", "write --set key=value")
        key, raw = item.split("=", 1)
        _set_dotted(data, key.strip(), raw)
    try:
        cfg = ExperimentConfig.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"] if not _union_tag(x))
        msg = err["msg"].removeprefix("Value error, ")
        hint = "see `biasinherit init` for every key"
        if err["type"] == "extra_forbidden":
            known = _known_keys(err["loc"][:-1])
            close = difflib.get_close_matches(str(err["loc"][-1]), known, n=1)
            hint = (f"did you mean {close[0]!r}? " if close else "") + f"known: {', '.join(known)}"
            msg = "unknown key"
        raise BiasInheritError(f"config error at {loc}: {msg}", hint) from None
    _check_names(cfg)
    return cfg


def _union_tag(part: object) -> bool:
    """pydantic's name for a branch of a union (``int | 'auto'``), not a config key."""
    return str(part).startswith(("constrained-", "literal[", "function-"))


def _known_keys(loc: tuple) -> list[str]:
    model: type[BaseModel] = ExperimentConfig
    for part in loc:
        if str(part) not in model.model_fields:  # a list index or a free-form mapping
            return sorted(model.model_fields)
        ann = model.model_fields[str(part)].annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
    return sorted(model.model_fields)


def _check_names(cfg: ExperimentConfig) -> None:
    """Registry names fail here, before any work starts."""
    from biasinherit.bias import BIAS_TYPES, get_attribute
    from biasinherit.evaluate import get_task
    from biasinherit.generate import BACKENDS, backend_options, option_names
    from biasinherit.train.mitigations import check_attribute

    get_attribute(cfg.attribute)
    for bt in cfg.generate.bias_types:
        BIAS_TYPES.get(bt)
    BACKENDS.get(cfg.generate.backend)
    backend_options(cfg)  # every option the backend would get is one it takes
    if cfg.rounds > 1 and "adapter" not in option_names(cfg.generate.backend):
        raise BiasInheritError(
            f"config error at rounds: self-augmentation needs a backend that loads the tuned "
            f"adapter, and the {cfg.generate.backend} backend does not",
            "set generate.backend=transformers, or rounds=1",
        )
    for m in cfg.mitigations:
        check_attribute(m, cfg.attribute)  # names joined by '+', registered, fit the attribute
    for t in cfg.evaluate.tasks:
        get_task(t)
    if len(cfg.seeds) == 0:
        raise BiasInheritError("config error at seeds: need at least one seed", "e.g. seeds: [0]")
    _check_value_maps(cfg)


def _check_value_maps(cfg: ExperimentConfig) -> None:
    """``original.values`` must map onto the attribute's own groups and labels."""
    from biasinherit.bias import get_attribute

    o = cfg.original
    attr = get_attribute(cfg.attribute)
    norm = lambda x: " ".join(str(x).lower().replace("_", " ").split())  # noqa: E731
    known = {
        "group": {norm(g) for g in attr.groups},
        "label": {norm(lab) for lab in attr.task(cfg.augment.task).labels},
    }
    for kind, mapping in (("group", o.values.group), ("label", o.values.label)):
        for raw, target in mapping.items():
            if norm(target) not in known[kind]:
                raise BiasInheritError(
                    f"config error at original.values.{kind}: {raw!r} maps to {target!r}, "
                    f"not a {kind} of {attr.name}",
                    f"{kind}s: {', '.join(sorted(known[kind]))}",
                )


def dump_config(cfg: ExperimentConfig) -> str:
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)
