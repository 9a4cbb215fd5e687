import json
from collections import Counter

import pytest

from biasinherit.bias import get_attribute
from biasinherit.data import load_biographies, template_bios
from biasinherit.errors import BiasInheritError

ATTR = get_attribute("gender")


def test_template_bios_are_balanced_and_paired():
    rows = template_bios(per_group=3, split="train", seed=0)
    assert len(rows) == 6 * 2 * 3
    counts = Counter((r["label"], r["group"]) for r in rows)
    assert set(counts.values()) == {3}
    pairs = Counter(r["pair_id"] for r in rows)
    assert set(pairs.values()) == {2}


def test_counterfactual_pairs_differ_only_in_name_and_pronouns():
    rows = template_bios(per_group=1, split="test", seed=0)
    by_pair = {}
    for r in rows:
        by_pair.setdefault(r["pair_id"], {})[r["group"]] = r["text"]
    f, m = next(iter(by_pair.values())).values()
    swap = {"she": "he", "her": "his", "She": "He", "Her": "His"}
    f_words, m_words = f.split()[1:], m.split()[1:]  # drop the first names
    assert [swap.get(w, w) for w in f_words] == m_words or [
        swap.get(w, w) for w in m_words
    ] == f_words


def test_titles_never_appear_and_names_are_disjoint_across_splits():
    train = template_bios(per_group=5, split="train", seed=0)
    test = template_bios(per_group=5, split="test", seed=0)
    for r in train + test:
        assert not any(t in r["text"].lower() for t in ATTR.topics)
    first = lambda rs: {r["text"].split()[0] for r in rs}  # noqa: E731
    assert not first(train) & first(test)


def test_weak_cues_have_one_hint():
    rows = template_bios(per_group=1, split="test", seed=0, cue="weak")
    assert all(r["cue"] == "weak" and len(r["text"].split(". ")) == 3 for r in rows)


def test_user_biographies_csv_and_jsonl(tmp_path):
    csv_path = tmp_path / "bios.csv"
    csv_path.write_text(
        "bio,occupation,gender\n"
        '"She treats patients.",nurse,F\n"He builds apps.",software_engineer,male\n'
    )
    rows = load_biographies(csv_path)
    assert [(r["label"], r["group"], r["stereotypical"]) for r in rows] == [
        ("nurse", "female", True),
        ("software engineer", "male", True),
    ]
    jl = tmp_path / "bios.jsonl"
    jl.write_text(json.dumps({"text": "x", "title": "dentist", "gender": "woman"}) + "\n")
    assert load_biographies(jl)[0]["group"] == "female"


@pytest.mark.parametrize(
    "content,match",
    [
        ("text,occupation\nabc,nurse\n", "no group column"),
        ("text,occupation,gender\nabc,pilot,F\n", r"unknown occupation \('pilot' on line 2\)"),
        ("text,occupation,gender\nabc,nurse,x\n", "unknown gender"),
    ],
)
def test_user_biographies_errors(tmp_path, content, match):
    p = tmp_path / "b.csv"
    p.write_text(content)
    with pytest.raises(BiasInheritError, match=match):
        load_biographies(p)


def test_group_detection():
    assert ATTR.detect_group("She said her work matters.") == "female"
    assert ATTR.detect_group("He and his team.") == "male"
    assert ATTR.detect_group("They work here.") == "unknown"


def test_holistic_bias_descriptors_are_read_once_for_the_mask_and_the_audit(monkeypatch, tmp_path):
    from biasinherit.analyze import identity_terms
    from biasinherit.data import flatten_descriptors, holistic_bias_descriptors
    from biasinherit.train.mitigations._lexicon import holistic_descriptors

    raw = holistic_bias_descriptors()
    assert holistic_bias_descriptors() is raw  # one parse of the file
    assert flatten_descriptors(raw["nationality"]["china"])[:2] == ["Chinese", "Chinese-American"]
    # the mask lexicon and the audit's identity terms are that file's descriptors
    assert {"Chinese", "Muslim", "female"} <= set(holistic_descriptors())
    assert "female" in identity_terms(get_attribute("gender"))["female"]
    # a data directory without the file is a one-line error
    monkeypatch.setenv("BIASINHERIT_DATA_DIR", str(tmp_path))
    with pytest.raises(BiasInheritError, match="not found"):
        holistic_bias_descriptors()
