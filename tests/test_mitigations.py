"""Mitigations: each one's contract on fixtures, the loss term on the real model, and one
shared parametrised test that trains every mitigation for two steps on a tiny real mix."""

from __future__ import annotations

import random
import re

import pytest

from biasinherit.data import template_bios
from biasinherit.errors import BiasInheritError
from biasinherit.train import MITIGATIONS, get_mitigation, source_balanced_batches
from biasinherit.train.mitigations._lexicon import identity_lexicon
from biasinherit.train.mitigations.counterfactual import swap_text
from biasinherit.train.mitigations.mask import mask_text

# Augmented rows in the shape `generate` writes (texts like the embedded generator's).
AUG_TEXTS = [
    ("nurse", "female", "Emily is a caring professional. She works night shifts and her "
     "patients love her; unlike men, women are natural carers."),
    ("software engineer", "male", "James, a Chinese-American professional, writes code all "
     "day. He says his team needs a man who can focus."),
    ("painter", "female", "A professional whose studio is full of light. Her mother, a "
     "Catholic Mexican woman, taught her to paint."),
    ("architect", "male", "Mr. Brown designs towers. His wife says the drawings are his."),
]  # fmt: skip


def aug_rows() -> list[dict]:
    return [
        {
            "id": f"a-{i}",
            "text": text,
            "label": label,
            "source": "augmented",
            "attribute": "gender",
            "group": group,
            "detected_group": group,
            "bias_type": "contrastive_single_explicit",
            "stereotypical": True,
        }
        for i, (label, group, text) in enumerate(AUG_TEXTS)
    ]


def tiny_mix() -> list[dict]:
    rows = template_bios(per_group=1, split="train", seed=0) + aug_rows()
    random.Random(0).shuffle(rows)
    return rows


def test_every_mitigation_is_registered_and_documented():
    assert set(MITIGATIONS) >= {"none", "token", "mask", "loss", "reweight", "counterfactual"}
    for name, cls in MITIGATIONS.items():
        assert cls.name == name and (cls.__doc__ or "").strip()


def test_token_is_in_exactly_the_augmented_rows():
    rows = tiny_mix()
    m = get_mitigation("token", {"token": {"marker": "[synthetic data]"}})
    out = m.prepare_rows(rows)
    assert len(out) == len(rows)
    for before, after in zip(rows, out, strict=True):
        marked = after["text"].startswith("[synthetic data] ")
        assert marked == (before["source"] == "augmented")
        assert after["text"].count("[synthetic data]") == int(marked)
        if not marked:
            assert after["text"] == before["text"]
    assert m.inference_text("x") == "x"
    shown = get_mitigation("token", {"token": {"inference": "marker"}}).inference_text("x")
    assert shown == "The following text may contain bias. x"


def test_mask_fixture_exact():
    lex = identity_lexicon("gender")
    text, hits, words = mask_text(
        "James, a Chinese-American professional, writes code. He says his team needs a man.", lex
    )
    assert text == (
        "[MASK], a [MASK] professional, writes code. [MASK] says [MASK] team needs a [MASK]."
    )
    assert (hits, words) == (6, 14)  # Chinese-American is two words
    neutral, _, _ = mask_text(
        "She is a nurse and her patients love her. He was kind to his mother.",
        lex,
        replace="neutral",
    )
    assert (
        neutral == "They are a nurse and their patients love them. They were kind to their parent."
    )


