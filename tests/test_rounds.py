"""Multi-round self-augmentation on the real embedded model: round 2's data is written by
round 1's tuned model, trained on, evaluated, and reported per round."""

import shutil

import pandas as pd
import pytest

from biasinherit.files import read_jsonl
from tests.conftest import run_cli

pytestmark = pytest.mark.slow  # every test here runs the CLI or a pipeline


def test_second_round_is_generated_by_the_tuned_model(smoke_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(smoke_run, run)  # round 1 is finished and cached there
    res = run_cli("run", "--preset", "smoke", "--set", "rounds=2", "-o", str(run))
    assert res.returncode == 0, res.stderr[-3000:]
    k2 = read_jsonl(run / "rounds" / "contrastive_single_explicit__s0" / "k2" / "augmented.jsonl")
    r1 = "contrastive_single_explicit__r0.50__none__s0"
    assert len(k2) == 24 and all(r1 in r["generator"] for r in k2)  # the adapter wrote them
    assert (run / "adapters" / f"{r1}__k2" / "adapter_model.safetensors").exists()
    m = pd.read_parquet(run / "metrics.parquet")
    assert set(m["round"].dropna().astype(int)) == {1, 2}
    assert "## Multi-round self-augmentation" in (run / "report.md").read_text()
    assert (run / "figures" / "rounds.png").exists()
