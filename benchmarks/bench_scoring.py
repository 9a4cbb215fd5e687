"""Option scoring speed: biasinherit's cached scorer vs lm-evaluation-harness, same items.

The first N rows of BBQ Gender_identity become one local JSONL file: the user prompt in the
model's chat format (the ``bbq`` task's prompt) and the three answers as continuations.
Both sides score every answer by summed log-likelihood and pick the argmax (lm-eval's
``acc``), on the same fp32 model folder (the embedded SmolLM2-135M), the same batch size and
the same number of threads. Each measurement is its own process, so peak memory (max RSS)
is its own; rounds alternate ours / lm-eval so that machine load hits both alike. Times
exclude model loading; with one thread per side, items per CPU second (process time) is the
throughput a busy shared machine cannot distort, wall items/s is reported beside it.
lm-eval runs in its own venv (never a project dependency):

    python -m venv /work/venvs/lmeval
    /work/venvs/lmeval/bin/pip install torch==2.13.0
    /work/venvs/lmeval/bin/pip install "lm-eval[hf]==0.4.13"

    PYTHONPATH=src python benchmarks/bench_scoring.py --n 300 --rounds 2 --threads 1 \
        --lmeval-python /work/venvs/lmeval/bin/python

``--sides`` adds ``plain`` (prompt + option as one sequence per option, output layer at the
answer tokens only, no cache reuse) for reference.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TASK = "biasinherit_bbq_local"
YAML = """task: {task}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {items}
test_split: test
output_type: multiple_choice
doc_to_text: "{{{{context}}}}"
doc_to_choice: choices
doc_to_target: label
target_delimiter: ""
metric_list:
  - metric: acc