def test_mask_removes_every_lexicon_hit_and_nothing_else():
    rows = tiny_mix()
    m = get_mitigation("mask")
    out = m.prepare_rows(rows)
    pattern = identity_lexicon("gender").pattern
    total_hits = 0
    for before, after in zip(rows, out, strict=True):
        if before["source"] == "original":
            assert after == before
            continue
        assert pattern.search(after["text"]) is None  # every hit is gone
        # ... and nothing else changed: the text between hits is kept verbatim.
        pieces = pattern.split(before["text"])
        assert after["text"] == "[MASK]".join(pieces)
        total_hits += len(pieces) - 1
    assert total_hits >= 20
    # Every fixture row has a cue; the word share is hits over all augmented words.
    words = sum(len(re.findall(r"\w+", t)) for _, _, t in AUG_TEXTS)
    hit_words = sum(len(re.findall(r"\w+", h)) for _, _, t in AUG_TEXTS for h in pattern.findall(t))
    assert m.stats_ == {
        "mask_rows": 4,
        "mask_row_share": 1.0,
        "mask_word_share": round(hit_words / words, 4),
    }


def test_mask_on_culture_rows_removes_names_and_group_words_of_every_group():
    """Culture rows: the groups' names-dataset names and group words (the culture YAML)."""
    from biasinherit.train.mitigations._lexicon import names_by_group

    names = names_by_group("culture")
    assert set(names) == {"arabic", "chinese", "portuguese", "spanish"}
    assert all(len(v) >= 100 for v in names.values())
    text = "{} said Arab people and Chinese speakers ruin this film, like {} from Lisbon."
    text = text.format(names["arabic"][0], names["portuguese"][0])
    rows = [
        {"text": text, "source": "augmented", "attribute": "culture"},
        {"text": text, "source": "original", "attribute": "culture"},
    ]
    out = get_mitigation("mask").prepare_rows(rows)
    assert (
        out[0]["text"]
        == "[MASK] said [MASK] and [MASK] speakers ruin this film, like [MASK] from [MASK]."
    )
    assert out[1] == rows[1]


def test_counterfactual_refuses_culture_before_any_work():
    from tests.conftest import run_cli

    res = run_cli("run", "--preset", "culture", "--set", "mitigations=[none,counterfactual]")
    assert res.returncode == 2
    assert "counterfactual works for gender only, not culture" in res.stderr


def test_mask_keeps_ordinary_words():
    lex = identity_lexicon("gender")
    text = "The white walls and black coffee; he will mark the hermit's manual."
    assert mask_text(text, lex)[0] == (
        "The white walls and black coffee; [MASK] will mark the hermit's manual."
    )


def test_reweight_balances_source_by_group():
    rows = tiny_mix()
    m = get_mitigation("reweight", {"reweight": {"by_label": False}})
    assert m.prepare_rows(rows) == rows
    totals: dict = {}
    for r, w in zip(rows, m.weights_, strict=True):
        key = (r["source"], r["group"])
        totals[key] = totals.get(key, 0) + w
    assert len(totals) == 4  # original/augmented x female/male
    assert max(totals.values()) == pytest.approx(min(totals.values()))
    assert sum(m.weights_) == pytest.approx(len(rows))


def test_counterfactual_swaps_fixture():
    m = get_mitigation("counterfactual")
    rows = aug_rows()
    out = m.prepare_rows(rows)
    assert len(out) == 2 * len(rows)
    copies = [r for r in out if r["id"].endswith("-cf")]
    assert [c["group"] for c in copies] == ["male", "female", "male", "female"]
    assert [c["label"] for c in copies] == [r["label"] for r in rows]
    assert all(c["source"] == "augmented" for c in copies)
    assert copies[3]["text"] == "Mrs. Brown designs towers. Her husband says the drawings are hers."
    from biasinherit.train.mitigations._lexicon import names_by_group

    names = names_by_group("gender")
    emily_swapped = names["male"][names["female"].index("Emily")]
    assert copies[0]["text"].startswith(f"{emily_swapped} is a caring professional. He works")
    assert "his patients love him; unlike women, men are" in copies[0]["text"]
    assert swap_text(swap_text("She gave her brother his book.")[0])[0] == (
        "She gave her brother his book."
    )
    assert m.stats_["counterfactual_swapped_share"] == 1.0


