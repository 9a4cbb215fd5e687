"""Held-out stimuli and no leakage: test sentences, test names and test texts never appear in
what the generator was prompted with or what the model was trained on."""

from __future__ import annotations

import re

import pytest

from biasinherit.bias import get_attribute
from biasinherit.data import (
    AMBIGUOUS_CUES,
    STRONG_CUES,
    TEST_STRONG_CUES,
    WEAK_CUES,
    name_pool,
    template_bios,
)
from biasinherit.data.classification import load_classification
from biasinherit.evaluate import get_task
from biasinherit.evaluate.tasks.hate import clean_tweet
from biasinherit.generate._plan import group_names, plan_prompts


def _names_in(text: str) -> set[str]:
    return set(re.findall(r"\b[A-Z][a-z]{2,}\b", text))


def test_test_sentences_are_disjoint_from_training_sentences():
    train = {c for cues in STRONG_CUES.values() for c in cues}
    test = {c for cues in TEST_STRONG_CUES.values() for c in cues}
    test |= {c for cues in WEAK_CUES.values() for c in cues}
    test |= {c for cues in AMBIGUOUS_CUES.values() for c in cues}
    assert not train & test
    # and more of them per occupation than before (8 strong, 8 weak, 8 per ambiguous pair)
    assert all(
        len(v) == 8 for d in (TEST_STRONG_CUES, WEAK_CUES, AMBIGUOUS_CUES) for v in d.values()
    )
    # no training biography contains a test sentence, no test biography a training one
    rows_train = template_bios(per_group=20, split="train", seed=0)
    rows_test = [
        r
        for c in ("strong", "weak", "ambiguous")
        for r in template_bios(per_group=8, split="test", seed=0, cue=c)
    ]
    assert not any(s in r["text"] for r in rows_train for s in test)
    assert not any(s in r["text"] for r in rows_test for s in train)
    # each test stimulus is one sentence, named by the stimulus column
    assert len({r["stimulus"] for r in rows_test}) == 6 * 8 * 2 + 4 * 8


def test_ambiguous_cues_pair_opposite_stereotypes():
    stereo = get_attribute("gender").stereotype
    assert all(stereo[f] == "female" and stereo[m] == "male" for f, m in AMBIGUOUS_CUES)


def test_name_roles_never_share_a_name():
    for country, gender in (("US", "F"), ("US", "M"), ("CN", "F"), ("EG", "M")):
        pools = {r: set(name_pool(country, gender, r)) for r in ("generation", "train", "test")}
        assert pools["test"] and not pools["test"] & (pools["generation"] | pools["train"])
        assert not pools["generation"] & pools["train"]


@pytest.mark.parametrize("attribute", ["gender", "culture"])
def test_test_names_never_reach_a_generation_prompt(attribute):
    """Implicit prompts draw their people's names from the generation lists only, and those
    lists share no name with the test items' (nor, for gender, the training data's)."""
    from biasinherit.evaluate._groups import name_table

    attr = get_attribute(attribute)
    names = group_names(attr)
    lists = {n for ns in names.values() for n in ns}
    prompted = set()
    for bt in ("contextual_single_implicit", "contrastive_single_implicit",
               "contrastive_intersectional_implicit"):  # fmt: skip
        for p in plan_prompts(attr, attr.task(), bt, 0, 400, seed=0, names=names):
            prompted.add(p.name)
            # the contrasted colleague's name, where the template has one
            others = {n for n in lists if re.search(rf"named {n}\b", p.text)}
            prompted |= others
    assert prompted and prompted <= lists
    if attribute == "gender":

        def first(rows):
            return {r["text"].split(" ", 1)[0] for r in rows}

        test = first(template_bios(per_group=40, split="test", seed=0, cue="weak"))
        train = first(template_bios(per_group=40, split="train", seed=0))
        assert test and train and not (test | train) & lists and not test & train
    else:
        test = {n for ns in name_table().values() for n in ns}
        assert test and not test & lists


def test_hate_tweets_come_from_the_held_out_split():
    items = get_task("hate").items(n_per_group=200, seed=0)
    tweets = [r for r in items if r["part"] == "davidson"]
    train = load_classification("davidson", split="train")
    test_ids = {r["id"] for r in load_classification("davidson", split="test")}
    ids = {r["id"] for r in tweets}
    assert len(ids) == len(tweets) == 3 * 200  # 200 per class: hate has 287 held out
    assert ids <= test_ids and not ids & {r["id"] for r in train}
    # Nor the same text under another id (a retweet of a training tweet).
    assert not {r["text"] for r in tweets} & {clean_tweet(r["text"]) for r in train}
