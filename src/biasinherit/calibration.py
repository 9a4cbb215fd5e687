"""bfloat16 against float32 on one machine: speed of each stage and agreement of the options.

``measure`` runs the three stages that matter on a model in each precision: option scoring
(occupation items, strong and weak cue), generation (the project's decoding loop, sampled,
per-row seeds) and LoRA training steps; it reports tokens/s per stage, peak memory, and the
share of items on which each precision picks the same option as the first (float32).
``calibrate`` records that for ``device``'s ``auto`` rule: on the CPU, bfloat16 is picked
only for a model whose calibration shows >= 99 % agreement and a speed-up on every stage.

Timings are best-of-``reps`` with the precisions interleaved, so a burst of load hits both;
they are still measurements of this machine as it is, so run them on a quiet one.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable

import numpy as np

from biasinherit.device import Precision, peak_memory, record_calibration


def _items(n_per_group: int) -> tuple[list[str], list[str]]:
    from biasinherit.evaluate import get_task
    from biasinherit.evaluate.tasks.occupation import OPTIONS, occupation_prompt

    items = get_task("occupation").items(n_per_group=n_per_group, seed=0)
    return [occupation_prompt(r["text"]) for r in items], OPTIONS


def measure(
    model: str,
    precisions: list[Precision],
    *,
    n_per_group: int = 5,
    requests: int = 32,
    max_new_tokens: int = 32,
    train_steps: int = 4,
    batch_size: int = 8,
    reps: int = 2,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Tokens/s of scoring, generation and training per precision, and option agreement.

    Returns ``{"model", "items", "results": {label: {...}}, "agreement": {label: share}}``
    where ``label`` is ``"<device> <dtype>"`` and the first precision is the reference.
    """
    import torch

    from biasinherit.data import template_bios
    from biasinherit.evaluate import score_options
    from biasinherit.evaluate.tasks.occupation import occupation_prompt
    from biasinherit.generate.backends.transformers import TransformersBackend
    from biasinherit.models import chat_prompt
    from biasinherit.train import TrainSpec, train_lora

    say = log or (lambda _: None)
    prompts, options = _items(n_per_group)
    gen_prompts = [f"Write a short biography of a {o}." for o in options]
    gen_prompts = (gen_prompts * (requests // len(gen_prompts) + 1))[:requests]
    rows = template_bios(per_group=max(1, train_steps * batch_size // 12), split="train", seed=0)
    examples = [(occupation_prompt(r["text"]), r["label"]) for r in rows]
    examples = examples[: train_steps * batch_size]
    backends = {f"{p.device} {p.dtype}": (p, TransformersBackend(model=model, precision=p))
                for p in precisions}  # fmt: skip
    tok = next(iter(backends.values()))[1].tok
    n_prompt = sum(len(tok(chat_prompt(tok, p), add_special_tokens=False)["input_ids"])
                   for p in prompts)  # fmt: skip
    got: dict = {label: {} for label in backends}

    def score(label, p, b) -> float:
        t = time.perf_counter()
        got[label]["probs"] = score_options(b.model, b.tok, prompts, options)
        _sync(p)
        return time.perf_counter() - t

    def gen(label, p, b) -> float:
        t = time.perf_counter()
        g = b.generate(gen_prompts, max_new_tokens=max_new_tokens, temperature=0.8,
                       top_p=0.95, seeds=list(range(len(gen_prompts))))  # fmt: skip
        got[label]["tokens"] = sum(x.completion_tokens for x in g)
        return time.perf_counter() - t

    # best of `reps`, precisions interleaved; an untimed first pass warms each one up
    best = {label: {"score": float("inf"), "gen": float("inf")} for label in backends}
    for stage, fn in (("score", score), ("gen", gen)):
        for rep in range(reps + 1):
            for label, (p, b) in backends.items():
                say(f"{label}: {stage} {'warm-up' if rep == 0 else f'run {rep}'}")
                dt = fn(label, p, b)
                if rep:
                    best[label][stage] = min(best[label][stage], dt)
    out: dict = {}
    for label, (p, _) in backends.items():
        say(f"{label}: {len(examples) // batch_size} training steps")
        with tempfile.TemporaryDirectory() as tmp:
            # a fixed workload, not a run's train section: `device --calibrate` has no run
            spec = TrainSpec(batch_size=batch_size, epochs=1.0, max_length=160)
            _, _, log = train_lora(model, examples, ["original"] * len(examples), spec, tmp,
                                   precision=p)  # fmt: skip
        steps = log["step_time"][1:] or log["step_time"]  # the first step warms up
        per_step = log["useful_tokens"] / max(1, len(log["step_time"]))
        out[label] = {
            "device": p.device,
            "dtype": p.dtype,
            "scoring_tokens_per_s": round(n_prompt / best[label]["score"], 1),
            "generation_tokens_per_s": round(got[label]["tokens"] / best[label]["gen"], 1),
            "training_tokens_per_s": round(per_step * len(steps) / sum(steps), 1),
            "peak_bytes": peak_memory(p),
            "choices": got[label]["probs"].argmax(1).tolist(),
            "probs": got[label]["probs"],
        }
        if p.device_type == "cuda":
            torch.cuda.empty_cache()
    ref = next(iter(out.values()))
    agreement = {}
    for label, r in out.items():
        agreement[label] = float(np.mean(np.array(r["choices"]) == np.array(ref["choices"])))
        r["max_prob_diff"] = round(float(np.abs(r["probs"] - ref["probs"]).max()), 5)
    for r in out.values():
        del r["probs"]
    return {"model": model, "items": len(prompts), "results": out, "agreement": agreement}


def _sync(p: Precision) -> None:
    if p.device_type == "cuda":
        import torch

        torch.cuda.synchronize(p.device)


def calibrate(model: str, *, record: bool = True, **kw) -> dict:
    """bfloat16 vs float32 of ``model`` on this CPU; recorded for ``auto`` when asked."""
    from biasinherit.models import model_identity

    fp32, bf16 = Precision("cpu", "float32", "calibration"), Precision("cpu", "bfloat16", "")
    res = measure(model, [fp32, bf16], **kw)
    a, b = res["results"]["cpu float32"], res["results"]["cpu bfloat16"]
    summary = {
        "agreement": res["agreement"]["cpu bfloat16"],
        "n": res["items"],
        **{f"{s}_speedup": round(b[f"{s}_tokens_per_s"] / a[f"{s}_tokens_per_s"], 3)
           for s in ("scoring", "generation", "training")},
    }  # fmt: skip
    if record:
        record_calibration(model_identity(model), summary)
    return {**res, "calibration": summary}
