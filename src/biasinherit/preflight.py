"""The preflight: what each stage needs in memory, checked before any work starts.

A model's size comes from its ``config.json`` (or a GGUF's metadata; ``biasinherit.shapes``),
never from loading its weights, so an 8B model is judged in about a second. Per stage
(estimates; the estimated parts with a 25 % margin, plus the runtime's own overhead):

- weights: parameters x bytes of the dtype (4-bit: half a byte, embeddings kept);
- training: weights + LoRA parameters with their gradients and AdamW state (16 bytes each) +
  activations kept for the backward pass (about ``8 h + 4 i + 2 kv`` values per token and
  layer; with gradient checkpointing only the layer inputs and one layer) at the configured
  batch and length;
- generation: weights + the KV cache for the whole batch (prompt + new tokens) + one layer's
  prefill activations + the last position's logits;
- evaluation and the audit's values: weights + a batch of prompts' activations and cache.

A run that cannot fit stops with one line: the stage, what it needs, what there is, and
the settings that make it fit (dtype, batch sizes, gradient checkpointing, or a GPU size).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from biasinherit.errors import BiasInheritError
from biasinherit.shapes import ModelShape, model_shape

__all__ = ["ModelShape", "Need", "check_run", "check_weights_fit", "model_shape", "run_needs"]

GB = 1024**3
MARGIN = 1.25  # on the estimated parts (activations, caches), not on the weights
OVERHEAD = {"cpu": int(0.8 * GB), "cuda": int(0.4 * GB), "mps": int(0.8 * GB)}
GEN_PROMPT_TOKENS = 160  # a generation prompt with its chat template (quick preset: 120-180)
EVAL_TOKENS = 320  # a long evaluation prompt (biography + instruction + chat template)
EVAL_BATCH = 16  # the scorers' batch size
BATCH_CHOICES = {
    "train": {"cpu": [8, 4, 2, 1], "gpu": [32, 16, 8, 4, 2, 1]},
    # 192 is the measured best on 2 CPU cores (BENCHMARKS.md); a GPU takes more rows.
    "generate": {
        "cpu": [192, 128, 96, 64, 32, 16, 8, 4, 2, 1],
        "gpu": [512, 256, 128, 64, 32, 16, 8, 4, 2, 1],
    },
}


# ----------------------------------------------------------------------- estimates
@dataclass
class Need:
    """Estimated peak memory of one stage, in bytes, with its parts for the message."""

    stage: str
    parts: dict[str, int] = field(default_factory=dict)
    overhead: int = 0
    detail: str = ""

    @property
    def total(self) -> int:
        """Weights as counted; the estimated parts with a margin; the runtime's overhead."""
        w = self.parts.get("weights", 0)
        return int(w + (sum(self.parts.values()) - w) * MARGIN) + self.overhead


def weight_bytes(shape: ModelShape, dtype_bytes: int, quantize: str = "none") -> int:
    """Parameters x bytes; a 4/8-bit base keeps embeddings and the output layer in dtype."""
    if quantize == "none":
        return shape.params * dtype_bytes
    body = shape.params - shape.embedding_params
    per = 0.5 * 1.1 if quantize == "4bit" else 1.0  # NF4 with its scales; int8
    return int(body * per + shape.embedding_params * dtype_bytes)


def lora_params(shape: ModelShape, r: int, targets: list[str]) -> int:
    """Parameters of rank-``r`` LoRA on the named projections of every layer."""
    h, q, kv, i = shape.hidden, shape.heads * shape.head_dim, shape.kv_heads * shape.head_dim, 0
    i = shape.intermediate
    dims = {
        "q_proj": (h, q), "k_proj": (h, kv), "v_proj": (h, kv), "o_proj": (q, h),
        "gate_proj": (h, i), "up_proj": (h, i), "down_proj": (i, h),
    }  # fmt: skip
    return shape.layers * sum(r * sum(dims.get(t, (h, h))) for t in targets)


