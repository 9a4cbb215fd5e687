"""LoRA supervised fine-tuning, one readable loop, on the CPU or a GPU.

Speed matters on a 2-core laptop, so the loop (a) groups examples of similar length into a
batch, so almost no compute goes to padding, and (b) applies the output layer only at the
answer tokens that carry loss (the 49k-word output layer is a fifth of the model's work).
The device and dtype are the run's (``biasinherit.device``): in bfloat16/float16 the base
weights are half precision, LoRA weights and optimizer stay float32 and the forward pass
runs under autocast (float16 with a gradient scaler); in float32 the loop is the plain one.
"""

from __future__ import annotations

import json
import math
import random
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from biasinherit.errors import BiasInheritError
from biasinherit.files import atomic_write_json
from biasinherit.train.mitigations import Mitigation, NoMitigation


@dataclass
class TrainSpec:
    """LoRA SFT hyper-parameters (the config's ``train`` section)."""

    lr: float = 2e-3
    epochs: float = 1.0
    batch_size: int | str = 8  # "auto": what fits the device (biasinherit.preflight)
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.0
    target_modules: list[str] = field(default_factory=lambda: ["q_proj", "v_proj"])
    max_length: int = 160
    gradient_checkpointing: bool = False
    quantize: str = "none"  # a 4/8-bit base (QLoRA; CUDA only)
    warmup_frac: float = 0.1
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    log_every: int = 5


def train_spec(cfg: Any) -> TrainSpec:
    """The spec a run's config trains with: its ``train`` section (``log_every`` stays 5).

    ``cfg`` is an ``ExperimentConfig``, duck-typed: a stage does not import the config.

    Examples
    --------
    >>> from biasinherit.config import load_config
    >>> spec = train_spec(load_config(preset="smoke"))
    >>> spec.lr, spec.target_modules, spec.log_every
    (0.002, ['q_proj', 'v_proj'], 5)
    """
    return TrainSpec(**cfg.train.model_dump())


def tokenize_examples(tok, examples: list[tuple[str, str]], max_length: int) -> list[dict]:
    """Chat-formatted (prompt, answer) pairs -> ids and labels (loss on the answer only)."""
    from biasinherit.models import chat_prompt

    end = tok.eos_token or ""
    out = []
    for prompt, answer in examples:
        p = tok(chat_prompt(tok, prompt), add_special_tokens=False)["input_ids"]
        a = tok(answer + end, add_special_tokens=False)["input_ids"]
        p = p[-(max_length - len(a)) :]  # keep the answer; cut the prompt's start if too long
        out.append({"input_ids": p + a, "labels": [-100] * len(p) + a})
    return out


