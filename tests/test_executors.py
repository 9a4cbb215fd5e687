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
    "--set",
    "workers=1",  # one cell at a time with all the cores: the in-process run's thread count
]


def accuracy(run_dir):
    m = pd.read_parquet(run_dir / "metrics.parquet")
    m = m[(m.task == "occupation") & (m.metric == "accuracy") & (m.group != "all")]
    m = m[m.comparison.isna()]
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
    # Same cells, data, seeds and thread count as the in-process smoke run: same numbers,
    # down to each item's probabilities of the trained cell.
    got, want = accuracy(out), accuracy(smoke_run).loc[accuracy(out).index]
    assert len(got) == 8  # 2 cells x (female, male, stereotypical, anti-stereotypical)
    pd.testing.assert_series_equal(got, want, rtol=0, atol=1e-9)
    cell = "eval/contrastive_single_explicit__r0.50__none__s0/occupation.parquet"
    p_got, p_want = (pd.read_parquet(d / cell)["p_true"] for d in (out, smoke_run))
    pd.testing.assert_series_equal(p_got, p_want, rtol=0, atol=1e-6)


@pytest.mark.slow
def test_unknown_executor():
    assert set(EXECUTORS) == {"local", "process", "ray"}
    res = run_cli("run", "--preset", "smoke", "--executor", "slurm")
    assert res.returncode == 2 and "executor" in res.stderr
    with pytest.raises(BiasInheritError):
        EXECUTORS.get("raay")
