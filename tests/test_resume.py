"""Kill a real run with SIGKILL mid-way, rerun it, and get the uninterrupted run's numbers
without recomputing any finished cell."""

import json
import os
import shutil
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
    got, want = (by_row(f) for f in (got, want))
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-6)
    final = json.loads(run_cli("status", str(out), "--format", "json").stdout)
    assert {r["state"] for r in final} == {"done"}


def by_row(frame: pd.DataFrame) -> pd.DataFrame:
    """The metrics table in a fixed row order (its key, comparisons included)."""
    key = ["task", "metric", "attribute", "group", "comparison", "reference"]
    key += ["bias_type", "ratio", "mitigation", "seed", "round"]
    return frame.sort_values(key, na_position="first").reset_index(drop=True)


def test_a_table_of_an_older_version_is_rebuilt_without_a_model(smoke_run, tmp_path):
    """Tables written when comparisons were metric names (``p_true_difference``, group
    ``female-male``): the report says to rerun, and the rerun rebuilds every table from the
    per-item files, training and scoring nothing."""
    out = tmp_path / "run"
    shutil.copytree(smoke_run, out)
    for f in [out / "metrics.parquet", *out.glob("eval/*/*.metrics.parquet")]:
        m = pd.read_parquet(f)
        cmp = m["comparison"].notna()
        m.loc[cmp, "metric"] += "_" + m.loc[cmp, "comparison"]
        m.loc[cmp, "group"] += "-" + m.loc[cmp, "reference"]
        m.drop(columns=["comparison", "reference"]).to_parquet(f)
    res = run_cli("report", str(out))
    assert res.returncode == 2 and "from an older biasinherit" in res.stderr
    assert f"rerun `biasinherit run {out}`" in res.stderr and len(res.stderr.splitlines()) == 1
    items = [f for f in out.glob("eval/*/*.parquet") if not f.name.endswith(".metrics.parquet")]
    files = [*out.glob("adapters/*/adapter_model.safetensors"), *items]
    mtimes = {f: f.stat().st_mtime_ns for f in files}
    res = run_cli("run", str(out))  # the folder's own config
    assert res.returncode == 0, res.stderr[-2000:]
    assert {f: f.stat().st_mtime_ns for f in files} == mtimes  # no adapter, no per-item file
    got = by_row(pd.read_parquet(out / "metrics.parquet"))
    want = by_row(pd.read_parquet(smoke_run / "metrics.parquet"))
    pd.testing.assert_frame_equal(got, want, check_exact=True)