def _act_bytes(dtype_bytes: int) -> int:
    return 4 if dtype_bytes == 4 else 3  # autocast keeps some activations in float32


def train_need(
    shape: ModelShape,
    device_type: str,
    dtype_bytes: int,
    *,
    batch: int,
    max_length: int,
    lora_r: int,
    targets: list[str],
    checkpointing: bool = False,
    quantize: str = "none",
) -> Need:
    h, i, kv = shape.hidden, shape.intermediate, shape.kv_heads * shape.head_dim
    per_layer = 8 * h + 4 * i + 2 * kv
    tokens = batch * max_length
    kept = shape.layers * h + per_layer if checkpointing else shape.layers * per_layer
    return Need(
        "training",
        {
            "weights": weight_bytes(shape, dtype_bytes, quantize),
            "LoRA + optimizer": lora_params(shape, lora_r, targets) * 16,
            "activations": tokens * kept * _act_bytes(dtype_bytes),
            "logits": batch * 16 * shape.vocab * 4 * 3,
        },
        OVERHEAD[device_type],
        f"batch {batch} x {max_length} tokens" + (", checkpointing" if checkpointing else ""),
    )


def generate_need(
    shape: ModelShape, device_type: str, dtype_bytes: int, *, batch: int, max_new_tokens: int
) -> Need:
    s = GEN_PROMPT_TOKENS
    kv = 2 * shape.layers * shape.kv_heads * shape.head_dim * (s + max_new_tokens) * batch
    prefill = batch * s * (4 * shape.hidden + 2 * shape.intermediate) + batch * shape.heads * s * s
    return Need(
        "generation",
        {
            "weights": weight_bytes(shape, dtype_bytes),
            "KV cache": kv * dtype_bytes,
            "prefill": prefill * dtype_bytes,
            "logits": batch * shape.vocab * 4 * 3,
        },
        OVERHEAD[device_type],
        f"batch {batch} x ({s} + {max_new_tokens}) tokens",
    )


def evaluate_need(
    shape: ModelShape, device_type: str, dtype_bytes: int, *, stage: str = "evaluation",
    quantize: str = "none", extra: int = 0,
) -> Need:  # fmt: skip
    b, s = EVAL_BATCH, EVAL_TOKENS
    kv = 2 * shape.layers * shape.kv_heads * shape.head_dim * s * b * 2  # + option rows
    act = b * s * (4 * shape.hidden + 2 * shape.intermediate) + b * shape.heads * s * s
    return Need(
        stage,
        {
            "weights": weight_bytes(shape, dtype_bytes, quantize) + extra,
            "KV cache": kv * dtype_bytes,
            "activations": act * dtype_bytes,
            "logits": b * s * shape.vocab * 4 // 8,
        },
        OVERHEAD[device_type],
        f"batch {b} x {s} tokens",
    )


def fmt_gb(n: int) -> str:
    return f"{n / GB:.1f} GB" if n >= 0.1 * GB else f"{n / 2**20:.0f} MB"


def _parts(need: Need) -> str:
    return ", ".join(f"{k} {fmt_gb(v)}" for k, v in need.parts.items() if v >= 0.05 * GB)


# ----------------------------------------------------------------------- a run's stages
STAGES = ("generate", "audit", "train", "evaluate")


def _device_class(device_type: str) -> str:
    return "cpu" if device_type == "cpu" else "gpu"