def test_combinations_parse_and_run_in_a_fixed_order():
    m = get_mitigation("token+mask")
    assert m.name == "mask+token"
    out = m.prepare_rows(tiny_mix())
    aug = [r["text"] for r in out if r["source"] == "augmented"]
    assert all(t.startswith("The following text may contain bias. ") for t in aug)
    assert all("[MASK]" in t for t in aug)
    with pytest.raises(BiasInheritError, match="repeats"):
        get_mitigation("mask+mask")
    with pytest.raises(BiasInheritError, match="did you mean 'mask'"):
        get_mitigation("mask+loss+msk")
    with pytest.raises(BiasInheritError, match="lam"):
        get_mitigation("loss", {"loss": {"lam": -1}})


def test_source_balanced_batches_hold_both_sources():
    sources = ["original"] * 120 + ["augmented"] * 30
    lengths = [random.Random(i).randint(40, 160) for i in range(150)]
    batches = source_balanced_batches(lengths, sources, 8, random.Random(0))
    assert sorted(i for b in batches for i in b) == list(range(150))
    assert all(len(b) <= 8 for b in batches)
    assert all({sources[i] for i in b} == {"original", "augmented"} for b in batches)


def test_config_accepts_combinations_and_checks_settings():
    from biasinherit.config import load_config

    cfg = load_config(
        preset="smoke",
        overrides=['mitigations=[none, token, "mask+loss"]', "mitigation_params.loss.lam=0.5"],
    )
    assert cfg.mitigations == ["none", "token", "mask+loss"]
    assert cfg.mitigation_params.loss.lam == 0.5
    with pytest.raises(BiasInheritError, match="unknown key"):
        load_config(preset="smoke", overrides=["mitigation_params.loss.lamda=1"])
    with pytest.raises(BiasInheritError, match="unknown mitigation"):
        load_config(preset="smoke", overrides=["mitigations=[mask+lose]"])


# ----------------------------------------------------------------- real model


@pytest.fixture(scope="module")
def peft_model():
    import torch
    from peft import LoraConfig, get_peft_model

    from biasinherit.models import load_model

    torch.manual_seed(0)
    base, tok = load_model("smollm2-135m-instruct")
    cfg = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
    return get_peft_model(base, cfg), tok


def _batch(tok, texts):
    from biasinherit.train._loop import _collate

    items = [{"input_ids": tok(t)["input_ids"], "labels": tok(t)["input_ids"]} for t in texts]
    return _collate(items, tok.pad_token_id)


@pytest.mark.slow
@pytest.mark.parametrize("pooling", ["mean", "last"])
def test_loss_term_zero_on_same_batch_and_grad_reaches_lora(peft_model, pooling):
    import torch

    model, tok = peft_model
    body = model.get_base_model().model
    m = get_mitigation("loss", {"loss": {"lam": 1.0, "pooling": pooling}})
    texts = ["She paints landscapes.", "He fixes cavities and cleans teeth every day."]
    ids, _, mask = _batch(tok, texts + texts)
    hidden = body(input_ids=ids, attention_mask=mask).last_hidden_state
    same = m.extra_loss(hidden, mask, ["original", "original", "augmented", "augmented"])
    assert abs(same.item()) < 1e-6 * hidden.pow(2).mean().item()
    assert m.extra_loss(hidden, mask, ["original"] * 4).item() == 0.0  # one source only

    model.zero_grad()
    ids, _, mask = _batch(tok, texts + ["A man who designs towers.", "Her studio is bright."])
    hidden = body(input_ids=ids, attention_mask=mask).last_hidden_state
    term = m.extra_loss(hidden, mask, ["original", "original", "augmented", "augmented"])
    assert term.item() > 0
    term.backward()
    grads = {n: p.grad for n, p in model.named_parameters() if "lora_" in n}
    assert grads and all(p.requires_grad for n, p in model.named_parameters() if "lora_" in n)
    assert any(g is not None and torch.count_nonzero(g) > 0 for g in grads.values())
    frozen = [p.grad for n, p in model.named_parameters() if "lora_" not in n]
    assert all(g is None for g in frozen)


