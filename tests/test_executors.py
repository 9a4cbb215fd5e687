"""The same small grid on the process pool and on a local Ray instance, for real."""

import json

import pandas as pd
import pytest

from biasinherit.errors import BiasInheritError
from biasinherit.executors import EXECUTORS
from tests.conftest import copy_generation, run_cli

SMALL = [
    "--preset",
    "smoke",
    "--set",
    "evaluate.untuned=false",
    "--set",
    "evaluate.tasks=[occupation]",
]


def accuracy(run_dir):
    m = pd.read_parquet(run_dir / "metrics.parquet")
    m = m[(m.task == "occupation") & (m.metric == "accuracy") & (m.group != "all")]
    return m.set_index(["bias_type", "ratio", "group"])["value"].sort_index()


@pytest.mark.parametrize("executor", ["process", "ray"])
def test_executor_runs_the_grid(executor, smoke_run, tmp_path):
    out = copy_generation(smoke_run, tmp_path / executor)
    res = run_cli("run", *SMALL, "--executor", executor, "-o", str(out))
    assert res.returncode == 0, res.stderr[-3000:]
    status = json.loads((out / "status.json").read_text())
    assert {s["state"] for s in status.values()} == {"done"} and len(status) == 2
    assert sorted(p.name for p in (out / "adapters").iterdir()) == [
        "contrastive_single_explicit__r0.50__none__s0",
        "none__r0.00__none__s0",
    ]
    # Same cells and data as the in-process smoke run; only the thread count may differ.
    got, want = accuracy(out), accuracy(smoke_run).loc[accuracy(out).index]
    assert (got - want).abs().max() <= 0.25


@pytest.mark.slow
def test_unknown_executor():
    assert set(EXECUTORS) == {"local", "process", "ray"}
    res = run_cli("run", "--preset", "smoke", "--executor", "slurm")
    assert res.returncode == 2 and "executor" in res.stderr
    with pytest.raises(BiasInheritError):
        EXECUTORS.get("raay")
