"""Option-position bias in the values audit: orders, the mapping back to the original
options, the position index, one question set for every country, and the real model."""

import re

import numpy as np
import pytest

import biasinherit.evaluate
from biasinherit.analyze import (
    WvsQuestion,
    ask_generator,
    average_orders,
    common_questions,
    compare_values,
    option_orders,
    position_bias,
    survey_prompt,
    to_original,
    values_audit,
)
from biasinherit.analyze._values import sample_generator
from biasinherit.errors import BiasInheritError
from biasinherit.generate import Generation
from biasinherit.report._audit_section import audit_summary_lines

Q4 = WvsQuestion("7", "t", "How important?", ["Very", "Rather", "Not very", "Not at all"])
Q2 = WvsQuestion("8", "t", "Agree?", ["Agree", "Disagree"])


def _shown(prompt: str) -> list[str]:
    """The option labels in the order a prompt shows them (checking the numbering 1..k)."""
    found = re.findall(r"^(\d+)\. (.*)$", prompt, flags=re.M)
    assert [int(n) for n, _ in found] == list(range(1, len(found) + 1))
    return [label for _, label in found]


def test_orders_are_distinct_and_all_2k_balance_every_position():
    assert option_orders(3, 1) == [(0, 1, 2)]
    assert option_orders(3, 2) == [(0, 1, 2), (2, 1, 0)]
    assert option_orders(2, 6) == [(0, 1), (1, 0)]
    for k in (3, 4, 5):
        orders = option_orders(k, 2 * k)
        assert len(set(orders)) == 2 * k
        counts = np.zeros((k, k))  # option x position
        for perm in orders:
            for pos, opt in enumerate(perm):
                counts[opt, pos] += 1
        assert (counts == 2).all()


def test_reversed_prompt_and_mapping_back_are_exact():
    rev = option_orders(4, 2)[1]
    assert _shown(survey_prompt(Q4, "US", rev)) == ["Not at all", "Not very", "Rather", "Very"]
    assert _shown(survey_prompt(Q4, "US")) == Q4.options
    p_shown = np.array([0.4, 0.3, 0.2, 0.1])  # P("1") = 0.4 is P("Not at all")
    back = to_original(p_shown, rev)
    assert back.tolist() == [0.1, 0.2, 0.3, 0.4]
    shift = option_orders(4, 3)[2]  # shows option 2 first
    assert _shown(survey_prompt(Q4, None, shift))[0] == "Rather"
    assert to_original(p_shown, shift).tolist() == [0.1, 0.4, 0.3, 0.2]


def _fake_scorer(prefer):
    """A stand-in for score_options: ``prefer(shown_labels)`` -> probabilities by position."""

    def score(model, tok, prompts, options, progress=None):
        out = []
        for p in prompts:
            probs = np.asarray(prefer(_shown(p)), dtype=float)
            assert len(probs) == len(options)
            out.append(probs)
        return np.array(out)

    return score


def test_a_model_that_always_answers_1_is_all_position(monkeypatch):
    always_1 = _fake_scorer(lambda shown: [1.0] + [0.0] * (len(shown) - 1))
    monkeypatch.setattr(biasinherit.evaluate, "score_options", always_1)
    by_order = ask_generator(None, None, [Q4, Q2], ["US", None], n_orders=2)
    assert by_order["US"]["7"].tolist() == [[1, 0, 0, 0], [0, 0, 0, 1]]
    avg = average_orders(by_order)
    assert avg["US"]["7"].tolist() == [0.5, 0.0, 0.0, 0.5]  # the two end options, not option 1
    assert avg[None]["8"].tolist() == [0.5, 0.5]
    b = position_bias(by_order)
    for s in (b["all"], b["per_persona"]["US"], b["per_persona"]["none"]):
        assert s["first_shown_mass"] == 1.0 and s["first_shown_top"] == 1.0
        assert s["position_index"] == pytest.approx(1.0)
        assert s["order_sensitivity"] == pytest.approx(1.0)
        assert s["first_listed_mass"]["as_listed"] == 1.0
        assert s["first_listed_mass"]["averaged"] == 0.5
        assert s["chance"] == pytest.approx((1 / 4 + 1 / 2) / 2)
    assert b["per_persona"]["US"]["n"] == 2 and b["all"]["n"] == 2 * 2  # personas x questions