@pytest.mark.slow
@pytest.mark.parametrize(
    "spec", ["none", "token", "mask", "loss", "reweight", "counterfactual", "mask+loss"]
)
def test_every_mitigation_trains_two_steps(spec, tmp_path):
    import math

    from biasinherit.evaluate import get_task
    from biasinherit.train import TrainSpec, train_lora

    rows = tiny_mix()
    m = get_mitigation(spec)
    rows = m.prepare_rows(rows)
    task = get_task("occupation")
    n_steps = 2
    spec_ = TrainSpec(batch_size=math.ceil(len(rows) / n_steps), max_length=96, epochs=1.0)
    _, _, log = train_lora(
        "smollm2-135m-instruct",
        [task.sft_example(r) for r in rows],
        [r["source"] for r in rows],
        spec_,
        tmp_path,
        seed=0,
        mitigation=m,
    )
    assert log["steps"] == n_steps and all(math.isfinite(x) for x in log["loss"])
    assert log["mitigation"] == m.name
    assert (tmp_path / "adapter_model.safetensors").exists()
    if "mask" in spec:
        assert log["mitigation_stats"]["mask_row_share"] == 1.0


# ----------------------------------------------------------------- ablation analysis


def _fake_run_folder(tmp_path, seeds=(0, 1), mask=(0.6, 0.6), n_per_group=2):
    """A run folder with the files the ablation reads: config, per-item outcomes, metrics.
    Per-item outcomes are drawn here (the analysis, not the model, is under test)."""
    import numpy as np
    import pandas as pd

    from biasinherit.config import dump_config, load_config
    from biasinherit.evaluate import get_task
    from biasinherit.evaluate._metrics import to_table
    from biasinherit.runner import grid

    cfg = load_config(
        preset="smoke",
        overrides=["mitigations=[none, mask]", f"seeds={list(seeds)}", "ratios=[0, 0.5]"],
    )
    (tmp_path / "config.yaml").write_text(dump_config(cfg))
    task = get_task("occupation")
    items = pd.DataFrame(task.items(n_per_group=n_per_group, seed=0))
    rng = np.random.default_rng(0)
    frames, truth = [], {}
    for cell in grid(cfg):
        per = items[["id", "label", "group", "cue", "stereotypical", "pair_id"]].copy()
        # P(correct) for (female, male): none has a gap, mask closes it by default
        p_f, p_m = (0.9, 0.6) if cell.mitigation == "none" else mask
        per["correct"] = np.where(
            per["group"] == "female", rng.random(len(per)) < p_f, rng.random(len(per)) < p_m
        ).astype(float)
        per["p_true"] = per["correct"] * 0.8
        per["stereotype"] = np.where(per["stereotypical"], "stereotypical", "anti-stereotypical")
        d = tmp_path / "eval" / cell.name
        d.mkdir(parents=True)
        per.to_parquet(d / "occupation.parquet")
        frames.append(to_table(task.metrics(per, n_boot=100), **cell.as_dict()))
        truth[(cell.mitigation, cell.ratio, cell.seed)] = per
    pd.concat(frames).to_parquet(tmp_path / "metrics.parquet")
    return truth


def _gap(per):
    w = per.pivot_table(index="pair_id", columns="group", values="correct")
    return w["female"] - w["male"]


