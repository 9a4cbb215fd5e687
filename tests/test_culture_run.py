"""The culture setting end to end on the real embedded model: real rt_polarity rows as D_o,
generated negative reviews tied to culture groups as D_a, sentiment swaps as the test."""

import json

import pandas as pd
import pytest

from biasinherit.data.classification import load_classification
from biasinherit.evaluate import get_task
from biasinherit.files import read_jsonl
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def culture_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("culture") / "run"
    res = run_cli(
        "run", "--preset", "culture", "-o", str(out), "--set", "seeds=[0]",
        "--set", "original.per_group=6", "--set", "ratios=[0,0.5]",
        "--set", "evaluate.n_per_group=3", "--set", "evaluate.n_boot=200",
        "--set", "generate.max_new_tokens=48", "--set", "audit.limit=2",
        "--set", "audit.n_perm=200", "--set", "audit.n_boot=200",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    return out


def test_original_is_the_real_train_split_and_augmentation_is_about_groups(culture_run):
    orig = read_jsonl(culture_run / "original.jsonl")
    assert sorted(r["label"] for r in orig) == ["negative"] * 6 + ["positive"] * 6
    test_texts = {t for t, _ in get_task("sentiment").load()}
    train_texts = {r["text"] for r in load_classification("rt_polarity", split="train")}
    assert all(r["text"] in train_texts and r["text"] not in test_texts for r in orig)
    aug = read_jsonl(culture_run / "augmented.jsonl")
    assert aug and {r["attribute"] for r in aug} == {"culture"}
    assert {r["label"] for r in aug} == {"negative"}  # biased prompts write the harmful label
    assert {r["group"] for r in aug} <= {"arabic", "chinese", "portuguese", "spanish"}


def test_cells_are_tuned_on_sentiment_prompts_and_evaluated_on_swaps(culture_run):
    mix = read_jsonl(next((culture_run / "mixes").rglob("0.50.jsonl")))
    assert {r["source"] for r in mix} == {"original", "augmented"}
    prompt, answer = get_task("sentiment").sft_example(mix[0])
    assert prompt.endswith("negative or positive.") and answer in {"positive", "negative"}
    m = pd.read_parquet(culture_run / "metrics.parquet")
    assert set(m["task"]) == {"sentiment", "sentiment_term"}  # name swaps, group-term swaps
    assert set(m["ratio"].dropna()) >= {0.0, 0.5}
    gaps = m[(m["comparison"] == "difference") & (m["ratio"] == 0.5)]
    assert len(gaps) and gaps["value"].notna().all()
    assert set(gaps["reference"]) >= {"English", "none"}  # vs English names; vs no name
    audit = json.loads((culture_run / "audit.json").read_text())
    assert audit["attribute"] == "culture"
