"""Device and precision: the one place that decides where models run and in which dtype.

``resolve_precision(device, dtype, model=...)`` turns the config's ``device`` (auto, cpu,
cuda, cuda:N, mps) and ``dtype`` (auto, float32, bfloat16, float16) into a ``Precision``,
once per process; every stage (generation, scoring, training, the audit's embeddings) loads
its model through ``models.load_model``, which uses it.

The ``auto`` rule:

- a CUDA GPU if torch sees one, in bfloat16 (float16 on GPUs without bfloat16);
- otherwise the CPU in float32, unless both (a) the start-up probe (a timed 1024 x 1024
  matmul, once per machine and torch version) measures bfloat16 at least
  ``CPU_BF16_MIN_SPEEDUP`` times faster than float32 (CPUs with AMX; on AVX2 or AVX-512-only
  CPUs bfloat16 is about as fast or slower) and (b) a calibration of this model on this CPU
  (``biasinherit device --calibrate``) recorded bfloat16 picking the same option as float32
  on at least ``MIN_AGREEMENT`` of the items and faster scoring, generation and training.
  Without (b) it stays float32 and says why.

``mps`` is used only when named. Nothing here imports torch at module level, and on a
CPU-only build of torch (its version ends in ``+cpu``) a decision that the probe cache can
answer imports no torch at all, so the preflight refuses an impossible run in about a second.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from biasinherit.errors import BiasInheritError

DTYPES = ("auto", "float32", "bfloat16", "float16")
DEVICE_PATTERN = r"^(auto|cpu|mps|cuda(:\d+)?)$"
BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}
CPU_BF16_MIN_SPEEDUP = 1.5  # matmul speed-up that counts as "clearly faster" (AMX-class)
MIN_AGREEMENT = 0.99  # bfloat16 must pick fp32's option on >= 99 % of calibration items
_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


@dataclass(frozen=True)
class Precision:
    """Where models run and in which dtype, with the reason ``auto`` gave."""

    device: str = "cpu"  # "cpu", "cuda:0", "mps"
    dtype: str = "float32"
    reason: str = "float32 on the CPU"

    @property
    def device_type(self) -> str:
        return self.device.split(":")[0]

    @property
    def torch_dtype(self):
        import torch

        return getattr(torch, self.dtype)

    @property
    def key(self) -> str | None:
        """What cache keys add: nothing for float32 (keys stay what they were), else the dtype."""
        return None if self.dtype == "float32" else self.dtype

    @property
    def bytes_per_param(self) -> int:
        return BYTES[self.dtype]

    def autocast(self):
        """Mixed precision for training's forward pass; a no-op context in float32."""
        if self.dtype == "float32":
            return nullcontext()
        import torch

        return torch.autocast(self.device_type, dtype=self.torch_dtype)

    def describe(self) -> str:
        return f"{self.device} {self.dtype} ({self.reason})"


def _cpuinfo() -> tuple[str, list[str]]:
    """CPU model name and the vector/matrix features that matter for bfloat16."""
    name, flags = platform.processor() or platform.machine(), set()
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return name, []
    m = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    f = re.search(r"^(?:flags|Features)\s*:\s*(.+)$", text, re.M)
    if m:
        name = m.group(1).strip()
    if f:
        flags = set(f.group(1).split())
    return name, [x for x in _FLAGS if x in flags]


def _torch_version() -> str:
    import importlib.metadata as md

    try:
        return md.version("torch")
    except md.PackageNotFoundError:
        return "none"


def cuda_possible() -> bool:
    """False for a CPU-only torch build, known from its version without importing torch."""
    return "torch" in sys.modules or not _torch_version().endswith("+cpu")


def cuda_available() -> bool:
    """torch sees a CUDA GPU (torch is imported only where it could)."""
    if not cuda_possible():
        return False
    import torch

    return torch.cuda.is_available()


def machine_key() -> str:
    """Identity of this CPU (model, features, cores) and torch build: what a probe or a
    calibration holds for. Known without importing torch."""
    from biasinherit.files import content_hash

    name, flags = _cpuinfo()
    return content_hash(name, flags, _torch_version(), os.cpu_count(), length=16)


def _device_file(name: str) -> Path:
    from biasinherit.paths import cache_dir

    return cache_dir("device") / name


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _time_matmul(dtype, n: int, reps: int) -> float:
    import torch

    a = torch.randn(n, n).to(dtype)
    b = torch.randn(n, n).to(dtype)
    a @ b  # warm-up: first calls pick kernels and allocate
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return best


