"""Kill a real run with SIGKILL mid-way, rerun it, and get the uninterrupted run's numbers
without recomputing any finished cell."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from tests.conftest import ROOT, copy_generation, run_cli

pytestmark = pytest.mark.slow  # every test here runs the CLI or a pipeline


def test_kill_and_resume_matches_an_uninterrupted_run(smoke_run, tmp_path):
    out = copy_generation(smoke_run, tmp_path / "run")
    status_file = out / "status.json"

    def first_cell_done() -> bool:
        try:
            return json.loads(status_file.read_text())["none__r0.00__none__s0"]["state"] == "done"
        except (FileNotFoundError, KeyError, json.JSONDecodeError):
            return False

    proc = subprocess.Popen(
        [sys.executable, "-m", "biasinherit", "run", "--preset", "smoke", "-o", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 600
    while not first_cell_done() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert first_cell_done(), "the first cell never finished"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "metrics.parquet").exists()  # it really was cut short
    adapter = out / "adapters" / "none__r0.00__none__s0" / "adapter_model.safetensors"
    mtime = adapter.stat().st_mtime_ns

    st = {r["cell"]: r["state"] for r in json.loads(run_cli("status", str(out), "--format",
                                                           "json").stdout)}  # fmt: skip
    assert st["none__r0.00__none__s0"] == "done" and "done" not in st.get(
        "contrastive_single_explicit__r0.50__none__s0", ""
    )

    res = run_cli("run", "--preset", "smoke", "-o", str(out))
    assert res.returncode == 0, res.stderr[-2000:]
    assert adapter.stat().st_mtime_ns == mtime  # the finished cell was not recomputed
    got = pd.read_parquet(out / "metrics.parquet")
    want = pd.read_parquet(smoke_run / "metrics.parquet")
    key = ["task", "metric", "attribute", "group", "bias_type", "ratio", "mitigation", "seed"]
    got, want = (f.sort_values(key).reset_index(drop=True) for f in (got, want))
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-6)
    final = json.loads(run_cli("status", str(out), "--format", "json").stdout)
    assert {r["state"] for r in final} == {"done"}
