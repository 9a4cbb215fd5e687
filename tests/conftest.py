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


# Fixtures that load the embedded model, start a server or run a pipeline: a test that uses
# one is slow whether or not it says so.
SLOW_FIXTURES = {"smoke_run", "culture_run", "live", "echo_server", "server", "backend", "tiny_run"}
_current: list = [None]


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _current_test(request):
    _current[0] = request.node
    yield
    _current[0] = None


def require_slow(what: str) -> None:
    """Fail an unmarked test that does slow work, so `pytest -m "not slow"` stays fast."""
    node = _current[0]
    if node is not None and node.get_closest_marker("slow") is None:
        pytest.fail(f"{node.nodeid} {what}: mark it @pytest.mark.slow", pytrace=False)


def rows_by(rows: list[dict], *cols: str) -> dict[tuple, dict]:
    """Metric rows keyed by ``cols``; a comparison row's key ends in its comparison and
    reference: ``(..., "difference", "male")``. Two rows with one key fail the test."""
    out: dict[tuple, dict] = {}
    for r in rows:
        key = tuple(r[c] for c in cols)
        if r.get("comparison"):
            key += (r["comparison"], r["reference"])
        assert key not in out, f"two metric rows for {key}"
        out[key] = r
    return out


def run_cli(
    *args: str, env: dict | None = None, cwd: Path | None = None, timeout: int = 900
) -> subprocess.CompletedProcess:
    """Run the real command line in a subprocess (a slow test: a fresh interpreter)."""
    require_slow("runs the CLI in a subprocess")
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