def cpu_probe(*, refresh: bool = False, n: int = 1024, reps: int = 5) -> dict:
    """Matmul throughput of this CPU in float32 and bfloat16 (GFLOP/s), measured once.

    The result is kept per ``machine_key`` in the user cache, so later runs on the same
    machine decide the same way (a probe under load could otherwise flip the choice).
    Interleaved best-of-``reps`` timings keep the ratio robust to other load; a later probe
    (``refresh``, ``biasinherit device --probe``) keeps the best rate seen per dtype, since
    load only ever slows a matmul down.
    """
    path, key = _device_file("probe.json"), machine_key()
    cached = _read(path)
    if not refresh and key in cached:
        return cached[key]
    import torch

    # A small first look: where bfloat16 is emulated (AVX2 only) it is several times slower
    # than float32 at any size, and a full-size bf16 matmul there takes seconds per rep.
    small = min(n, 256)
    s32, s16 = _time_matmul(torch.float32, small, reps), _time_matmul(torch.bfloat16, small, reps)
    if s16 > 2 * s32:
        n, t32, t16 = small, s32, s16
    else:
        t32 = t16 = float("inf")
        for _ in range(2):  # interleave, so a burst of load hits both sides
            t32 = min(t32, _time_matmul(torch.float32, n, reps))
            t16 = min(t16, _time_matmul(torch.bfloat16, n, reps))
    flop = 2 * n**3
    old = cached.get(key, {})
    if old.get("float32_gflops") and old.get("bfloat16_gflops"):  # the best seen so far
        t32 = min(t32, flop / 1e9 / old["float32_gflops"])
        t16 = min(t16, flop / 1e9 / old["bfloat16_gflops"])
    name, flags = _cpuinfo()
    rec = {
        "cpu": name,
        "flags": flags,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "float32_gflops": round(flop / t32 / 1e9, 1),
        "bfloat16_gflops": round(flop / t16 / 1e9, 1),
        "bf16_speedup": round(t32 / t16, 2),
        "matmul_size": n,
        "time": time.time(),
    }
    from biasinherit.files import atomic_write_json

    atomic_write_json(path, {**cached, key: rec})
    return rec


def calibration(model_identity: str) -> dict | None:
    """The recorded bfloat16-vs-float32 calibration of a model on this machine, if any."""
    return _read(_device_file("calibration.json")).get(machine_key(), {}).get(model_identity)


def record_calibration(model_identity: str, result: dict) -> None:
    """Store a calibration (agreement, n, speed-ups) for ``auto`` to read."""
    from biasinherit.files import atomic_write_json

    path, key = _device_file("calibration.json"), machine_key()
    data = _read(path)
    data.setdefault(key, {})[model_identity] = {**result, "time": time.time()}
    atomic_write_json(path, data)


def _cpu_auto(model_identity: str | None) -> Precision:
    probe = cpu_probe()
    s = probe["bf16_speedup"]
    if s < CPU_BF16_MIN_SPEEDUP:
        return Precision("cpu", "float32", f"auto: bfloat16 matmul only {s:.2f}x float32 here")
    cal = calibration(model_identity) if model_identity else None
    if cal is None:
        return Precision(
            "cpu",
            "float32",
            f"auto: bfloat16 matmul {s:.2f}x faster, but this model has no bfloat16 "
            "calibration here (biasinherit device --calibrate --model M)",
        )
    agree = float(cal["agreement"])
    speed = {k.removesuffix("_speedup"): float(v) for k, v in cal.items() if k.endswith("_speedup")}
    slow = [f"{k} {v:.2f}x" for k, v in speed.items() if v <= 1.0]
    if agree < MIN_AGREEMENT or slow or not speed:
        return Precision(
            "cpu",
            "float32",
            f"auto: calibration: bfloat16 agrees on {100 * agree:.1f} % of options"
            + (f", slower at {', '.join(slow)}" if slow else "")
            + f" (needs >= {100 * MIN_AGREEMENT:g} % and faster everywhere)",
        )
    return Precision(
        "cpu",
        "bfloat16",
        f"auto: calibrated bfloat16 agrees on {100 * agree:.1f} %, "
        + ", ".join(f"{k} {v:.2f}x" for k, v in speed.items()),
    )


def _check_cuda(device: str) -> str:
    import torch

    if not torch.cuda.is_available():
        build = "a CPU-only build" if "+cpu" in torch.__version__ else "no usable driver"
        raise BiasInheritError(
            f"device {device} asked for, but torch sees no CUDA GPU (torch {torch.__version__}: "
            f"{build})",
            "use device: cpu (or auto), or install a CUDA build of torch on a GPU machine",
        )
    index = int(device.split(":")[1]) if ":" in device else torch.cuda.current_device()
    if index >= torch.cuda.device_count():
        raise BiasInheritError(
            f"device {device}: this machine has {torch.cuda.device_count()} CUDA GPU(s)",
            f"use cuda:0 ... cuda:{torch.cuda.device_count() - 1}",
        )
    return f"cuda:{index}"


