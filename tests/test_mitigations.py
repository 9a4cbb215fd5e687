"""Mitigations: each one's contract on fixtures, the loss term on the real model, and one
shared parametrised test that trains every mitigation for two steps on a tiny real mix."""

from __future__ import annotations

import random
import re
import warnings

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


@pytest.mark.slow
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
    with warnings.catch_warnings():  # as train_lora: peft asks a deprecated property
        warnings.filterwarnings("ignore", ".*is_gradient_checkpointing.*", FutureWarning)
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