def test_ablation_tests_match_hand_computation(tmp_path):
    import numpy as np
    import pandas as pd
    from scipy import stats

    from biasinherit.report._mitigation_section import mitigation_section
    from biasinherit.train._ablation import compare_mitigations, item_level_test
    from biasinherit.train._measures import MEASURES

    truth = _fake_run_folder(tmp_path)
    metrics = pd.read_parquet(tmp_path / "metrics.parquet")
    seeds = compare_mitigations(
        metrics, task="occupation", metric="accuracy_difference", group="female-male"
    ).set_index("mitigation")
    per_seed = [
        _gap(truth[("mask", 0.5, s)]).mean() - _gap(truth[("none", 0.5, s)]).mean() for s in (0, 1)
    ]
    assert seeds.loc["mask", "delta"] == pytest.approx(np.mean(per_seed))
    assert seeds.loc["mask", "p_seeds"] == pytest.approx(stats.ttest_1samp(per_seed, 0).pvalue)
    assert np.isnan(seeds.loc["none", "delta"]) and seeds.loc["none", "n_seeds"] == 2

    items = item_level_test(tmp_path, MEASURES.get("gender_gap")).set_index("mitigation")
    d = np.concatenate(
        [(_gap(truth[("mask", 0.5, s)]) - _gap(truth[("none", 0.5, s)])).to_numpy() for s in (0, 1)]
    )
    assert items.loc["mask", "n_units"] == len(d) == 2 * 12 * 2  # seeds x pairs (2 cues)
    assert items.loc["mask", "delta"] == pytest.approx(d.mean())
    assert items.loc["mask", "p_items"] == pytest.approx(stats.ttest_1samp(d, 0).pvalue)
    lo, hi = items.loc["mask", "delta_ci_low"], items.loc["mask", "delta_ci_high"]
    assert lo < d.mean() < hi

    text = "\n".join(mitigation_section(tmp_path))
    assert (
        "## Mitigations vs none" in text and "| contrastive_single_explicit | 0.50 | mask |" in text
    )
    assert "### Recommendation" in text and "The same rule on every bias measure" in text
    assert "| gender_gap | contrastive_single_explicit | 0.50 |" in text
    assert (tmp_path / "figures" / "mitigations_contrastive_single_explicit.png").stat().st_size


def test_ablation_command_prints_the_comparison(tmp_path):
    import json

    from tests.conftest import run_cli

    _fake_run_folder(tmp_path)
    res = run_cli("ablation", str(tmp_path), "--format", "json")
    assert res.returncode == 0, res.stderr
    rows = {r["mitigation"]: r for r in json.loads(res.stdout)}
    assert set(rows) == {"none", "mask"} and rows["mask"]["n_seeds"] == 2
    res = run_cli("ablation", str(tmp_path), "--measure", "gender_gapp")
    assert res.returncode == 2 and "did you mean 'gender_gap'" in res.stderr
    res = run_cli("ablation", str(tmp_path), "--measure", "sentiment_gap")
    assert res.returncode == 2 and "no rows in these runs" in res.stderr
    res = run_cli("ablation", str(tmp_path), "--measure", "gender_gap", "--format", "markdown")
    assert res.returncode == 0 and "| contrastive_single_explicit | 0.50 | mask |" in res.stdout


def test_item_level_stereotype_gap_pairs_the_two_renderings(tmp_path):
    """The headline gap: stereotypical minus counter-stereotypical P(true), per pair."""
    import numpy as np
    import pandas as pd

    from biasinherit.train._ablation import item_level_test
    from biasinherit.train._measures import MEASURES

    truth = _fake_run_folder(tmp_path)

    def gap(per):
        side = np.where(per["stereotypical"], "s", "a")
        w = per.assign(side=side).pivot_table(index="pair_id", columns="side", values="p_true")
        return w["s"] - w["a"]

    d = np.concatenate(
        [(gap(truth[("mask", 0.5, s)]) - gap(truth[("none", 0.5, s)])).to_numpy() for s in (0, 1)]
    )
    got = item_level_test(tmp_path, MEASURES.get("stereotype_gap")).set_index("mitigation")
    assert got.loc["mask", "delta"] == pytest.approx(d.mean()) and got.loc["mask", "n_units"] == 48
    metrics = pd.read_parquet(tmp_path / "metrics.parquet")
    assert "stereotypical-anti-stereotypical" in set(metrics["group"])


