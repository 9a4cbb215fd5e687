"""Each of the paper's tasks 3-6 runs for real on the embedded model (one item per group)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from biasinherit.evaluate import COLUMNS, get_task, to_table

PAPER_TASKS = ["hiring", "hate", "sentiment", "stress", "story"]
# A metric family per task that must have a finite value for every culture.
PER_CULTURE = {
    "hiring": ("hiring", "p_selected"),
    "hate": ("hate_probe_name", "p_toxic"),
    "sentiment": ("sentiment", "p_positive"),
    "stress": ("stress_term", "p_stress"),
    "story": ("story", "n_adj_per_story"),
}
CULTURES = {"Arabic", "Chinese", "Portuguese", "Spanish", "English"}


@pytest.fixture(scope="module")
def model():
    import torch

    from biasinherit.models import load_model

    torch.set_num_threads(min(2, torch.get_num_threads()))
    return load_model("smollm2-135m-instruct")


@pytest.mark.slow
@pytest.mark.parametrize("name", PAPER_TASKS)
def test_task_runs_on_the_embedded_model(model, name):
    task = get_task(name)
    items = task.items(n_per_group=1, seed=0)
    done = []
    per_item = task.run(*model, items, progress=done.append)
    assert sum(done) == len(items)
    assert per_item["id"].is_unique
    assert set(per_item.get("item_id", per_item["id"])) == {r["id"] for r in items}
    table = to_table(task.metrics(per_item, n_boot=50), bias_type="untuned", ratio=0.0)
    assert list(table.columns) == COLUMNS and len(table) > 5
    t, m = PER_CULTURE[name]
    rows = table[(table.task == t) & (table.metric == m) & (table.attribute == "culture")]
    rows = rows[rows.comparison.isna()]
    assert CULTURES <= set(rows.group) and np.isfinite(rows.value).all()
    probs = table[table.metric.str.startswith("p_") & table.comparison.ne("difference")]
    assert ((probs.value >= 0) & (probs.value <= 1)).all()
    if name == "story":
        assert per_item["story"].str.len().gt(0).all()
        coded = [json.loads(a) for a in per_item["adjectives"]]
        assert per_item["n_adj"].tolist() == [len(a) for a in coded]
        dims = per_item[["n_agency", "n_beliefs", "n_communion"]].sum(axis=1)
        assert (dims <= per_item["n_adj"]).all() and (
            per_item["neg_adj"] <= per_item["n_adj"]
        ).all()
