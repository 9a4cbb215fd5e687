"""Group make-up and chi-square tests on hand-made fixtures; lexical rates."""

import pytest
from scipy.stats import chi2

from biasinherit.analyze import compare_make_up, lexical_profile, name_group
from biasinherit.bias import get_attribute

G = get_attribute("gender")


def _rows(label, texts):
    return [{"text": t, "label": label, "group": None} for t in texts]


def test_chi_square_on_hand_made_fixture():
    gen = _rows(
        "nurse",
        ["She cares for patients."] * 6
        + ["He cares for patients."] * 2
        + ["Emily works on a hospital ward."]  # name only: female by gender-guesser
        + ["The ward is busy today."],  # nothing: unknown
    )
    orig = _rows("nurse", ["She works nights."] * 5 + ["He works nights."] * 5)
    res = compare_make_up(gen, orig, G)["nurse"]
    assert res["generated"]["combined"] == {"female": 7, "male": 2, "unknown": 1}
    assert res["generated"]["pronoun"] == {"female": 6, "male": 2, "unknown": 2}
    assert res["n"] == 10 and res["n_detected"] == 9
    assert res["share"]["female"] == pytest.approx(7 / 9)
    # Parity: expected 4.5 each -> chi2 = 2 * 2.5^2 / 4.5
    x2 = 2 * 2.5**2 / 4.5
    assert res["vs_parity"]["chi2"] == pytest.approx(x2)
    assert res["vs_parity"]["p_value"] == pytest.approx(chi2.sf(x2, 1))
    # Homogeneity, table [[7, 2], [5, 5]]: expected from margins, no continuity correction.
    table = [[7, 2], [5, 5]]
    n, rows, cols = 19, [9, 10], [12, 7]
    x2h = sum(
        (table[i][j] - rows[i] * cols[j] / n) ** 2 / (rows[i] * cols[j] / n)
        for i in range(2)
        for j in range(2)
    )
    assert res["vs_original"]["chi2"] == pytest.approx(x2h)
    assert res["vs_original"]["p_value"] == pytest.approx(chi2.sf(x2h, 1))
    assert res["vs_original"]["small_counts"] is True


def test_name_fallback_and_unknown():
    assert name_group("Dr. Michael Lee designs houses.", G) == "male"
    assert name_group("The studio is bright.", G) == "unknown"


def test_lexical_rates():
    rows = [
        {"text": "She is a caring and gentle woman.", "group": "female"},
        {"text": "He is ambitious.", "group": "male"},
    ]
    prof = lexical_profile(rows, G)
    f = prof["female"]
    assert f["n_words"] == 7
    assert f["identity_per_1k"]["female"] == pytest.approx(2 / 7 * 1000)  # she, woman
    assert f["stereotype_per_1k"]["female"] == pytest.approx(2 / 7 * 1000)  # caring, gentle
    assert prof["male"]["stereotype_per_1k"]["male"] == pytest.approx(1 / 3 * 1000)
    assert prof["all"]["n_texts"] == 2


def test_culture_groups_are_read_from_names_dataset_lists():
    from biasinherit.generate._plan import group_names

    c = get_attribute("culture")
    lists = group_names(c)
    for group, names in lists.items():  # every name the implicit prompts use maps back
        assert name_group(f"Yesterday {names[0]} wrote this review.", c) == group
    assert name_group("Yesterday Joao wrote this review.", c) == "portuguese"
    assert name_group("Yesterday João wrote this review.", c) == "portuguese"  # accents fold
    assert name_group("The film was long and slow.", c) == "unknown"
    rows = [{"text": f"{lists['chinese'][1]} hated it.", "label": "negative"}] * 3
    made = compare_make_up(rows, rows, c)["negative"]["generated"]["combined"]
    assert made == {"arabic": 0, "chinese": 3, "portuguese": 0, "spanish": 0, "unknown": 0}
