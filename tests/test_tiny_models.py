"""Bring-your-own-model on the CPU: tiny random-initialised Llama and Qwen2 folders, built
here, through the real command line in float32 and bfloat16 (the device/dtype plumbing)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from biasinherit.device import Precision
from biasinherit.files import read_jsonl, write_jsonl
from tests.conftest import run_cli
from tests.tiny import ARCHS, tiny_model

pytestmark = pytest.mark.slow
DTYPES = ("float32", "bfloat16")
CASES = [(a, d) for a in ARCHS for d in DTYPES]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("tiny")
    return {arch: tiny_model(root / arch, arch) for arch in ARCHS}


@pytest.fixture(scope="module")
def mix(tmp_path_factory):
    from biasinherit.data import template_bios

    path = tmp_path_factory.mktemp("mix") / "mix.jsonl"
    write_jsonl(path, template_bios(per_group=1, split="train", seed=0))
    return path


def _ok(res):
    assert res.returncode == 0, res.stderr[-3000:]
    return res


@pytest.mark.parametrize("arch, dtype", CASES)
def test_generate_train_evaluate(tiny, mix, tmp_path, arch, dtype):
    model = str(tiny[arch])
    gen = tmp_path / "gen"
    res = run_cli("generate", "--preset", "smoke", "--set", f"model={model}", "--dtype", dtype,
                  "-b", "contrastive_single_explicit", "--n", "2", "-o", str(gen),
                  "--set", f"augment.cache_dir={tmp_path / 'cache'}")  # fmt: skip
    # A random model's text: the byte-level 320-token Llama writes control bytes, which the
    # quality gates refuse with one line naming the generator (raw outputs kept); Qwen2 on
    # the SmolLM2 tokenizer writes words, which pass.
    if arch == "llama":
        assert res.returncode == 2 and res.stderr.strip().splitlines()[-1].startswith(
            f"error: generator {model} (transformers backend) writes unusable rows"
        ), res.stderr[-2000:]
        summary = json.loads((gen / "generate" / "summary.json").read_text())
        assert summary["contrastive_single_explicit"]["kept"] == 0
    else:
        _ok(res)
    raw = read_jsonl(gen / "generate" / "raw.jsonl")
    assert raw and all(r["completion_tokens"] > 0 for r in raw)
    # the cache identity says the dtype (float32 keeps the identity it always had)
    assert {r["generator"].endswith("@bfloat16") for r in raw} == {dtype == "bfloat16"}
    assert json.loads((gen / "precision.json").read_text())["dtype"] == dtype

    adapter = tmp_path / "adapter"
    res = _ok(run_cli("train", str(mix), "-o", str(adapter), "--preset", "smoke",
                      "--set", f"model={model}", "--dtype", dtype))  # fmt: skip
    log = json.loads((adapter / "train_log.json").read_text())
    assert log["dtype"] == dtype and log["steps"] >= 1 and f"cpu {dtype}" in res.stdout
    assert all(math.isfinite(x) for x in log["loss"])
    assert (adapter / "adapter_model.safetensors").exists()

    out = tmp_path / "eval"
    res = _ok(run_cli("evaluate", "--model", model, "--adapter", str(adapter), "--tasks",
                      "occupation,salary", "-n", "1", "--dtype", dtype, "-o", str(out),
                      "--format", "json"))  # fmt: skip
    rows = json.loads(res.stdout)
    assert {"occupation", "salary"} <= {r["task"] for r in rows}
    items = pd.read_parquet(out / "occupation.parquet")
    p = items[[c for c in items if c.startswith("p_") and c != "p_true"]].to_numpy()
    assert np.allclose(p.sum(1), 1, atol=1e-4) and len(items) == 32  # 12 + 4 ambiguous pairs


@pytest.mark.parametrize("arch, dtype", CASES)
def test_run_smoke_preset(tiny, tmp_path, arch, dtype):
    """The whole pipeline tunes and evaluates the user's folder; the embedded model writes
    the augmentation (a random model's text would not pass the quality filters)."""
    out = tmp_path / "run"
    gen = "generator=smollm2-135m-instruct"
    _ok(run_cli("run", "--preset", "smoke", "--set", f"model={tiny[arch]}", "--set", gen,
                "--dtype", dtype, "-o", str(out)))  # fmt: skip
    prec = json.loads((out / "precision.json").read_text())
    assert (prec["device"], prec["dtype"]) == ("cpu", dtype) and prec["peak_bytes"] > 0
    logs = [json.loads(f.read_text()) for f in out.glob("adapters/*/train_log.json")]
    assert len(logs) == 2 and {x["dtype"] for x in logs} == {dtype}
    m = pd.read_parquet(out / "metrics.parquet")
    assert {"occupation", "salary", "salary_bracket"} <= set(m["task"])
    assert (out / "report.md").exists()


def test_no_chat_template_and_colliding_first_tokens(tiny):
    """The Llama tokenizer has no chat template and options that share first tokens."""
    from biasinherit.evaluate._scoring import option_first_tokens
    from biasinherit.evaluate.tasks.occupation import OPTIONS
    from biasinherit.models import chat_prompt, load_tokenizer

    tok = load_tokenizer(str(tiny["llama"]))
    assert tok.chat_template is None and chat_prompt(tok, "Hi") == "Hi\nAnswer:"
    assert option_first_tokens(tok, OPTIONS) is None  # the scorer's multi-token path


@pytest.mark.parametrize("dtype, tol", [("float32", 1e-4), ("bfloat16", 0.15)])
def test_multi_token_scores_match_the_reference_scorer(tiny, dtype, tol):
    """The cached multi-token path against plain full-sequence scoring, per dtype."""
    from biasinherit.evaluate._scoring import option_logliks, option_logliks_full
    from biasinherit.evaluate.tasks.occupation import OPTIONS, occupation_prompt
    from biasinherit.models import load_model

    model, tok = load_model(str(tiny["llama"]), precision=Precision("cpu", dtype))
    assert str(next(model.parameters()).dtype) == f"torch.{dtype}"
    prompts = [occupation_prompt(t) for t in ("She fixes teeth.", "He draws floor plans.")]
    got = option_logliks(model, tok, prompts, [OPTIONS] * 2)
    want = option_logliks_full(model, tok, prompts, [OPTIONS] * 2)
    assert np.abs(got - want).max() < tol


def test_bfloat16_training_keeps_lora_in_float32_and_checkpointing_changes_nothing(tiny, tmp_path):
    from biasinherit.data import template_bios
    from biasinherit.evaluate.tasks.occupation import occupation_prompt
    from biasinherit.train import TrainSpec, train_lora

    rows = template_bios(per_group=1, split="train", seed=0)
    ex = [(occupation_prompt(r["text"]), r["label"]) for r in rows]
    src = ["original"] * len(ex)
    losses = {}
    for name, dtype, ckpt in [("a", "float32", False), ("b", "float32", True),
                              ("c", "bfloat16", False)]:  # fmt: skip
        spec = TrainSpec(batch_size=4, epochs=2, gradient_checkpointing=ckpt)
        model, _, log = train_lora(str(tiny["qwen2"]), ex, src, spec, tmp_path / name,
                                   precision=Precision("cpu", dtype))  # fmt: skip
        losses[name] = log["loss"]
        trained = {p.dtype for p in model.parameters() if p.requires_grad}
        assert trained == {__import__("torch").float32}  # LoRA and AdamW state in fp32
    assert np.allclose(losses["a"], losses["b"], atol=1e-5)  # recomputation, same numbers
    assert np.allclose(losses["a"], losses["c"], atol=0.05)  # bf16: close, not equal
