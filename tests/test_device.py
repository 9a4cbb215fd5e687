"""The one decision of device and dtype: what it picks here, what it refuses, and the rule."""

from __future__ import annotations

import json

import pytest

from biasinherit import device as dev
from biasinherit.device import Precision, resolve_precision
from biasinherit.errors import BiasInheritError
from tests.conftest import run_cli

needs_no_gpu = pytest.mark.skipif(dev.cuda_available(), reason="this machine has a GPU")


@pytest.fixture()
def own_cache(tmp_path, monkeypatch):
    """A user cache of its own, so probes and calibrations start empty."""
    monkeypatch.setenv("BIASINHERIT_CACHE_DIR", str(tmp_path / "cache"))
    resolve_precision.cache_clear()
    yield tmp_path / "cache"
    resolve_precision.cache_clear()


def test_named_cpu_precisions_and_their_keys():
    p32, p16 = resolve_precision("cpu", "float32"), resolve_precision("cpu", "bfloat16")
    assert (p32.device, p32.dtype, p32.key) == ("cpu", "float32", None)  # keys stay as before
    assert (p16.dtype, p16.key, p16.bytes_per_param) == ("bfloat16", "bfloat16", 2)
    import torch

    assert p16.torch_dtype is torch.bfloat16
    with p16.autocast():
        assert torch.is_autocast_enabled("cpu")
    with p32.autocast():
        assert not torch.is_autocast_enabled("cpu")


@pytest.mark.parametrize(
    "device, dtype, match",
    [
        ("cpu", "float16", "float16 on the CPU"),
        ("cude", "auto", "unknown device"),
        ("cpu", "fp8", "unknown dtype"),
    ],
)
def test_impossible_precisions_are_user_errors(device, dtype, match):
    with pytest.raises(BiasInheritError, match=match):
        resolve_precision(device, dtype)


@pytest.mark.slow
@needs_no_gpu
def test_cuda_without_a_gpu_is_one_line_with_what_to_do():
    with pytest.raises(BiasInheritError, match="sees no CUDA GPU") as e:
        resolve_precision("cuda:0", "bfloat16")
    assert "device: cpu" in e.value.hint
    res = run_cli("evaluate", "--device", "cuda", "--tasks", "occupation")
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: device cuda")


@needs_no_gpu
def test_auto_on_this_cpu_is_float32_without_a_calibration(own_cache):
    p = resolve_precision("auto", "auto", "dir:/some/model")
    assert (p.device, p.dtype) == ("cpu", "float32")
    probe = json.loads((own_cache / "device" / "probe.json").read_text())[dev.machine_key()]
    assert probe["float32_gflops"] > 0 and probe["bfloat16_gflops"] > 0
    assert set(probe["flags"]) <= {"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"}
    # measured once per machine: a second decision reads the same record
    assert dev.cpu_probe() == probe


def _set_probe_speedup(cache, speedup: float) -> None:
    path = cache / "device" / "probe.json"
    data = json.loads(path.read_text())
    data[dev.machine_key()]["bf16_speedup"] = speedup
    path.write_text(json.dumps(data))
    resolve_precision.cache_clear()


@needs_no_gpu
@pytest.mark.parametrize(
    "speedup, calibration, want",
    [
        (1.1, {"agreement": 1.0, "scoring_speedup": 2, "generation_speedup": 2}, "float32"),
        (3.0, None, "float32"),
        (3.0, {"agreement": 0.98, "scoring_speedup": 2, "generation_speedup": 2}, "float32"),
        (3.0, {"agreement": 1.0, "scoring_speedup": 2, "generation_speedup": 0.4}, "float32"),
        (3.0, {"agreement": 0.995, "scoring_speedup": 1.6, "generation_speedup": 1.2}, "bfloat16"),
    ],
)
def test_the_cpu_auto_rule(own_cache, speedup, calibration, want):
    """bf16 only where the probe says clearly faster AND this model's calibration agrees."""
    dev.cpu_probe()  # a real probe record, then its speed-up set to the case's
    _set_probe_speedup(own_cache, speedup)
    if calibration:
        dev.record_calibration("dir:/m", calibration)
    p = resolve_precision("auto", "auto", "dir:/m")
    assert p.dtype == want, p.reason
    assert resolve_precision("auto", "auto", "dir:/other").dtype == "float32"  # per model


def test_process_default_follows_use_precision():
    before = dev.current_precision()
    try:
        p = dev.use_precision(Precision("cpu", "bfloat16", "test"))
        assert dev.current_precision() is p
    finally:
        dev.use_precision(before)


def test_memory_is_read_from_the_system():
    free, total, what = dev.memory_available(resolve_precision("cpu", "float32"))
    assert 0 < free <= total and what == "CPU RAM available"


@pytest.mark.slow
def test_device_command_reports_the_decision():
    res = run_cli("device", "--device", "cpu", "--dtype", "float32", "--format", "json")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert (info["device"], info["dtype"], info["reason"]) == ("cpu", "float32", "as configured")
    assert info["memory_free"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("quantize", ["4bit", "8bit"])
def test_a_quantized_base_needs_cuda_and_the_extra(quantize, tmp_path):
    """QLoRA's code path is there; here it stops at once, in one line, with what to do."""
    from biasinherit.models import load_model

    with pytest.raises(BiasInheritError, match="needs a CUDA GPU") as e:
        load_model("smollm2-135m-instruct", precision=Precision("cpu", "float32"),
                   quantize=quantize)  # fmt: skip
    assert "train.quantize" in e.value.hint
    mix = tmp_path / "mix.jsonl"
    mix.write_text(json.dumps({"text": "She fixes teeth.", "label": "dentist"}) + "\n")
    res = run_cli("train", str(mix), "-o", str(tmp_path / "a"), "--preset", "smoke",
                  "--set", f"train.quantize={quantize}", "--device", "cpu")  # fmt: skip
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 2 and len(lines) == 1 and "needs a CUDA GPU" in lines[0]


def test_a_later_probe_keeps_the_best_rate_seen(own_cache):
    first = dev.cpu_probe()
    path = own_cache / "device" / "probe.json"
    data = json.loads(path.read_text())
    data[dev.machine_key()]["float32_gflops"] = 1e6  # as if once measured far faster
    path.write_text(json.dumps(data))
    again = dev.cpu_probe(refresh=True)
    assert again["float32_gflops"] == 1e6 and again["bfloat16_gflops"] >= first["bfloat16_gflops"]
    assert again["bf16_speedup"] < first["bf16_speedup"]
