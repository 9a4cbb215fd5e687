"""Shared fixtures. Slow tests use the real embedded model and the real data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "biasinherit"]


def run_cli(
    *args: str, env: dict | None = None, cwd: Path | None = None, timeout: int = 900
) -> subprocess.CompletedProcess:
    """Run the real command line in a subprocess."""
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd or ROOT,
    )


def copy_generation(src: Path, dst: Path) -> Path:
    """A new run folder that reuses ``src``'s generated data and its audit (cached by key),
    nothing else."""
    import shutil

    dst.mkdir(parents=True)
    for name in ("original.jsonl", "augmented.jsonl", "generate", "audit.json", "audit"):
        p = src / name
        (shutil.copytree if p.is_dir() else shutil.copy2)(p, dst / name)
    return dst


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """One real end-to-end run of the smoke preset, shared by the tests that inspect it."""
    out = tmp_path_factory.mktemp("smoke") / "run"
    res = run_cli("run", "--preset", "smoke", "-o", str(out))
    assert res.returncode == 0, res.stderr[-3000:]
    return out
