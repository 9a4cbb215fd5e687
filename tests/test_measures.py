"""Every ablation measure, rebuilt per test unit from the per-item files, must agree with its
row of the metrics table: the item-level test and the seed-level test compare one quantity."""

import pandas as pd
import pytest

from biasinherit.train._measures import MEASURES, get_measure, measures_for


def _check_agreement(run_dir):
    from biasinherit.config import load_config
    from biasinherit.runner import grid

    metrics = pd.read_parquet(run_dir / "metrics.parquet")
    present = measures_for(metrics)
    assert present
    checked = 0
    for cell in grid(load_config(run_dir / "config.yaml")):
        for m in present:
            path = run_dir / "eval" / cell.name / f"{m.items}.parquet"
            row = metrics[
                (metrics["task"] == m.task)
                & (metrics["metric"] == m.metric)
                & (metrics["group"] == m.group)
                & (metrics["ratio"] == cell.ratio)
                & (metrics["mitigation"] == cell.mitigation)
                & (metrics["seed"] == cell.seed)
            ]
            if not path.exists() or row.empty:
                continue
            units = m.units(pd.read_parquet(path))
            assert units.mean() == pytest.approx(row["value"].iloc[0], abs=1e-6), (m.name, cell)
            checked += 1
    return {m.name for m in present}, checked


@pytest.mark.slow
def test_gender_measures_agree_with_the_metrics_table(smoke_run):
    names, checked = _check_agreement(smoke_run)
    assert {"stereotype_gap", "stereotype_gap_weak", "accuracy", "gender_gap"} <= names
    assert checked >= 2 * len(names)


def test_unknown_measure_suggests_the_closest():
    from biasinherit.errors import BiasInheritError

    with pytest.raises(BiasInheritError, match="did you mean 'stereotype_gap'"):
        get_measure("stereotype_gapp")
    assert {m.role for _, m in MEASURES.items()} == {"bias", "performance"}
