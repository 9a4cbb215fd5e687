"""``run --dry-run``: what the whole grid costs, before anything runs.

Per stage (generation, the audit's value questions, training, evaluation): model passes and
tokens, counted from the config exactly as a run plans them (generation prompts are planned
and counted with the model's tokenizer where it is local; training examples and test items
are built; their tokens counted with the tokenizer, or estimated at four characters per
token when the model folder has none). Hours come from FLOPs (2 per body parameter per token
forward; LoRA training 4, 6 with gradient checkpointing; the output layer only where it
runs) divided by a rate:

- this machine: the matmul rate measured by ``device.cpu_probe`` (at the run's dtype), times
  the share of it a whole model step reaches (``CPU_EFFICIENCY``);
- a named GPU class: its spec-sheet dense bfloat16 rate times an assumed utilisation
  (``GPU_MFU``); a decoding step is bounded below by reading the weights and the batch's KV
  cache from memory (``GPU_CLASSES`` bandwidth), at ``SERVER_ROWS`` rows or more.

These are stated assumptions, not measurements (docs/SCALE.md): expect the right order of
magnitude, not minutes.
"""

from __future__ import annotations

import math
import tempfile

from biasinherit.preflight import GB, STAGES, ModelShape, find_fix, model_shape, run_needs

# name: (dense bf16 tensor TFLOP/s, memory GB, memory bandwidth TB/s), vendor spec sheets
GPU_CLASSES = {
    "A100-80GB": (312.0, 80, 2.04),
    "H100-SXM": (989.0, 80, 3.35),
    "L4": (121.0, 24, 0.30),
    "RTX-4090": (165.0, 24, 1.01),
}
GPU_MFU = {"train": 0.35, "forward": 0.50, "decode": 0.25}  # assumed share of peak
CPU_EFFICIENCY = {"train": 0.50, "forward": 0.50, "decode": 0.35}  # share of the probe rate
SERVER_ROWS = 64  # rows a batching server (or our loop on a GPU) decodes per step


def _tokens(cfg):
    """A token counter for the tuned model: its tokenizer, or four characters per token."""
    from biasinherit.models import chat_prompt, config_folder, load_tokenizer

    folder, _ = config_folder(cfg.model)
    try:
        if folder is None or not any(folder.glob("tokenizer*")):
            raise LookupError
        tok = load_tokenizer(str(folder))
        return lambda t: len(tok(chat_prompt(tok, t), add_special_tokens=False)["input_ids"])
    except Exception:  # noqa: BLE001 - any tokenizer problem only makes this an estimate
        return lambda t: math.ceil(len(t) / 4) + 12


def _body(shape: ModelShape) -> int:
    return shape.params - shape.embedding_params


def _generation(cfg, run) -> dict:
    from biasinherit.generate import dry_run, generate_spec
    from biasinherit.preflight import batch_size

    n = run.n_augmented_needed()
    plan = dry_run(generate_spec(cfg, n))["total"]
    k = 1 + (cfg.rounds - 1) * len(cfg.seeds)  # each later round regenerates per seed
    batch = (
        batch_size("generate", cfg, run.precision) if cfg.generate.backend == "transformers" else 1
    )
    req = int(plan["to_send"] * k)
    return {
        "requests": req,
        "passes": math.ceil(req / batch) * (1 + cfg.generate.max_new_tokens),
        "prompt_tokens": int(plan["prompt_tokens"] * k),
        "new_tokens": int(plan["max_completion_tokens"] * k),
        "batch": batch,
        "note": "completions at most max_new_tokens; filtered rounds add ~20 %",
    }