def length_grouped_batches(
    lengths: list[int], batch_size: int, rng: random.Random
) -> list[list[int]]:
    """Shuffle, sort within windows of 32 batches by length, batch, shuffle the batches."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    window = batch_size * 32
    batches = []
    for w in range(0, len(idx), window):
        chunk = sorted(idx[w : w + window], key=lambda i: lengths[i])
        batches += [chunk[b : b + batch_size] for b in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def source_balanced_batches(
    lengths: list[int], sources: list[str], batch_size: int, rng: random.Random
) -> list[list[int]]:
    """Batches that each hold every source in proportion (for the ``loss`` mitigation).

    Each source is shuffled and sorted by length; the smaller sources are split into
    consecutive blocks, one per batch, in proportion to their size, and the largest fills the
    rest of each batch in order, so a batch holds rows of similar length rank from each
    source. A batch lacks a source only when that source has fewer rows than there are
    batches.

    Examples
    --------
    >>> b = source_balanced_batches([5] * 10, ["original"] * 8 + ["augmented"] * 2, 4,
    ...                             random.Random(0))
    >>> sorted(len(x) for x in b), sum(any(i >= 8 for i in x) for x in b)
    ([2, 4, 4], 2)
    """
    n_batches = math.ceil(len(lengths) / batch_size)
    pools = {s: [i for i, x in enumerate(sources) if x == s] for s in sorted(set(sources))}
    for idx in pools.values():
        rng.shuffle(idx)
        idx.sort(key=lambda i: lengths[i])  # stable: ties stay shuffled
    order = sorted(pools, key=lambda s: len(pools[s]))
    slots: list[list[int]] = [[] for _ in range(n_batches)]
    for src in order[:-1]:
        idx = pools[src]
        for j in range(n_batches):
            lo, hi = j * len(idx) // n_batches, (j + 1) * len(idx) // n_batches
            slots[j] += idx[lo:hi]
    rest = iter(pools[order[-1]])
    for slot in slots:
        slot += [i for _, i in zip(range(batch_size - len(slot)), rest, strict=False)]
    batches = [b for b in slots if b]
    rng.shuffle(batches)
    return batches


def _collate(items: list[dict], pad_id: int):
    import torch

    n = max(len(x["input_ids"]) for x in items)
    ids = torch.full((len(items), n), pad_id, dtype=torch.long)
    labels = torch.full((len(items), n), -100, dtype=torch.long)
    mask = torch.zeros((len(items), n), dtype=torch.long)
    for i, x in enumerate(items):
        k = len(x["input_ids"])
        ids[i, :k] = torch.tensor(x["input_ids"])
        labels[i, :k] = torch.tensor(x["labels"])
        mask[i, :k] = 1
    return ids, labels, mask


def train_lora(
    model_spec: str,
    examples: list[tuple[str, str]],
    sources: list[str],
    spec: TrainSpec,
    out_dir: str | Path,
    *,
    seed: int = 0,
    mitigation: Mitigation | None = None,
    progress: Callable[[int, int, float], None] | None = None,
    precision=None,
):
    """Fine-tune a LoRA adapter on (prompt, answer) pairs; save it and a training log.

    Returns the tuned (in-memory) model and the log dict. ``sources`` says which examples are
    original or augmented, for mitigations that treat the two differently. A mitigation's
    ``weights_`` (set by its ``prepare_rows`` on the same rows) weight each example's loss.
    ``precision`` (default the process's, ``device.current_precision``) says where and in
    which dtype; ``spec.batch_size = "auto"`` is resolved for it here.
    """
    import torch
    import torch.nn.functional as F
    from peft import LoraConfig, get_peft_model

    from biasinherit.device import current_precision
    from biasinherit.models import load_model
    from biasinherit.preflight import auto_train_batch

    mitigation = mitigation or NoMitigation()
    precision = precision or current_precision()
    if spec.batch_size == "auto":
        spec = replace(spec, batch_size=auto_train_batch(model_spec, spec, precision))
    torch.manual_seed(seed)
    rng = random.Random(seed)
    base, tok = load_model(model_spec, precision=precision, quantize=spec.quantize)
    if spec.gradient_checkpointing:  # layer inputs kept, the rest recomputed in backward
        kw = {"use_reentrant": False}
        if hasattr(base, "activation_checkpointing_enable"):  # transformers >= 5.2x
            base.activation_checkpointing_enable(activation_checkpointing_kwargs=kw)
        else:
            base.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kw)
    dev = base.device
    scaler = torch.amp.GradScaler(dev.type) if precision.dtype == "float16" else None
    lora = LoraConfig(
        r=spec.lora_r,
        lora_alpha=spec.lora_alpha,
        lora_dropout=spec.lora_dropout,
        target_modules=list(spec.target_modules),
        task_type="CAUSAL_LM",
    )
    with warnings.catch_warnings():  # peft asks a property transformers 5 deprecated: noise
        warnings.filterwarnings("ignore", ".*is_gradient_checkpointing.*", FutureWarning)
        model = get_peft_model(base, lora)
    data = tokenize_examples(tok, examples, spec.max_length)
    weights = mitigation.weights_
    if weights is not None and len(weights) != len(data):
        raise BiasInheritError(
            f"mitigation {mitigation.name} has {len(weights)} weights for {len(data)} examples",
            "call mitigation.prepare_rows on the rows the examples come from",
        )
    lengths = [len(x["input_ids"]) for x in data]
    steps_per_epoch = math.ceil(len(data) / spec.batch_size)
    total_steps = max(1, math.ceil(steps_per_epoch * spec.epochs))
    warmup = max(1, int(spec.warmup_frac * total_steps))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=spec.lr, weight_decay=spec.weight_decay)
    body = model.get_base_model().model  # decoder without the output layer
    head = model.get_base_model().lm_head
    # step_cpu: process CPU seconds per step, a cost measure that survives a busy machine
    log = {"loss": [], "step_time": [], "step_cpu": [], "useful_tokens": 0, "padded_tokens": 0}

    def lr_at(step: int) -> float:  # linear warmup, then cosine decay to 10 %
        if step < warmup:
            return spec.lr * (step + 1) / warmup
        frac = (step - warmup) / max(1, total_steps - warmup)
        return spec.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))

    model.train()
    step, t_start, batches = 0, time.perf_counter(), []
    while step < total_steps:
        if not batches:
            batches = (
                source_balanced_batches(lengths, sources, spec.batch_size, rng)
                if mitigation.needs_both_sources
                else length_grouped_batches(lengths, spec.batch_size, rng)
            )
        batch = batches.pop()
        ids, labels, mask = (
            t.to(dev) for t in _collate([data[i] for i in batch], tok.pad_token_id)
        )  # a no-op on the CPU
        t0, c0 = time.perf_counter(), time.process_time()
        for g in opt.param_groups:
            g["lr"] = lr_at(step)

        with precision.autocast():  # nullcontext in float32
            hidden = body(input_ids=ids, attention_mask=mask).last_hidden_state
            # Predict token t+1 from position t, only where token t+1 is an answer token.
            target = labels[:, 1:]
            where = target != -100
            logits = head(hidden[:, :-1][where]).float()  # the loss in float32 (no-op there)
            if weights is None:
                loss = F.cross_entropy(logits, target[where])
            else:  # per-example weights (reweight): mean over tokens of weight x token loss
                w = torch.tensor([weights[i] for i in batch], device=dev)
                w = w[:, None].expand_as(target)[where]
                loss = (F.cross_entropy(logits, target[where], reduction="none") * w).mean()
            extra = mitigation.extra_loss(hidden, mask, [sources[i] for i in batch])
            if extra is not None:
                loss = loss + extra

        opt.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, spec.grad_clip)
            opt.step()
        else:  # float16: scale the loss so small gradients do not underflow
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(params, spec.grad_clip)
            scaler.step(opt)
            scaler.update()

        dt = time.perf_counter() - t0
        log["loss"].append(round(loss.item(), 5))
        log["step_time"].append(round(dt, 4))
        log["step_cpu"].append(round(time.process_time() - c0, 4))
        log["useful_tokens"] += int(mask.sum())
        log["padded_tokens"] += int(mask.numel())
        step += 1
        if progress:
            progress(step, total_steps, loss.item())
    elapsed = time.perf_counter() - t_start
    log.update(
        steps=total_steps,
        examples=len(data),
        seconds=round(elapsed, 2),
        useful_tokens_per_s=round(log["useful_tokens"] / elapsed, 1),
        pad_share=round(1 - log["useful_tokens"] / max(1, log["padded_tokens"]), 4),
        spec=asdict(spec),
        seed=seed,
        mitigation=mitigation.name,
        mitigation_stats=mitigation.stats_,
        device=precision.device,
        dtype=precision.dtype,
    )
    out_dir = Path(out_dir)
    model.save_pretrained(out_dir, safe_serialization=True)
    atomic_write_json(out_dir / "train_log.json", log)
    model.eval()
    return model, tok, log


def read_train_log(adapter_dir: str | Path) -> dict:
    return json.loads((Path(adapter_dir) / "train_log.json").read_text())
