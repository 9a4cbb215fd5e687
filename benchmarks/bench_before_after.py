"""CPU speed of two source trees, interleaved: training, generation and option scoring.

Answers "did a change make the CPU path slower?" on identical work. The inputs are built once
(from the ``--after`` tree) and written to files: the training examples (tokenised by each side
with the same tokenizer), the generation prompts with their per-request seeds, and the scoring
items (BBQ gender, chat-formatted). Each measurement is its own process with
``PYTHONPATH=<tree>/src``; within a repetition both sides run each workload back to back, and
the order of the sides alternates between repetitions, so machine load hits both alike. Both
sides run with their defaults (``dtype: auto``), as a user gets them.

    python benchmarks/bench_before_after.py --before /path/to/old/checkout \\
        --after . --reps 5 --out before_after.jsonl

Run it on a quiet machine (nothing else running); the load average is recorded with each row.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODEL = "smollm2-135m-instruct"
KINDS = ("train", "generate", "score")


def prepare(folder: Path, n_train: int, n_prompts: int, n_items: int) -> None:
    """Write the fixed inputs every worker reads (from the tree on ``sys.path``)."""
    from biasinherit.bias import get_attribute
    from biasinherit.data import template_bios
    from biasinherit.evaluate import get_task
    from biasinherit.evaluate.tasks.bbq import bbq_prompt, load_bbq
    from biasinherit.generate._plan import group_names, plan_prompts, request_seed
    from biasinherit.models import chat_prompt, load_tokenizer, resolve_model

    task = get_task("occupation")
    rows = template_bios(per_group=max(20, n_train // 12 + 1), split="train", seed=0)
    ex = [task.sft_example(r) for r in rows][:n_train]
    (folder / "train.json").write_text(json.dumps(ex))

    a = get_attribute("gender")
    bts = ["neutral", "contrastive_single_explicit", "contextual_single_implicit"]
    per = -(-n_prompts // len(bts))
    names = group_names(a)
    ps = [p for bt in bts for p in plan_prompts(a, a.task(), bt, 0, per, seed=0, names=names)]
    ps = ps[:n_prompts]
    gen = {"prompts": [p.text for p in ps], "seeds": [request_seed(0, p.prompt_id) for p in ps]}
    (folder / "generate.json").write_text(json.dumps(gen))

    tok = load_tokenizer(str(resolve_model(MODEL).folder))
    items = [
        {"context": chat_prompt(tok, bbq_prompt(r)), "choices": [r["ans0"], r["ans1"], r["ans2"]]}
        for r in load_bbq("Gender_identity")[:n_items]
    ]
    (folder / "score.json").write_text(json.dumps(items))


def worker(kind: str, folder: Path, args) -> dict:
    """One measurement with the tree on ``sys.path``; returns tokens/s and a fingerprint."""
    if kind == "train":
        from biasinherit.train import TrainSpec, train_lora

        ex = [tuple(e) for e in json.loads((folder / "train.json").read_text())]
        with tempfile.TemporaryDirectory() as d:
            spec = TrainSpec(batch_size=8, epochs=1.0)
            _, _, log = train_lora(MODEL, ex, ["original"] * len(ex), spec, d)
        return {"tokens_per_s": log["useful_tokens_per_s"], "pad_share": log["pad_share"],
                "steps": log["steps"], "seconds": log["seconds"]}  # fmt: skip
    if kind == "generate":
        from biasinherit.generate.backends.transformers import TransformersBackend

        g = json.loads((folder / "generate.json").read_text())
        backend = TransformersBackend(model=MODEL, batch_size=args.gen_batch)
        kw = dict(max_new_tokens=args.max_new_tokens, temperature=0.8, top_p=0.95)
        backend.generate(g["prompts"][:2], seeds=g["seeds"][:2], **{**kw, "max_new_tokens": 4})
        t0 = time.perf_counter()
        gens = backend.generate(g["prompts"], seeds=g["seeds"], **kw)
        dt = time.perf_counter() - t0
        toks = sum(x.completion_tokens for x in gens)
        sha = hashlib.sha1("".join(x.text for x in gens).encode()).hexdigest()[:12]
        return {"tokens_per_s": toks / dt, "tokens": toks, "seconds": dt, "text_sha": sha}
    from biasinherit.evaluate._scoring import option_logliks
    from biasinherit.models import load_model

    items = json.loads((folder / "score.json").read_text())
    model, tok = load_model(MODEL)
    ctx, opts = [d["context"] for d in items], [d["choices"] for d in items]
    option_logliks(model, tok, ctx[:4], opts[:4], batch_size=16, chat=False)  # warm-up
    n_tok = sum(len(tok(c + o)["input_ids"]) for c, os_ in zip(ctx, opts, strict=True) for o in os_)
    t0 = time.perf_counter()
    ll = option_logliks(model, tok, ctx, opts, batch_size=16, chat=False)
    dt = time.perf_counter() - t0
    return {"tokens_per_s": n_tok / dt, "items_per_s": len(ctx) / dt, "seconds": dt,
            "preds": "".join(str(int(x)) for x in ll.argmax(1))}  # fmt: skip


def run(side: str, tree: Path, kind: str, folder: Path, args) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, __file__, "--worker", kind, "--folder", str(folder)]
    cmd += ["--max-new-tokens", str(args.max_new_tokens), "--gen-batch", str(args.gen_batch)]
    load = os.getloadavg()[0]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        sys.exit(f"{side} {kind} failed:\n{res.stderr[-3000:]}")
    row = json.loads(res.stdout.strip().splitlines()[-1])
    return {"side": side, "kind": kind, "load1": round(load, 2), **row}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path)
    ap.add_argument("--after", type=Path, default=Path("."))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--train-examples", type=int, default=240)
    ap.add_argument("--prompts", type=int, default=96)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--gen-batch", type=int, default=96)
    ap.add_argument("--items", type=int, default=200)
    ap.add_argument("--out", type=Path, help="append each row (JSON line) here")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.folder, args)))
        return
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    folder = Path(tempfile.mkdtemp(prefix="before_after_"))
    sys.path.insert(0, str(sides["after"] / "src"))
    prepare(folder, args.train_examples, args.prompts, args.items)
    rows: list[dict] = []
    for rep in range(args.reps):
        order = ["before", "after"] if rep % 2 == 0 else ["after", "before"]
        for kind in args.kinds.split(","):
            for side in order:
                row = {"rep": rep, **run(side, sides[side], kind, folder, args)}
                rows.append(row)
                print(json.dumps(row), flush=True)
                if args.out:
                    with args.out.open("a") as f:
                        f.write(json.dumps(row) + "\n")
    for kind in args.kinds.split(","):
        tps = {s: [r["tokens_per_s"] for r in rows if r["kind"] == kind and r["side"] == s]
               for s in sides}  # fmt: skip
        ratios = [a / b for a, b in zip(tps["after"], tps["before"], strict=True)]
        print(f"{kind:9s} before {statistics.median(tps['before']):8.1f} tok/s  "
              f"after {statistics.median(tps['after']):8.1f} tok/s  after/before per rep "
              + " ".join(f"{r:.3f}" for r in ratios)
              + f"  median {statistics.median(ratios):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