def _training(cfg, run, count) -> dict:
    from biasinherit.mix import n_augmented
    from biasinherit.runner import grid

    rows = run.original()
    task = run.train_task()
    sample = rows[:: max(1, len(rows) // 24)][:24]
    per_ex = sum(count(task.sft_example(r)[0]) + 4 for r in sample) / max(1, len(sample))
    per_ex = min(per_ex, cfg.train.max_length)
    n_o, steps, examples = len(rows), 0, 0
    cells = grid(cfg)
    cells += [c for c in cells if c.ratio == max(cfg.ratios)] * (cfg.rounds - 1)
    b = cfg.train.batch_size if cfg.train.batch_size != "auto" else 8
    for c in cells:
        n = n_o + n_augmented(c.ratio, n_o, cfg.mix_mode)
        n = n if cfg.mix_mode == "fixed_original" else n_o
        n_ex = math.ceil(n * cfg.train.epochs)
        examples += n_ex
        steps += math.ceil(n / b * cfg.train.epochs)
    return {
        "cells": len(cells),
        "passes": steps,
        "tokens": int(examples * per_ex),
        "answer_tokens": examples * 4,
        "note": f"{len(cells)} LoRA fine-tunes, ~{per_ex:.0f} tokens per example",
    }


def _evaluation(cfg, count) -> dict:
    from biasinherit.evaluate import get_task
    from biasinherit.runner import EVAL_SEED, grid

    models = len(grid(cfg)) * cfg.rounds + int(cfg.evaluate.untuned)
    passes = tokens = new = items_all = 0
    for name in cfg.evaluate.tasks:
        task = get_task(name)
        items = task.items(n_per_group=cfg.evaluate.n_per_group, seed=EVAL_SEED)
        text = [
            str(r.get("text") or r.get("prompt") or r.get("context") or _words(r)) for r in items
        ]
        sample = text[:: max(1, len(text) // 24)][:24]
        per = sum(count(t) + 40 for t in sample) / max(1, len(sample))
        items_all += len(items)
        tokens += int(per * len(items))
        passes += math.ceil(len(items) / 16)
        if task.kind == "generate":
            k = getattr(task, "max_new_tokens", 24)
            new += len(items) * k
            passes += math.ceil(len(items) / 16) * k
    return {
        "models": models,
        "items": items_all * models,
        "passes": passes * models,
        "prompt_tokens": tokens * models,
        "new_tokens": new * models,
        "note": f"{models} models x {items_all} items ({', '.join(cfg.evaluate.tasks)})",
    }


def _words(item: dict) -> str:
    """An item without one text field: its string values, as a length proxy."""
    return " ".join(str(v) for v in item.values() if isinstance(v, (str, list)))


def _audit(cfg, count) -> dict | None:
    a = cfg.audit
    if not (a.enabled and a.values and any(r > 0 for r in cfg.ratios)):
        return None
    q = a.limit or 94
    personas = 4
    samples = (
        1
        if (a.values_from != "samples" and cfg.generate.backend == "transformers")
        else a.n_samples
    )
    return {
        "passes": math.ceil(q * personas * samples / 16),
        "prompt_tokens": q * personas * samples * 120,
        "new_tokens": 0 if samples == 1 else q * personas * samples * 8,
        "note": f"{q} WVS questions x {personas} personas",
    }


def _seconds(stage: str, work: dict, shape: ModelShape, rate, decode) -> float:
    """Seconds of ``work`` given ``rate(kind)`` FLOP/s and ``decode(new, batch)`` seconds."""
    body, head = 2 * _body(shape), 2 * shape.vocab * shape.hidden
    if stage == "training":
        per = 2 * body + (body if work.get("checkpointing") else 0)
        return (work["tokens"] * per + work["answer_tokens"] * 3 * head) / rate("train")
    fwd = work["prompt_tokens"] * body + work["passes"] * 16 * head
    return fwd / rate("forward") + decode(work.get("new_tokens", 0), work.get("batch", 16))


def _here(shape, precision):
    """Rates on this machine: the CPU probe (float32 or bfloat16), or, for a GPU of a named
    class, that class's figures."""
    from biasinherit.device import cpu_probe

    if precision.device_type == "cuda":
        import torch

        name = torch.cuda.get_device_name(precision.device)
        cls = next((c for c in GPU_CLASSES if c.split("-")[0].lower() in name.lower()), None)
        if cls is None:
            return None, f"{name}: no stated figures, see the GPU columns"
        return _gpu(cls, shape), f"{name} as {cls}"
    if precision.device_type != "cpu":
        return None, f"{precision.device}: no stated figures"
    probe = cpu_probe()
    gflops = probe["bfloat16_gflops" if precision.dtype == "bfloat16" else "float32_gflops"]
    flop = 2 * _body(shape) + 2 * shape.vocab * shape.hidden

    def rate(kind):
        return gflops * 1e9 * CPU_EFFICIENCY[kind]

    def decode(new, batch):
        return new * flop / rate("decode")

    return (rate, decode), f"{precision.dtype} matmul {gflops:.0f} GFLOP/s (probe)"


def _gpu(name: str, shape: ModelShape):
    from biasinherit.preflight import GEN_PROMPT_TOKENS

    tflops, _, bw = GPU_CLASSES[name]
    flop = 2 * _body(shape) + 2 * shape.vocab * shape.hidden
    kv_token = 2 * shape.layers * shape.kv_heads * shape.head_dim * 2  # bf16 bytes per token

    def rate(kind):
        return tflops * 1e12 * GPU_MFU[kind]

    def decode(new, batch):
        rows = max(batch, SERVER_ROWS)
        read = shape.params * 2 + rows * kv_token * (GEN_PROMPT_TOKENS + 64)
        step = max(read / (bw * 1e12), rows * flop / rate("decode"))
        return math.ceil(new / rows) * step

    return rate, decode


def grid_cost(cfg, precision, here=None) -> dict:
    """Passes, tokens and hours per stage of ``cfg``'s grid on ``precision`` (the "here"
    column: ``here`` instead where the configured device is not on this machine) and on
    ``GPU_CLASSES``."""
    from dataclasses import replace

    from biasinherit.runner import Run

    count = _tokens(cfg)
    with tempfile.TemporaryDirectory() as tmp:  # original rows are built, not kept
        run = Run(cfg, tmp)
        run._precision = precision
        stages = {}
        if any(r > 0 for r in cfg.ratios):
            stages["generation"] = _generation(cfg, run)
        audit = _audit(cfg, count)
        if audit:
            stages["audit"] = audit
        stages["training"] = {
            **_training(cfg, run, count),
            "checkpointing": cfg.train.gradient_checkpointing,
        }
        stages["evaluation"] = _evaluation(cfg, count)
    shapes = {
        "generation": model_shape(cfg.generator_model),
        "audit": model_shape(cfg.generator_model),
    }
    here, here_note = _here(model_shape(cfg.model), here or precision)
    bf16 = replace(precision, device="cuda:0", dtype="bfloat16")
    gcfg = cfg.model_copy(deep=True)
    gcfg.dtype = "bfloat16"
    gpu_need = max(n.total for n in run_needs(gcfg, bf16))
    columns = {"here": here_note}
    for name, (_, mem, _) in GPU_CLASSES.items():
        if gpu_need <= mem * GB:
            columns[name] = f"fits its {mem} GB"
        else:  # what makes it fit that card
            fix = find_fix(gcfg, bf16, STAGES, mem * GB).split("; or")[0]
            columns[name] = f"{mem} GB: {fix}"
    for stage, work in stages.items():
        shape = shapes.get(stage, model_shape(cfg.model))
        hours = {}
        remote = stage in ("generation", "audit") and cfg.generate.backend != "transformers"
        if here is not None and not remote:
            hours["here"] = _seconds(stage, work, shape, *here) / 3600
        for name in GPU_CLASSES:
            hours[name] = _seconds(stage, work, shape, *_gpu(name, shape)) / 3600
        work["hours"] = hours
    total = {
        k: sum(s["hours"][k] for s in stages.values() if k in s["hours"])
        for k in ["here", *GPU_CLASSES]
        if any(k in s["hours"] for s in stages.values())
    }
    return {"model": model_shape(cfg.model).describe(), "precision": precision.describe(),
            "gpu_memory_bf16_gb": round(gpu_need / GB, 1), "columns": columns, "stages": stages,
            "total_hours": total}  # fmt: skip


def cost_lines(cost: dict) -> list[str]:
    """The cost table as text lines."""
    cols = ["here", *GPU_CLASSES]
    head = f"{'stage':<11} {'passes':>9} {'tokens':>12}  " + " ".join(f"{c:>10}" for c in cols)
    lines = [f"model: {cost['model']}; device: {cost['precision']}", head]
    for stage, w in cost["stages"].items():
        tokens = w.get("tokens", w.get("prompt_tokens", 0)) + w.get("new_tokens", 0)
        hrs = " ".join(f"{_h(w['hours'].get(c)):>10}" for c in cols)
        lines.append(f"{stage:<11} {w['passes']:>9,} {tokens:>12,}  {hrs}")
    tot = " ".join(f"{_h(cost['total_hours'].get(c)):>10}" for c in cols)
    lines.append(f"{'total':<11} {'':>9} {'':>12}  {tot}")
    lines.append(f"GPU memory (bfloat16, as configured): {cost['gpu_memory_bf16_gb']} GB")
    lines += [f"  {c}: {v}" for c, v in cost["columns"].items() if c != "here"]
    lines += [f"  {s}: {w['note']}" for s, w in cost["stages"].items()]
    lines.append(
        f"  here = {cost['columns']['here']}; GPUs = spec-sheet bf16 peak x assumed "
        "utilisation (docs/SCALE.md); estimates, not measurements"
    )
    return lines


def _h(x: float | None) -> str:
    if x is None:
        return "-"
    if x < 1 / 60:
        return f"{x * 3600:.0f} s"
    return f"{x * 60:.1f} min" if x < 1 else f"{x:.1f} h" if x < 48 else f"{x / 24:.1f} d"