"""


def write_items(n: int, out: Path) -> tuple[Path, str]:
    """The items as lm-eval reads them: chat-formatted context, choices, label."""
    from biasinherit.evaluate.tasks.bbq import bbq_prompt, load_bbq
    from biasinherit.models import chat_prompt, load_tokenizer, resolve_model

    folder = str(resolve_model("smollm2-135m-instruct").folder)
    tok = load_tokenizer(folder)
    rows = load_bbq("Gender_identity")[:n]
    items = out / "items.jsonl"
    with items.open("w", encoding="utf-8") as f:
        for r in rows:
            doc = {
                "context": chat_prompt(tok, bbq_prompt(r)),
                "choices": [r["ans0"], r["ans1"], r["ans2"]],
                "label": r["label"],
            }
            f.write(json.dumps(doc) + "\n")
    (out / "tasks").mkdir(exist_ok=True)
    (out / "tasks" / f"{TASK}.yaml").write_text(YAML.format(task=TASK, items=items))
    return items, folder


def _read(items: str) -> list[dict]:
    return [json.loads(x) for x in Path(items).read_text(encoding="utf-8").splitlines()]


def worker_ours(items: str, folder: str, batch: int, plain: bool, dtype: str) -> dict:
    from biasinherit.device import resolve_precision
    from biasinherit.evaluate._scoring import option_logliks, option_logliks_full
    from biasinherit.models import load_model

    docs = _read(items)
    model, tok = load_model(folder, precision=resolve_precision("cpu", dtype))
    ctx, opts = [d["context"] for d in docs], [d["choices"] for d in docs]
    score = option_logliks_full if plain else option_logliks
    score(model, tok, ctx[:4], opts[:4], batch_size=batch, chat=False)  # warm-up
    t, c = time.perf_counter(), time.process_time()
    ll = score(model, tok, ctx, opts, batch_size=batch, chat=False)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    return {"seconds": seconds, "cpu_seconds": cpu, "preds": [int(x) for x in ll.argmax(1)]}


def worker_lmeval(items: str, folder: str, batch: int, dtype: str) -> dict:
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    lm = HFLM(pretrained=folder, dtype=dtype, batch_size=batch, device="cpu")
    tm = TaskManager(include_path=str(Path(items).parent / "tasks"))
    t, c = time.perf_counter(), time.process_time()
    res = simple_evaluate(model=lm, tasks=[TASK], task_manager=tm, log_samples=True)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    samples = sorted(res["samples"][TASK], key=lambda s: s["doc_id"])
    preds = [
        max(range(len(s["filtered_resps"])), key=lambda j: s["filtered_resps"][j][0])
        for s in samples
    ]
    return {"seconds": seconds, "cpu_seconds": cpu, "preds": preds}


def run_side(side: str, args, items: Path, folder: str) -> dict:
    python = args.lmeval_python if side == "lmeval" else sys.executable
    cmd = [python, __file__, "--worker", side, "--items", str(items), "--folder", folder]
    cmd += ["--batch", str(args.batch), "--threads", str(args.threads), "--dtype", args.dtype]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    env["OMP_NUM_THREADS"] = str(args.threads)
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise SystemExit(f"{side} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"],
                    help="both sides load the model in this dtype")  # fmt: skip
    ap.add_argument("--sides", default="ours,lmeval", help="order within a round; may repeat")
    ap.add_argument("--save", help="append each measurement (JSON line) to this file")
    ap.add_argument("--lmeval-python", default="/work/venvs/lmeval/bin/python")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--items", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        import torch

        torch.set_num_threads(args.threads)
        if args.worker == "lmeval":
            out = worker_lmeval(args.items, args.folder, args.batch, args.dtype)
        else:
            plain = args.worker == "plain"
            out = worker_ours(args.items, args.folder, args.batch, plain, args.dtype)
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out))
        return

    sides = args.sides.split(",")
    with tempfile.TemporaryDirectory() as d:
        items, folder = write_items(args.n, Path(d))
        labels = [x["label"] for x in _read(str(items))]
        runs: dict[str, list[dict]] = {s: [] for s in dict.fromkeys(sides)}
        for r in range(args.rounds):
            for s in sides:
                out = run_side(s, args, items, folder)
                out["items_per_s"] = len(labels) / out["seconds"]
                out["items_per_cpu_s"] = len(labels) / out["cpu_seconds"]
                print(
                    f"round {r}: {s:7s} {out['items_per_s']:.2f} items/s wall, "
                    f"{out['items_per_cpu_s']:.2f} items per CPU second",
                    file=sys.stderr,
                )
                runs[s].append(out)
                if args.save:  # keep every measurement, even if a later one is interrupted
                    with open(args.save, "a", encoding="utf-8") as f:
                        f.write(json.dumps({"round": r, "side": s, **out}) + "\n")
    summary = {"n": len(labels), "batch": args.batch, "threads": args.threads,
               "dtype": args.dtype, "sides": {}}  # fmt: skip
    ref = runs["lmeval"][0]["preds"] if "lmeval" in runs else None
    for s, outs in runs.items():
        preds = outs[0]["preds"]
        summary["sides"][s] = {
            "items_per_s": [round(o["items_per_s"], 2) for o in outs],
            "mean_items_per_s": round(sum(o["items_per_s"] for o in outs) / len(outs), 2),
            "items_per_cpu_s": [round(o["items_per_cpu_s"], 2) for o in outs],
            "mean_items_per_cpu_s": round(sum(o["items_per_cpu_s"] for o in outs) / len(outs), 2),
            "peak_rss_mb": round(max(o["peak_rss_mb"] for o in outs)),
            "accuracy": round(
                sum(p == y for p, y in zip(preds, labels, strict=True)) / len(labels), 4
            ),
            "same_preds_every_round": all(o["preds"] == preds for o in outs),
            "agreement_with_lmeval": None
            if ref is None
            else sum(p == q for p, q in zip(preds, ref, strict=True)) / len(labels),
        }
    if ref is not None and "ours" in runs:
        ours, lme = summary["sides"]["ours"], summary["sides"]["lmeval"]
        summary["speed_ratio_wall"] = round(ours["mean_items_per_s"] / lme["mean_items_per_s"], 2)
        summary["speed_ratio_cpu"] = round(
            ours["mean_items_per_cpu_s"] / lme["mean_items_per_cpu_s"], 2
        )
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