def test_a_model_that_reads_the_content_is_order_free(monkeypatch):
    likes = {"Very": 0.6, "Rather": 0.3, "Not very": 0.07, "Not at all": 0.03}
    likes |= {"Agree": 0.8, "Disagree": 0.2}
    content = _fake_scorer(lambda shown: [likes[s] for s in shown])
    monkeypatch.setattr(biasinherit.evaluate, "score_options", content)
    by_order = ask_generator(None, None, [Q4, Q2], ["JP"], n_orders=3)
    assert by_order["JP"]["7"].shape == (3, 4) and by_order["JP"]["8"].shape == (2, 2)
    for rows in by_order["JP"].values():
        assert np.allclose(rows, rows[0])  # every order mapped back to the same distribution
    assert average_orders(by_order)["JP"]["7"] == pytest.approx([0.6, 0.3, 0.07, 0.03])
    s = position_bias(by_order)["all"]
    assert s["order_sensitivity"] == pytest.approx(0.0, abs=1e-12)
    # First shown over Q4's orders (as listed, reversed, option 2 first): (0.6+0.03+0.3)/3;
    # over Q2's two orders: (0.8+0.2)/2.
    first, chance = ((0.6 + 0.03 + 0.3) / 3 + 0.5) / 2, (1 / 4 + 1 / 2) / 2
    assert s["first_shown_mass"] == pytest.approx(first)
    assert s["position_index"] == pytest.approx((first - chance) / (1 - chance))  # 0.048
    assert s["first_listed_mass"]["as_listed"] == s["first_listed_mass"]["averaged"]


class _Always1Backend:
    identity = "fake-always-1"

    def __init__(self):
        self.prompts = []

    def generate(self, prompts, seeds, **kw):
        self.prompts += prompts
        return [Generation(text="1. Sure") for _ in prompts]


class _LabelBackend:
    """Names the label of the option it likes (in words), wherever it is shown."""

    identity = "fake-label"

    def generate(self, prompts, seeds, **kw):
        return [Generation(text="I would say rather important.") for _ in prompts]


def test_sampled_answers_are_mapped_back_per_order():
    b = _Always1Backend()
    by_order, parsed = sample_generator(b, [Q4, Q2], ["US"], n_samples=3, n_orders=2)
    assert len(b.prompts) == 2 * 2 * 3  # questions x orders x samples (n per order)
    assert by_order["US"]["7"].tolist() == [[1, 0, 0, 0], [0, 0, 0, 1]]
    assert parsed == {"US": 1.0}
    q = WvsQuestion("9", "t", "How?", ["Very important", "Rather important", "Not important"])
    by_label, _ = sample_generator(_LabelBackend(), [q], [None], n_samples=2, n_orders=2)
    assert by_label[None]["9"].tolist() == [[0, 1, 0], [0, 1, 0]]


def test_single_order_keeps_the_old_behaviour(monkeypatch):
    always_1 = _fake_scorer(lambda shown: [1.0] + [0.0] * (len(shown) - 1))
    monkeypatch.setattr(biasinherit.evaluate, "score_options", always_1)
    by_order = ask_generator(None, None, [Q4], ["US"], n_orders=1)
    assert average_orders(by_order)["US"]["7"].tolist() == [1, 0, 0, 0]
    s = position_bias(by_order)["all"]
    assert s["order_sensitivity"] is None and s["position_index"] == pytest.approx(1.0)


def _q(qid, real):
    return WvsQuestion(qid, "t", f"Q{qid}?", ["a", "b"], {c: np.array(p) for c, p in real.items()})


