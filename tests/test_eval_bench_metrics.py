"""The standard benchmarks' metrics against hand computations on small fixtures, and their
items from the real data directory (no model)."""

import math

import numpy as np
import pandas as pd
import pytest

from biasinherit.evaluate import get_task
from biasinherit.evaluate.tasks.bbq import load_bbq, score_items, target_position
from biasinherit.evaluate.tasks.crows_pairs import preference_frame
from tests.conftest import rows_by


def bbq_item(cond, pol, label, target=0, unknown=2):
    return {
        "id": f"x{cond}{pol}{label}{np.random.rand()}",
        "stimulus": "X-q1",
        "category": "X",
        "context_condition": cond,
        "question_polarity": pol,
        "label": label,
        "target_pos": target,
        "unknown_pos": unknown,
    }


def one_hot(preds):
    p = np.full((len(preds), 3), 0.1)
    p[np.arange(len(preds)), preds] = 0.8
    return p


def test_bbq_bias_scores_match_parrish_definitions():
    items = [
        bbq_item("ambig", "neg", 2),  # pred target in a negative question: biased
        bbq_item("ambig", "nonneg", 2),  # pred the other person, non-negative: biased
        bbq_item("ambig", "neg", 2),  # unknown: correct
        bbq_item("ambig", "nonneg", 2),  # target in a non-negative question: counter-biased
        bbq_item("disambig", "neg", 0),  # correct and biased (aligned)
        bbq_item("disambig", "nonneg", 0),  # wrong, biased (conflicting)
        bbq_item("disambig", "neg", 1),  # unknown: not in s_DIS (conflicting)
        bbq_item("disambig", "nonneg", 1),  # wrong, counter-biased (aligned)
    ]
    frame = score_items(items, one_hot([0, 1, 2, 0, 0, 1, 2, 0]))
    rows = rows_by(get_task("bbq").metrics(frame, n_boot=200), "metric", "group")
    # Ambiguous: accuracy 1/4; non-unknown answers 3, biased 2 -> s_DIS 1/3;
    # s_AMB = (1 - 1/4) * (2 * 2/3 - 1) = 0.25.
    assert rows[("accuracy_ambig", "X")]["value"] == pytest.approx(0.25)
    assert rows[("bias_score_ambig", "X")]["value"] == pytest.approx(0.75 * (2 * 2 / 3 - 1))
    assert rows[("bias_score_ambig", "X")]["n"] == 4
    # Disambiguated: biased 2 of 3 non-unknown -> 2 * 2/3 - 1; accuracy 1/4.
    assert rows[("bias_score_disambig", "X")]["value"] == pytest.approx(2 * 2 / 3 - 1)
    assert rows[("bias_score_disambig", "X")]["n"] == 3
    assert rows[("accuracy_disambig", "X")]["value"] == pytest.approx(0.25)
    # Aligned items (5, 8) 1/2 correct, conflicting (6, 7) 0 -> gap 0.5.
    assert rows[("accuracy_disambig", "aligned")]["value"] == pytest.approx(0.5)
    assert rows[("accuracy_disambig", "aligned", "difference", "conflicting")]["value"] == 0.5


def test_bbq_stereotyped_answer_positions_on_real_rows():
    rows = load_bbq("Gender_identity")
    first = rows[0]  # man / Not enough information / woman, stereotyped group F
    assert target_position(first) == 2
    # Every row of every category names at most one stereotyped answer; man vs boy none.
    for cat in ("Age", "Nationality", "Religion"):
        assert all(target_position(r) >= 0 for r in load_bbq(cat))
    gender = [target_position(r) for r in rows]
    assert sum(t < 0 for t in gender) == 16


def test_bbq_items_are_balanced_and_deterministic():
    task = get_task("bbq")
    a = task.items(n_per_group=4, seed=0)
    assert a == task.items(n_per_group=4, seed=0)
    assert a != task.items(n_per_group=4, seed=1)
    frame = pd.DataFrame(a)
    counts = frame.groupby(["category", "context_condition", "question_polarity"]).size()
    assert (counts == 1).all() and frame["category"].nunique() == 7
    assert frame["id"].is_unique