@cache
def resolve_precision(
    device: str = "auto", dtype: str = "auto", model: str | None = None
) -> Precision:
    """Decide device and dtype once per (device, dtype, model) in this process.

    Parameters
    ----------
    device : str
        ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
    dtype : str
        ``auto``, ``float32``, ``bfloat16`` or ``float16``.
    model : str, optional
        Identity of the run's model (``models.model_identity``), for the CPU calibration.

    Examples
    --------
    >>> resolve_precision("cpu", "float32").describe()
    'cpu float32 (as configured)'
    """
    if not re.match(DEVICE_PATTERN, device):
        raise BiasInheritError(f"unknown device {device!r}", "use auto, cpu, cuda, cuda:N or mps")
    if dtype not in DTYPES:
        raise BiasInheritError(f"unknown dtype {dtype!r}", f"use one of {', '.join(DTYPES)}")
    if device == "auto":
        device = "cuda" if cuda_available() else "cpu"
    if device.startswith("cuda"):
        import torch

        device = _check_cuda(device)
        bf16 = torch.cuda.is_bf16_supported()
        if dtype == "auto":
            name = torch.cuda.get_device_name(device)
            return Precision(
                device,
                "bfloat16" if bf16 else "float16",
                f"auto: {name}" + ("" if bf16 else " has no bfloat16"),
            )
        if dtype == "bfloat16" and not bf16:
            raise BiasInheritError(
                f"{torch.cuda.get_device_name(device)} has no bfloat16", "use dtype: float16"
            )
        return Precision(device, dtype, "as configured")
    if device == "mps":
        import torch

        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise BiasInheritError("device mps asked for, but MPS is not available", "use cpu")
        return Precision("mps", "float32" if dtype == "auto" else dtype, "as configured")
    if dtype == "float16":
        raise BiasInheritError(
            "dtype float16 on the CPU is slow and loses precision",
            "use dtype: bfloat16 or float32 on the CPU (float16 is for GPUs)",
        )
    if dtype == "auto":
        return _cpu_auto(model)
    return Precision("cpu", dtype, "as configured")


_current: Precision | None = None


def use_precision(p: Precision) -> Precision:
    """Make ``p`` the process default that ``load_model`` and the embedder use."""
    global _current
    _current = p
    return p


def current_precision() -> Precision:
    """The precision set by ``use_precision``; else what ``auto`` decides (no calibration)."""
    return _current or resolve_precision()


def memory_available(p: Precision) -> tuple[int | None, int | None, str]:
    """(free bytes, total bytes, what) on ``p``'s device; ``None`` where it cannot be known.

    CPU: ``MemAvailable`` of /proc/meminfo (psutil where that file does not exist);
    CUDA: ``torch.cuda.mem_get_info``.
    """
    if p.device_type == "cuda":
        import torch

        free, total = torch.cuda.mem_get_info(p.device)
        return free, total, f"{p.device} ({torch.cuda.get_device_name(p.device)}) free"
    if p.device_type == "mps":
        return None, None, "MPS memory"
    try:
        info = dict(
            line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if line
        )
        kb = lambda k: int(info[k].split()[0]) * 1024  # noqa: E731
        return kb("MemAvailable"), kb("MemTotal"), "CPU RAM available"
    except (OSError, KeyError, ValueError):
        pass
    try:
        import psutil

        vm = psutil.virtual_memory()
        return vm.available, vm.total, "CPU RAM available"
    except ImportError:
        return None, None, "CPU RAM"


def peak_memory(p: Precision) -> int | None:
    """Peak bytes this process used on ``p``'s device (CUDA allocator peak, else max RSS)."""
    if p.device_type == "cuda":
        import torch

        return int(torch.cuda.max_memory_allocated(p.device))
    try:
        import resource

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(rss * (1 if platform.system() == "Darwin" else 1024))
    except (ImportError, OSError):
        return None


def precision_record(p: Precision) -> dict:
    """What a run folder records about the decision (``precision.json``)."""
    out = {
        **asdict(p),
        "torch_threads": None,
        "cuda_visible": os.environ.get("CUDA_VISIBLE_DEVICES"),
    }
    try:
        import torch

        out["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    if p.device_type == "cpu":
        cached = _read(_device_file("probe.json")).get(machine_key())
        if cached:
            out["probe"] = cached
    return out