def test_every_country_is_scored_on_the_same_questions():
    qs = [
        _q("1", {"US": [0.9, 0.1]}),  # US only: left out of every country's score
        _q("2", {"US": [0.5, 0.5], "JP": [0.2, 0.8]}),
        _q("3", {"US": [0.3, 0.7], "JP": [0.6, 0.4]}),
    ]
    flat = np.array([0.5, 0.5])
    answers = {"US": {q.qid: flat for q in qs}, "JP": {q.qid: flat for q in qs}}
    common, countries = common_questions(qs, answers)
    assert [q.qid for q in common] == ["2", "3"] and countries == ["US", "JP"]
    res = compare_values(qs, answers, n_boot=200)
    assert res["n_questions"] == 2 and res["n_asked"] == 3
    assert res["common_questions"] == ["2", "3"]
    assert res["similarity"]["US"]["n"] == res["similarity"]["JP"]["n"] == 2
    from biasinherit.analyze import value_similarity

    us = [value_similarity(flat, np.array(p)) for p in ([0.5, 0.5], [0.3, 0.7])]
    assert res["similarity"]["US"]["value"] == pytest.approx(np.mean(us))
    assert {d["qid"] for d in res["most_divergent"]["US"]} == {"2", "3"}
    # A question a persona was not asked leaves the common set too.
    del answers["JP"]["3"]
    assert [q.qid for q in common_questions(qs, answers)[0]] == ["2"]
    with pytest.raises(BiasInheritError, match="usable in every country"):
        common_questions([_q("1", {"US": [1, 0]}), _q("2", {"JP": [1, 0]})])


def test_report_shows_the_position_table():
    pb = {
        "per_persona": {
            "US": {
                "first_shown_mass": 0.63, "chance": 0.34, "first_shown_top": 0.885,
                "position_index": 0.44, "order_sensitivity": 0.41,
                "first_listed_mass": {"as_listed": 0.63, "averaged": 0.37, "real": 0.31}, "n": 94,
            },
        },
        "n_questions": 94,
    }  # fmt: skip
    pb["all"] = pb["per_persona"]["US"]
    res = {
        "values": {
            "n_questions": 69, "n_asked": 94, "generator": "g", "option_orders": 2,
            "similarity": {"US": {"value": 0.6, "ci_low": 0.5, "ci_high": 0.7, "n": 69}},
            "matrix": {"US": {"none": 0.55}}, "uniform_baseline": {"US": 0.6},
            "position_bias": pb,
        }
    }  # fmt: skip
    text = "\n".join(audit_summary_lines(res))
    assert "69 questions usable in every country (of 94 asked" in text
    assert "Option-position bias (94 questions, 2 option orders)" in text
    assert "| US | 0.63 | 0.34 | 88% | 0.44 | 0.41 | 0.63 → 0.37 (0.31) |" in text
    assert "| all | 0.63 |" in text
    del res["values"]["position_bias"]
    assert "Option-position bias" not in "\n".join(audit_summary_lines(res))


@pytest.mark.slow
def test_values_audit_on_the_real_model_reports_position_bias():
    res = values_audit("smollm2-135m-instruct", limit=4, n_boot=200, option_orders=2)
    pb = res["position_bias"]
    assert res["option_orders"] == 2 and pb["n_questions"] == 4
    assert set(pb["per_persona"]) == {"US", "CN", "EG", "JP", "none"}
    assert [s["n"] for s in pb["per_persona"].values()] == [4] * 5 and pb["all"]["n"] == 4 * 5
    for s in (*pb["per_persona"].values(), pb["all"]):
        assert 0 <= s["first_shown_mass"] <= 1 and 0 <= s["first_shown_top"] <= 1
        assert 0 < s["chance"] < 1 and -1 <= s["position_index"] <= 1
        assert 0 <= s["order_sensitivity"] <= 1
        fl = s["first_listed_mass"]
        assert 0 <= fl["averaged"] <= 1 and 0 <= fl["as_listed"] <= 1
    for c in ("US", "CN", "EG", "JP", "all"):
        real = (pb["all"] if c == "all" else pb["per_persona"][c])["first_listed_mass"]["real"]
        assert 0 < real < 1
    assert pb["per_persona"]["none"]["first_listed_mass"]["real"] is None
    assert res["n_questions"] == 4 and res["common_questions"] == list(res["per_question"])
    for q in res["per_question"].values():
        for persona, rows in q["generator_by_order"].items():
            assert np.array(rows).shape[0] == 2
            assert np.array(rows).sum(1) == pytest.approx([1, 1], abs=1e-3)
            assert np.mean(rows, 0) == pytest.approx(q["generator"][persona], abs=1e-3)
    for s in res["similarity"].values():
        assert 0 <= s["ci_low"] <= s["value"] <= s["ci_high"] <= 1 and s["n"] == 4
