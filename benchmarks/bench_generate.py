"""Generation speed: augmented rows per minute and tokens/s per backend, side by side.

The same planned requests (gender x occupation; neutral and two biased types; per-request
seeds) go to each available backend on the embedded SmolLM2-135M:

- ``hf-generate bN``: the previous path (transformers ``model.generate``, batch N), for reference;
- ``transformers bN``: the project's decode loop (per-row seeds, finished rows leave the batch,
  output layer on the last position only, KV cache written in place), at several batch sizes,
  and at the default batch with transformers' dynamic (concatenating) and static KV caches;
- ``llamacpp``: llama-cpp-python single stream (only where the ``[llamacpp]`` extra is installed);
- ``openai->serve``: the HTTP backend against ``biasinherit serve`` on 127.0.0.1 (``--serve``).

Rows/min counts rows kept by the quality filters. Then the cache: the same
``generate_augmentation`` twice into fresh run folders sharing one cache folder.

    python benchmarks/bench_generate.py [--requests 96] [--max-new-tokens 64] [--serve]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIAS_TYPES = ["neutral", "contrastive_single_explicit", "contextual_single_implicit"]
MODEL = "smollm2-135m-instruct"


def planned(n: int):
    from biasinherit.bias import get_attribute
    from biasinherit.generate._plan import group_names, plan_prompts, request_seed

    a = get_attribute("gender")
    names = group_names(a)
    per = -(-n // len(BIAS_TYPES))
    ps = [
        p for bt in BIAS_TYPES for p in plan_prompts(a, a.task(), bt, 0, per, seed=0, names=names)
    ]
    return ps[:n], [request_seed(0, p.prompt_id) for p in ps[:n]]


class HFGenerate:
    """The previous backend: ``model.generate`` on length-sorted, left-padded batches."""

    def __init__(self, batch_size: int) -> None:
        from biasinherit.models import load_model

        self.batch_size = batch_size
        self.model, self.tok = load_model(MODEL)

    def generate(self, prompts, *, max_new_tokens, temperature, top_p, seeds):
        import torch

        from biasinherit.generate import Generation
        from biasinherit.models import chat_prompt

        texts = [chat_prompt(self.tok, p) for p in prompts]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = [None] * len(texts)
        self.tok.padding_side = "left"
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            enc = self.tok([texts[i] for i in idx], return_tensors="pt", padding=True,
                           add_special_tokens=False)  # fmt: skip
            torch.manual_seed(seeds[idx[0]])
            with torch.inference_mode():
                gen = self.model.generate(
                    **enc, max_new_tokens=max_new_tokens, do_sample=True, temperature=temperature,
                    top_p=top_p, top_k=None, pad_token_id=self.tok.pad_token_id,
                )  # fmt: skip
            for i, row in zip(idx, gen[:, enc["input_ids"].shape[1] :], strict=True):
                ids = [t for t in row.tolist() if t != self.tok.pad_token_id]
                out[i] = Generation(self.tok.decode(ids, skip_special_tokens=True), 0, len(ids))
        self.tok.padding_side = "right"
        return out


def measure(label: str, backend, prompts, seeds, args) -> dict:
    from biasinherit.bias import get_attribute
    from biasinherit.generate import filter_rows

    texts = [p.text for p in prompts]
    kw = dict(max_new_tokens=args.max_new_tokens, temperature=0.8, top_p=0.95)
    backend.generate(texts[:2], seeds=seeds[:2], **{**kw, "max_new_tokens": 4})  # warm-up
    t0 = time.perf_counter()
    gens = backend.generate(texts, seeds=seeds, **kw)
    dt = time.perf_counter() - t0
    a = get_attribute("gender")
    raws = [
        {"prompt_id": p.prompt_id, "raw": g.text, "topic": p.topic, "group": p.group,
         "bias_type": p.bias_type, "name": p.name, "generator": label, "seed": s}
        for p, g, s in zip(prompts, gens, seeds, strict=True)
    ]  # fmt: skip
    kept = sum(len(filter_rows(a, a.task(), bt, raws)[0]) for bt in BIAS_TYPES)
    toks = sum(g.completion_tokens for g in gens)
    row = {
        "backend": label,
        "requests": len(texts),
        "seconds": round(dt, 2),
        "completion_tokens": toks,
        "tokens_per_s": round(toks / dt, 1),
        "kept_rows": kept,
        "rows_per_min": round(kept / dt * 60, 1),
        "requests_per_min": round(len(texts) / dt * 60, 1),
    }
    print(json.dumps(row), flush=True)
    return row


def serve_backend(concurrency: int):
    from biasinherit.generate.backends.openai import OpenAIBackend

    proc = subprocess.Popen(
        [sys.executable, "-m", "biasinherit", "serve", "--port", "0", "--batch-size", "64"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = proc.stderr.readline().split(" on ")[1].strip()
    return proc, OpenAIBackend(model=MODEL, base_url=url, concurrency=concurrency)


def cache_speedup(args) -> dict:
    from biasinherit.generate import GenerateSpec, generate_augmentation

    with tempfile.TemporaryDirectory() as d:
        spec = GenerateSpec(
            bias_types=BIAS_TYPES, n_per_type=args.cache_rows, batch_size=args.default_batch,
            max_new_tokens=args.max_new_tokens, cache_dir=f"{d}/cache",
        )  # fmt: skip
        t0 = time.perf_counter()
        generate_augmentation(spec, f"{d}/run1")
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        generate_augmentation(spec, f"{d}/run2")
        second = time.perf_counter() - t0
        same = (
            Path(f"{d}/run1/augmented.jsonl").read_text()
            == Path(f"{d}/run2/augmented.jsonl").read_text()
        )
        stats = json.loads(Path(f"{d}/run2/generate/stats.json").read_text())
    row = {
        "first_s": round(first, 2),
        "second_s": round(second, 3),
        "speedup": round(first / second, 1),
        "second_requests_sent": stats["requests_sent"],
        "identical_rows": same,
    }
    print(json.dumps({"cache": row}), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=96)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--batch-sizes", default="16,32,64")
    ap.add_argument("--default-batch", type=int, default=64)
    ap.add_argument("--cache-rows", type=int, default=16)
    ap.add_argument("--other-caches", default="dynamic,static", help="KV caches besides reserved")
    ap.add_argument("--serve", action="store_true", help="also the openai backend via serve")
    ap.add_argument("--skip-hf", action="store_true")
    ap.add_argument("--out", default=None, help="write all rows as JSON here")
    args = ap.parse_args()
    import importlib.util

    import torch

    from biasinherit.generate import make_backend

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    prompts, seeds = planned(args.requests)
    rows = []
    sizes = [int(b) for b in args.batch_sizes.split(",")]
    print(f"torch threads {torch.get_num_threads()}, {len(prompts)} requests", flush=True)
    if not args.skip_hf:
        rows.append(measure("hf-generate b16", HFGenerate(16), prompts, seeds, args))
    for b in sizes:
        be = make_backend("transformers", model=MODEL, batch_size=b)
        rows.append(measure(f"transformers b{b}", be, prompts, seeds, args))
    for cache in args.other_caches.split(",") if args.other_caches else []:
        be = make_backend("transformers", model=MODEL, batch_size=args.default_batch, cache=cache)
        rows.append(
            measure(f"transformers b{args.default_batch} {cache}-kv", be, prompts, seeds, args)
        )
    if importlib.util.find_spec("llama_cpp"):
        be = make_backend("llamacpp", model=MODEL)
        rows.append(measure("llamacpp single-stream", be, prompts, seeds, args))
    else:
        print("llamacpp: extra not installed, skipped", flush=True)
    if args.serve:
        proc, be = serve_backend(concurrency=64)
        try:
            rows.append(measure("openai->serve c64", be, prompts, seeds, args))
        finally:
            proc.terminate()
    result = {"rows": rows, "cache": cache_speedup(args)}
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
