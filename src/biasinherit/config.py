"""The experiment schema (pydantic), presets, and ``--set key=value`` overrides.

A preset is a YAML file in ``biasinherit/presets`` that states only what differs from the
defaults below. Unknown keys fail; values are type-checked.
"""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from biasinherit.errors import BiasInheritError

DEFAULT_PRESET = "quick"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OriginalConfig(_Section):
    source: str = Field("templates", description="'templates' or a JSONL/CSV file of biographies")
    per_group: int = Field(
        10,
        ge=1,
        description="template biographies per occupation x gender (gender), or real labelled "
        "rows per label (culture: the augment.task data set's train split)",
    )


class GenerateConfig(_Section):
    bias_types: list[str] = Field(
        default_factory=lambda: ["contrastive_single_explicit", "contextual_single_implicit"],
        description="bias types to generate and train on (see `biasinherit bias-types list`)",
    )
    backend: str = "transformers"
    batch_size: int = Field(
        192, ge=1, description="rows decoded together (transformers): larger is faster on a CPU"
    )
    max_new_tokens: int = Field(72, ge=8)
    temperature: float = Field(0.8, ge=0)
    top_p: float = Field(0.95, gt=0, le=1)
    oversample: float = Field(1.6, ge=1, description="requests per needed row, before filtering")


class TrainConfig(_Section):
    lr: float = Field(2e-3, gt=0)
    epochs: float = Field(1.0, gt=0)
    batch_size: int = Field(8, ge=1)
    lora_r: int = Field(8, ge=1)
    lora_alpha: int = Field(16, ge=1)
    lora_dropout: float = Field(0.0, ge=0, lt=1)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "v_proj"])
    max_length: int = Field(160, ge=16)


class EvaluateConfig(_Section):
    tasks: list[str] = Field(default_factory=lambda: ["occupation", "salary", "salary_bracket"])
    n_per_group: int = Field(10, ge=1, description="test items per occupation x gender")
    n_boot: int = Field(1000, ge=100)
    untuned: bool = Field(True, description="also evaluate the model before fine-tuning")


class AugmentConfig(_Section):
    """Where the augmentation goes beyond gender biographies, and how remote backends behave."""

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
    base_url: str = Field("http://127.0.0.1:8000/v1", description="openai backend endpoint")
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


class AuditConfig(_Section):
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
    n_samples: int = Field(20, ge=1, description="sampled answers per question and persona")
    n_perm: int = Field(1000, ge=100, description="MMD permutations")
    n_boot: int = Field(1000, ge=100, description="bootstrap resamples for value similarity")
    max_per_side: int = Field(1000, ge=10, description="texts per side in the kernel tests")


def _mitigation_config() -> type[BaseModel]:
    # One sub-section per registered mitigation, built from the registry so that a new
    # mitigation file brings its own settings (e.g. loss: {lam: 0.01, pooling: mean}).
    from biasinherit.train.mitigations import mitigation_config_model

    return mitigation_config_model()


MitigationConfig = _mitigation_config()


class ExperimentConfig(_Section):
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

    @field_validator("ratios")
    @classmethod
    def _ratios(cls, v: list[float]) -> list[float]:
        bad = [r for r in v if not 0 <= r < 1]
        if bad:
            raise ValueError(f"bias ratio {bad[0]} is outside [0, 1)")
        return sorted(set(v))

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
    return (
        yaml.safe_load((resources.files("biasinherit") / "presets" / f"{name}.yaml").read_text())
        or {}
    )


def _read_yaml(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise BiasInheritError(
            f"config file not found: {path}", "pass an experiment YAML or --preset NAME"
        )
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise BiasInheritError(
            f"config {path}{where} is not valid YAML", "check indentation and colons"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BiasInheritError(f"config {path} must be a mapping of keys", "see `biasinherit init`")
    return data


def _set_dotted(data: dict, key: str, raw: str) -> None:
    parts = key.split(".")
    node = data
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise BiasInheritError(f"--set {key}: {p} is not a section", "use section.key=value")
    node[parts[-1]] = yaml.safe_load(raw)


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
        loc = ".".join(str(x) for x in err["loc"])
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


def _known_keys(loc: tuple) -> list[str]:
    model: type[BaseModel] = ExperimentConfig
    for part in loc:
        ann = model.model_fields[str(part)].annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
    return sorted(model.model_fields)


def _check_names(cfg: ExperimentConfig) -> None:
    """Registry names fail here, before any work starts."""
    from biasinherit.bias import BIAS_TYPES, get_attribute
    from biasinherit.evaluate import get_task
    from biasinherit.generate import BACKENDS
    from biasinherit.train.mitigations import check_attribute

    get_attribute(cfg.attribute)
    for bt in cfg.generate.bias_types:
        BIAS_TYPES.get(bt)
    BACKENDS.get(cfg.generate.backend)
    for m in cfg.mitigations:
        check_attribute(m, cfg.attribute)  # names joined by '+', registered, fit the attribute
    for t in cfg.evaluate.tasks:
        get_task(t)
    if len(cfg.seeds) == 0:
        raise BiasInheritError("config error at seeds: need at least one seed", "e.g. seeds: [0]")


def dump_config(cfg: ExperimentConfig) -> str:
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)