def _copies(cfg) -> int:
    """Cells that run side by side on this machine (each holds its own model)."""
    import os

    if cfg.executor == "local" or (cfg.executor == "ray" and cfg.ray_address):
        return 1
    from biasinherit.cells import grid

    n = len(grid(cfg)) + int(cfg.evaluate.untuned)
    if cfg.executor == "process":
        return max(1, min(n, cfg.workers or os.cpu_count() or 1))
    per = cfg.resources.cpus_per_cell or 1
    return max(1, min(n, cfg.workers or n, (os.cpu_count() or 1) // per))


def _times(need: Need, k: int) -> Need:
    if k == 1:
        return need
    parts = {key: v * k for key, v in need.parts.items()}
    return Need(need.stage, parts, need.overhead * k, f"{need.detail}; {k} cells side by side")


def _generates_locally(cfg) -> bool:
    return cfg.generate.backend == "transformers" and any(r > 0 for r in cfg.ratios)


def _stage_need(stage: str, model: str, section, precision, batch: int) -> Need:
    """Training or generation need of ``model`` with the config section's settings."""
    bytes_, dev = precision.bytes_per_param, precision.device_type
    if stage == "generate":
        return generate_need(
            model_shape(model), dev, bytes_, batch=batch, max_new_tokens=section.max_new_tokens
        )
    return train_need(
        model_shape(model), dev, bytes_, batch=batch, max_length=section.max_length,
        lora_r=section.lora_r, targets=list(section.target_modules),
        checkpointing=section.gradient_checkpointing, quantize=section.quantize,
    )  # fmt: skip


def auto_batch(stage: str, model: str, section, precision) -> int:
    """The largest batch of ``BATCH_CHOICES`` whose estimate fits in 90 % of free memory."""
    from biasinherit.device import memory_available

    free = memory_available(precision)[0]
    choices = BATCH_CHOICES[stage][_device_class(precision.device_type)]
    if free is None:
        return choices[0] if precision.device_type == "cpu" else choices[-4]
    for b in choices:
        if _stage_need(stage, model, section, precision, b).total <= 0.9 * free:
            return b
    return 1


def auto_train_batch(model: str, train, precision) -> int:
    """``train.batch_size: auto``: the largest training batch that fits the device."""
    return auto_batch("train", model, train, precision)


def batch_size(stage: str, cfg, precision) -> int:
    """The configured batch of ``generate`` or ``train``, with ``auto`` resolved."""
    model = cfg.generator_model if stage == "generate" else cfg.model
    section = cfg.generate if stage == "generate" else cfg.train
    if section.batch_size != "auto":
        return int(section.batch_size)
    return auto_batch(stage, model, section, precision)


def run_needs(cfg, precision, stages=STAGES) -> list[Need]:
    """Estimated peak memory of each of the run's stages on ``precision``'s device."""
    bytes_, dev = precision.bytes_per_param, precision.device_type
    needs, k = [], _copies(cfg)
    a = cfg.audit
    if "generate" in stages and _generates_locally(cfg):
        b = batch_size("generate", cfg, precision)
        needs.append(_stage_need("generate", cfg.generator_model, cfg.generate, precision, b))
    if (
        "audit" in stages
        and a.enabled
        and a.values
        and _generates_locally(cfg)
        and a.values_from != "samples"
    ):
        needs.append(evaluate_need(model_shape(cfg.generator_model), dev, bytes_, stage="audit"))
    if "train" in stages:
        b = batch_size("train", cfg, precision)
        train = _stage_need("train", cfg.model, cfg.train, precision, b)
        needs.append(_times(train, k))
    if "evaluate" in stages:
        shape, t = model_shape(cfg.model), cfg.train
        lora = lora_params(shape, t.lora_r, list(t.target_modules)) * 4
        ev = evaluate_need(shape, dev, bytes_, quantize=t.quantize, extra=lora)
        needs.append(_times(ev, k))
    return needs


def _fits(cfg, precision, stages, free: int) -> tuple[bool, list[Need]]:
    needs = run_needs(cfg, precision, stages)
    return all(n.total <= free for n in needs), needs


def _shrink(c, p, bad: list[Need], changes: dict) -> bool:
    """One step towards fitting: checkpointing first (same numbers), then halve batches."""
    moved = False
    for n in bad:
        section = {"training": "train", "generation": "generate"}.get(n.stage)
        if section == "train" and not c.train.gradient_checkpointing:
            c.train.gradient_checkpointing = changes["train.gradient_checkpointing"] = True
            moved = True
        elif section and (b := batch_size(section, c, p)) > 1:
            getattr(c, section).batch_size = b // 2
            changes[f"{section}.batch_size"] = b // 2
            moved = True
    return moved


def _sets(changes: dict) -> str:
    return " ".join(f"--set {k}={str(v).lower()}" for k, v in changes.items())


def find_fix(cfg, precision, stages, free: int) -> str:
    """The settings that make every stage fit: a half-precision dtype, gradient
    checkpointing, smaller batches (in that order), else the GPU size it needs."""
    from dataclasses import replace

    from biasinherit.device import Precision

    gpu = cfg.model_copy(deep=True)
    gpu.dtype = "bfloat16"
    cuda = Precision("cuda:0", "bfloat16", "estimate")
    gpu_need = max(n.total for n in run_needs(gpu, cuda, stages))
    on_gpu = f"a GPU with >= {math.ceil(gpu_need / GB)} GB: --set device=cuda --set dtype=bfloat16"
    for dt in dict.fromkeys(
        [precision.dtype, "bfloat16" if precision.dtype == "float32" else precision.dtype]
    ):
        p, c, changes = replace(precision, dtype=dt), cfg.model_copy(deep=True), {}
        if dt != precision.dtype:
            c.dtype = changes["dtype"] = dt
        for _ in range(32):
            ok, needs = _fits(c, p, stages, free)
            if ok:
                peak = max(n.total for n in needs)
                return f"{_sets(changes)} fits in ~{fmt_gb(peak)}; or {on_gpu}"
            if not _shrink(c, p, [n for n in needs if n.total > free], changes):
                break
    hint = f"it does not fit here even at batch 1; on {on_gpu}"
    if gpu_need > 80 * GB or precision.device_type == "cuda":
        gpu.train.quantize = "4bit"
        q = max(
            n.total for n in run_needs(gpu, cuda, [s for s in stages if s in ("train", "evaluate")])
        )
        hint += f" (with --set train.quantize=4bit: >= {math.ceil(q / GB)} GB)"
    return hint


def check_run(cfg, precision, stages=STAGES) -> list[Need]:
    """Refuse a run whose stages cannot fit the device's free memory, with one line."""
    from biasinherit.device import memory_available

    if cfg.executor == "ray" and cfg.ray_address:
        stages = [s for s in stages if s in ("generate", "audit")]  # cells run elsewhere
    free, _, what = memory_available(precision)
    needs = run_needs(cfg, precision, stages)
    if free is None:
        return needs
    worst = max(needs, key=lambda n: n.total, default=None)
    if worst is None or worst.total <= free:
        return needs
    spec = cfg.generator_model if worst.stage in ("generation", "audit") else cfg.model
    raise BiasInheritError(
        f"{worst.stage} needs ~{fmt_gb(worst.total)} on {precision.device} "
        f"({model_shape(spec).describe()} in {precision.dtype}: {_parts(worst)}; "
        f"{worst.detail}) but {what} is {fmt_gb(free)}",
        find_fix(cfg, precision, stages, free),
    )


def check_weights_fit(spec: str, precision, quantize: str = "none") -> None:
    """Before a model is loaded: its weights fit the device's free memory, or one line."""
    from biasinherit.device import memory_available

    free, _, what = memory_available(precision)
    if free is None:
        return
    shape = model_shape(spec)
    need = (
        weight_bytes(shape, precision.bytes_per_param, quantize) + OVERHEAD[precision.device_type]
    )
    if need <= free:
        return
    half = weight_bytes(shape, 2, quantize) + OVERHEAD[precision.device_type]
    hint = (
        "set dtype=bfloat16 (half the memory)"
        if precision.dtype == "float32" and half <= free
        else f"use a GPU with >= {math.ceil(half / GB)} GB (device=cuda, dtype=bfloat16)"
    )
    raise BiasInheritError(
        f"loading {spec} needs ~{fmt_gb(need)} ({shape.describe()} in {precision.dtype}) "
        f"but {what} is {fmt_gb(free)}",
        hint,
    )