def test_crows_pairs_preference_by_hand():
    pairs = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "bias_type": ["age", "age", "race-color"],
            "stereo_antistereo": ["stereo", "antistereo", "stereo"],
        }
    )
    frame = preference_frame(pairs, np.array([-10.0, -20.0, -5.0]), np.array([-12.0, -15, -5]))
    assert frame["prefer_stereo"].tolist() == [1.0, 0.0, 0.5]
    rows = rows_by(get_task("crows_pairs").metrics(frame, n_boot=200), "metric", "group")
    assert rows[("stereotype_preference", "all")]["value"] == pytest.approx(0.5)
    assert rows[("stereotype_preference", "age")]["value"] == pytest.approx(0.5)
    assert rows[("ll_difference", "age")]["value"] == pytest.approx((2 - 5) / 2)
    assert rows[("stereotype_preference", "stereo")]["value"] == pytest.approx(0.75)
    items = get_task("crows_pairs").items(n_per_group=3, seed=0)
    assert len(items) == 27 and len({r["bias_type"] for r in items}) == 9


def test_discrim_eval_paired_gap_by_hand():
    p_f, p_m = np.array([0.8, 0.6]), np.array([0.5, 0.5])
    frame = pd.DataFrame(
        {
            "id": ["f1", "f2", "m1", "m2"],
            "decision_question_id": [1, 2, 1, 2],
            "age": "60",
            "gender": ["female", "female", "male", "male"],
            "race": "white",
            "p_yes": np.r_[p_f, p_m],
        }
    )
    frame["logit_yes"] = np.log(frame["p_yes"] / (1 - frame["p_yes"]))
    rows = rows_by(
        get_task("discrim_eval").metrics(frame, n_boot=200), "metric", "attribute", "group"
    )
    assert rows[("p_yes", "gender", "female")]["value"] == pytest.approx(0.7)
    gap = rows[("p_yes", "gender", "female", "difference", "male")]
    assert gap["value"] == pytest.approx(0.2) and gap["n"] == 2  # paired over decisions
    logit = rows[("logit_yes", "gender", "female", "difference", "male")]["value"]
    assert logit == pytest.approx((math.log(4) + math.log(1.5)) / 2)
    assert rows[("p_yes", "all", "all")]["value"] == pytest.approx(0.6)


def test_discrim_eval_items_are_complete_grids():
    items = pd.DataFrame(get_task("discrim_eval").items(n_per_group=10, seed=0))
    assert items["decision_question_id"].nunique() == 2  # ceil(10 / 9)
    assert items.groupby("race").size().min() >= 10 and items["id"].is_unique
    assert set(items["age"]) == {"under 60", "60", "over 60"}
    assert len(items) == 2 * 3 * 15


def test_bold_sentiment_metrics_by_hand():
    frame = pd.DataFrame(
        {
            "id": list("abcd"),
            "domain": "gender",
            "group": ["American_actresses"] * 2 + ["American_actors"] * 2,
            "compound": [0.6, 0.0, -0.7, 0.2],
        }
    )
    frame["positive"] = (frame["compound"] >= 0.5).astype(float)
    frame["negative"] = (frame["compound"] <= -0.5).astype(float)
    rows = rows_by(get_task("bold").metrics(frame, n_boot=200), "metric", "group")
    assert rows[("sentiment", "American_actresses")]["value"] == pytest.approx(0.3)
    vs_actors = ("difference", "American_actors")
    gap = rows[("sentiment", "American_actresses", *vs_actors)]
    assert gap["value"] == pytest.approx(0.3 - (-0.25))
    assert rows[("negative_share", "American_actors")]["value"] == pytest.approx(0.5)
    assert rows[("positive_share", "American_actresses", *vs_actors)]["value"] == pytest.approx(0.5)
    items = get_task("bold").items(n_per_group=1, seed=0)  # two prompts per group at least
    assert len(items) == 86 and len({r["id"] for r in items}) == 86
