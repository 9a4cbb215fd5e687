"""bfloat16 against float32 (or any dtypes, on any device): scoring, generation, training.

On the embedded SmolLM2-135M by default, in one process (peak memory is the process's
high-water mark after each dtype, so the later rows include the earlier ones on the CPU):

- scoring: occupation items (strong and weak cue), the option scorer, prompt tokens/s;
- generation: the project's decoding loop, sampled with per-row seeds, completion tokens/s;
- training: LoRA steps (r=8 on q/v, batch 8), useful tokens/s, the first step skipped;
- agreement: the share of items on which each dtype picks float32's option (>= 99 % is what
  dtype auto needs before it picks bfloat16 on a CPU), and the largest probability change.

Scoring and generation are best-of-``--reps`` with the dtypes interleaved after an untimed
warm-up. ``--write-calibration`` records the CPU float32/bfloat16 result for ``dtype: auto``
(``biasinherit device`` shows it). Run it on a quiet machine:

    python benchmarks/bench_dtype.py --items 10 --requests 64 --steps 8 --threads 2
    python benchmarks/bench_dtype.py --steps 2 --items 1 --requests 4 --reps 1   # smoke check
    python benchmarks/bench_dtype.py --device cuda --dtypes float32,bfloat16     # on a GPU
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N")
    ap.add_argument("--dtypes", default="float32,bfloat16", help="first = the reference")
    ap.add_argument("--items", type=int, default=5, help="occupation items per group and cue")
    ap.add_argument("--requests", type=int, default=32, help="generation requests")
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--steps", type=int, default=6, help="training steps (batch 8)")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (CPU)")
    ap.add_argument("--write-calibration", action="store_true")
    ap.add_argument("--json", default=None, help="also write the result to this file")
    a = ap.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    from biasinherit.calibration import measure
    from biasinherit.device import machine_key, record_calibration, resolve_precision
    from biasinherit.models import model_identity

    if a.threads:
        torch.set_num_threads(a.threads)
    precisions = [resolve_precision(a.device, d) for d in a.dtypes.split(",")]
    res = measure(
        a.model,
        precisions,
        n_per_group=a.items,
        requests=a.requests,
        max_new_tokens=a.max_new_tokens,
        train_steps=a.steps,
        reps=a.reps,
        log=lambda m: print(m, file=sys.stderr),
    )
    rows = list(res["results"].items())
    ref = rows[0][1]
    print(f"model {a.model}, {res['items']} items, torch threads {torch.get_num_threads()}, "
          f"machine {machine_key()}")  # fmt: skip
    print("| precision | scoring tok/s | generation tok/s | training tok/s | peak MB | "
          "agreement | max Δp |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for label, r in rows:
        x = {s: r[f"{s}_tokens_per_s"] / ref[f"{s}_tokens_per_s"]
             for s in ("scoring", "generation", "training")}  # fmt: skip
        print(
            f"| {label} | {r['scoring_tokens_per_s']} ({x['scoring']:.2f}x) | "
            f"{r['generation_tokens_per_s']} ({x['generation']:.2f}x) | "
            f"{r['training_tokens_per_s']} ({x['training']:.2f}x) | "
            f"{(r['peak_bytes'] or 0) / 2**20:.0f} | {100 * res['agreement'][label]:.1f} % | "
            f"{r['max_prob_diff']:.4f} |"
        )
    labels = [label for label, _ in rows]
    if a.write_calibration:
        if labels[:2] != ["cpu float32", "cpu bfloat16"]:
            print(
                "--write-calibration needs --device cpu --dtypes float32,bfloat16", file=sys.stderr
            )
            return 2
        b = res["results"]["cpu bfloat16"]
        cal = {"agreement": res["agreement"]["cpu bfloat16"], "n": res["items"]}
        for s in ("scoring", "generation", "training"):
            cal[f"{s}_speedup"] = round(b[f"{s}_tokens_per_s"] / ref[f"{s}_tokens_per_s"], 3)
        record_calibration(model_identity(a.model), cal)
        print(f"recorded calibration: {json.dumps(cal)}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
