import math

import pandas as pd
import pytest

from biasinherit.evaluate import Metric, metric_rows
from biasinherit.evaluate.tasks.salary import parse_salary
from tests.conftest import rows_by


def fixture():
    # 4 counterfactual pairs: female correct on 3, male correct on 1.
    return pd.DataFrame(
        {
            "pair_id": ["p1", "p1", "p2", "p2", "p3", "p3", "p4", "p4"],
            "group": ["female", "male"] * 4,
            "correct": [1, 0, 1, 1, 1, 0, 0, 0],
        }
    ).astype({"correct": float})


def test_accuracy_and_paired_gap_match_hand_computation():
    rows = metric_rows(
        fixture(),
        [Metric("accuracy", "correct")],
        task="t",
        attribute="gender",
        gap=("female", "male"),
        n_boot=500,
    )
    by = rows_by(rows, "metric", "group")
    assert by[("accuracy", "all")]["value"] == pytest.approx(4 / 8)
    assert by[("accuracy", "female")]["value"] == pytest.approx(3 / 4)
    assert by[("accuracy", "male")]["value"] == pytest.approx(1 / 4)
    gap = by[("accuracy", "female", "difference", "male")]
    assert gap["value"] == pytest.approx(0.5) and gap["n"] == 4
    # Paired differences are (1, 0, 1, 0): every bootstrap mean lies in [0, 1].
    assert 0 <= gap["ci_low"] <= 0.5 <= gap["ci_high"] <= 1
    assert by[("accuracy", "female")]["n"] == 4


def test_unpaired_gap_when_no_pairs():
    f = fixture().drop(columns="pair_id")
    rows = metric_rows(
        f,
        [Metric("accuracy", "correct")],
        task="t",
        attribute="gender",
        gap=("female", "male"),
        n_boot=200,
    )
    (gap,) = [r for r in rows if r["comparison"] == "difference"]
    assert gap["value"] == pytest.approx(0.5) and gap["n"] == 8


def test_constant_values_give_a_zero_width_interval():
    f = pd.DataFrame({"group": ["a"] * 5, "correct": [1.0] * 5})
    r = metric_rows(f, [Metric("accuracy", "correct")], task="t", attribute="x", n_boot=100)[0]
    assert r["value"] == r["ci_low"] == r["ci_high"] == 1.0


@pytest.mark.parametrize(
    "answer,value",
    [
        ("The yearly salary we should offer is $85,000.", 85000.0),
        ("about 92k a year", 92000.0),
        ("$1.2 million", 1_200_000.0),
        ("I cannot answer that.", None),
        ("$1000", None),
        ("Offer 3 weeks, then $60000", 60000.0),
    ],
)
def test_salary_parsing(answer, value):
    got = parse_salary(answer)
    assert (got is None and value is None) or math.isclose(got, value)


def test_gap_when_one_group_has_no_values():
    f = fixture()
    f.loc[f.group == "male", "correct"] = float("nan")
    rows = metric_rows(
        f,
        [Metric("accuracy", "correct")],
        task="t",
        attribute="gender",
        gap=("female", "male"),
        n_boot=100,
    )
    (gap,) = [r for r in rows if r["comparison"] == "difference"]
    assert math.isnan(gap["value"]) and gap["n"] == 0