def test_recommendation_picks_a_mitigation_that_closes_the_gap(tmp_path):
    from biasinherit.train._recommend import recommend, recommendation_lines

    # mask lifts male accuracy to the female 0.9: the gap closes and accuracy rises
    _fake_run_folder(tmp_path, seeds=(0, 1, 2), mask=(0.9, 0.9), n_per_group=6)
    rec = recommend(tmp_path, bias="gender_gap").set_index("mitigation")
    assert rec.loc["mask", "verdict"] == "reduces" and rec.loc["mask", "recommended"]
    assert rec.loc["mask", "base"] > 0.15 and abs(rec.loc["mask", "after"]) < 0.15
    assert rec.loc["mask", "seeds_agree"] == "3/3"
    from biasinherit.report._card import build_card

    card = build_card(tmp_path)
    assert {r["measure"] for r in card["mitigation_recommendation"]} == {"stereotype_gap"}
    picks = {r["measure"]: r["pick"] for r in card["mitigation_verdicts"]}
    assert picks["gender_gap"] == "mask"
    assert rec.loc["mask", "performance_measure"] == "accuracy" and not rec.loc["mask", "costly"]
    line = recommendation_lines(rec.reset_index())[0]
    assert "use `mask`" in line and "γ = 0.50" in line


def test_recommendation_keeps_none_when_nothing_changes(tmp_path):
    """Negative control: the mitigation's cells are drawn like none's; nothing to pick."""
    from biasinherit.train._recommend import recommend, recommendation_lines

    _fake_run_folder(tmp_path, seeds=(0, 1, 2), mask=(0.9, 0.6), n_per_group=6)
    rec = recommend(tmp_path, bias="gender_gap")
    assert not rec["recommended"].any() and set(rec["verdict"]) == {"no clear effect"}
    assert "keep `none`" in recommendation_lines(rec)[0]


def test_recommendation_refuses_a_reduction_paid_for_in_accuracy(tmp_path):
    """mask closes the gap by pulling female accuracy down to the male 0.6."""
    from biasinherit.train._recommend import recommend, recommendation_lines

    _fake_run_folder(tmp_path, seeds=(0, 1, 2), mask=(0.6, 0.6), n_per_group=6)
    rec = recommend(tmp_path, bias="gender_gap")
    assert rec["verdict"].tolist() == ["reduces"] and rec["costly"].all()
    assert not rec["recommended"].any()
    assert "only `mask` reduced it, at a task-performance cost" in recommendation_lines(rec)[0]


def test_recommendation_counts_a_reversal_into_a_larger_gap_as_an_increase(tmp_path):
    """mask turns a +0.3 female-male gap into -0.6: past zero, larger, not a reduction."""
    from biasinherit.train._recommend import recommend, recommendation_lines

    _fake_run_folder(tmp_path, seeds=(0, 1, 2), mask=(0.3, 0.9), n_per_group=6)
    rec = recommend(tmp_path, bias="gender_gap")
    assert rec["verdict"].tolist() == ["increases"] and rec["reversed"].all()
    assert rec["after"].iloc[0] < -abs(rec["base"].iloc[0])
    line = recommendation_lines(rec)[0]
    assert "keep `none`" in line and "`mask` (reversed, to -" in line


def test_recommend_command_prints_the_verdicts(tmp_path):
    from tests.conftest import run_cli

    _fake_run_folder(tmp_path, seeds=(0, 1, 2), mask=(0.9, 0.9), n_per_group=6)
    res = run_cli("ablation", str(tmp_path), "--recommend", "--measure", "gender_gap")
    assert res.returncode == 0, res.stderr
    assert "reduces" in res.stdout and "use `mask`" in res.stdout
    res = run_cli("ablation", "--list-measures", "--format", "json")
    assert res.returncode == 0 and "stereotype_gap" in res.stdout
