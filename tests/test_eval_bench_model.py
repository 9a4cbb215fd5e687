"""The cached option scorer against the plain full-sequence scorer, and each standard
benchmark end to end, on the real embedded model and real data (a few items each)."""

import numpy as np
import pandas as pd
import pytest

from biasinherit.evaluate import get_task
from biasinherit.evaluate._scoring import (
    option_logliks,
    option_logliks_full,
    score_options,
    sequence_logliks,
)
from biasinherit.evaluate.tasks.bbq import bbq_prompt

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lm():
    import torch

    from biasinherit.models import load_model

    torch.manual_seed(0)
    return load_model("smollm2-135m-instruct")


def test_cached_scorer_matches_full_scorer_on_bbq(lm):
    model, tok = lm
    task = get_task("bbq")
    task.categories = ["Gender_identity", "Nationality", "Age"]
    items = task.items(n_per_group=4, seed=3)
    prompts = [bbq_prompt(r) for r in items]
    options = [[r[f"ans{k}"] for k in range(3)] for r in items]
    cached = option_logliks(model, tok, prompts, options, batch_size=8)
    full = option_logliks_full(model, tok, prompts, options, batch_size=8)
    assert cached.shape == (12, 3)
    assert np.abs(cached - full).max() < 2e-3
    assert (cached.argmax(1) == full.argmax(1)).all()
    # Multi-token options whose first tokens coincide really are in this sample.
    assert any(len({o.split()[0] for o in opts}) < 3 for opts in options)


def test_first_token_path_is_the_first_token_of_the_full_scorer(lm):
    model, tok = lm
    prompts = ["Is the sky blue? Answer yes or no.", "Is fire cold? Answer yes or no."]
    p = score_options(model, tok, prompts, ["Yes", "No"])
    ll = option_logliks_full(model, tok, prompts, [["Yes", "No"]] * 2)  # single tokens
    e = np.exp(ll - ll.max(1, keepdims=True))
    assert p == pytest.approx(e / e.sum(1, keepdims=True), abs=1e-4)


def test_sequence_logliks_match_one_text_at_a_time(lm):
    import torch

    model, tok = lm
    texts = ["The old woman played Bingo.", "A much longer sentence about the young man at work."]
    batched = sequence_logliks(model, tok, texts)
    for t, b in zip(texts, batched, strict=True):
        ids = torch.tensor([[tok.bos_token_id or tok.eos_token_id, *tok(t)["input_ids"]]])
        with torch.inference_mode():
            logp = torch.log_softmax(model(ids).logits[0, :-1], -1)
        assert b == pytest.approx(
            logp[torch.arange(ids.shape[1] - 1), ids[0, 1:]].sum().item(), abs=2e-3
        )


@pytest.mark.parametrize(
    ("name", "n", "metric", "comparison"),
    [
        ("bbq", 4, "bias_score_disambig", None),
        ("crows_pairs", 1, "stereotype_preference", None),
        ("discrim_eval", 1, "p_yes", "difference"),
        ("bold", 2, "sentiment", "difference"),
    ],
)
def test_benchmark_runs_end_to_end(lm, name, n, metric, comparison):
    model, tok = lm
    task = get_task(name)
    if name == "bold":
        task.domains = ["gender"]
    if name == "bbq":
        task.categories = ["Religion", "Sexual_orientation"]
    items = task.items(n_per_group=n, seed=0)
    if name == "discrim_eval":  # one decision: 3 genders x 2 races at age 60
        items = [r for r in items if r["age"] == "60" and r["race"] in ("white", "Black")]
    seen = []
    per_item = task.run(model, tok, items, progress=seen.append)
    assert len(per_item) == len(items) and per_item["id"].is_unique
    assert sum(seen) == len(items)
    rows = pd.DataFrame(task.metrics(per_item, n_boot=100))
    kind = rows["comparison"].isna() if comparison is None else rows["comparison"].eq(comparison)
    assert (rows["metric"].eq(metric) & kind).any()
    assert rows["value"].notna().any() and (rows["n"] > 0).all()
    if name == "bold":
        assert per_item["continuation"].map(type).eq(str).all()
        assert per_item["compound"].between(-1, 1).all()
