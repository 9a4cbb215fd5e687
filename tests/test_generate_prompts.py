"""Bias specification as data: attributes, tasks, templates, planned prompts, the cache."""

import json

import pytest

from biasinherit.bias import BIAS_TYPES, PAPER_BIAS_TYPES, get_attribute
from biasinherit.errors import BiasInheritError
from biasinherit.generate import Generation, GenerationCache, request_key
from biasinherit.generate._plan import plan_prompts, request_seed

CULT = get_attribute("culture")
NAMES = {g: [f"N{g[:3].title()}{i}" for i in range(5)] for g in CULT.groups}


def test_six_paper_types_and_neutral_have_templates_for_both_attributes():
    assert len(PAPER_BIAS_TYPES) == 6 and len(list(BIAS_TYPES.items())) == 9
    for attr in ("gender", "culture"):
        a = get_attribute(attr)
        for name, _ in BIAS_TYPES.items():
            for task in a.tasks.values():
                assert a.template(task, name)


@pytest.mark.parametrize("bias_type", [n for n, _ in BIAS_TYPES.items()])
def test_culture_prompts_carry_label_group_cue_and_a_real_seed_example(bias_type):
    bt = BIAS_TYPES.get(bias_type)
    task = CULT.task("rt_polarity")
    prompts = plan_prompts(CULT, task, bias_type, 0, 8, seed=0, names=NAMES)
    again = plan_prompts(CULT, task, bias_type, 0, 8, seed=0, names=NAMES)
    assert prompts == again  # a rerun plans the same requests
    for p in prompts:
        assert p.example_id and p.example_id.startswith("rt-")
        if not bt.biased:
            assert p.group is None
            continue
        assert p.topic == "negative" and p.group in CULT.groups
        if bt.cue == "explicit":
            assert CULT.plurals[p.group] in p.text
        else:
            assert p.name in p.text and p.name in NAMES[p.group]
        if bt.scope == "intersectional":
            assert p.age in CULT.ages
    if bt.biased:  # target groups rotate
        assert {p.group for p in prompts} == set(CULT.groups)
    else:
        assert {p.topic for p in prompts} == {"negative", "positive"}


def test_user_named_country_becomes_a_group():
    a = CULT.with_groups(["chinese", "NG"])
    assert a.groups == ("chinese", "NG") and a.plurals["NG"] == "people from Nigeria"
    assert "nigeria" in a.cue_words["NG"]
    names = {"chinese": ["Wei"], "NG": ["Chinedu"]}
    bt = "contrastive_single_explicit"
    p = plan_prompts(a, a.task("davidson"), bt, 1, 1, seed=0, names=names)
    assert "people from Nigeria" in p[0].text and "Chinese people" in p[0].text
    with pytest.raises(BiasInheritError, match="no group 'martian'"):
        CULT.with_groups(["martian"])
    with pytest.raises(BiasInheritError, match="unknown country code"):
        CULT.with_groups(["XQ"])


def test_a_new_attribute_is_a_yaml_file_only(tmp_path):
    path = tmp_path / "religion.yaml"
    path.write_text(
        "name: religion\ngroups: [muslim, christian]\n"
        "nouns: {muslim: Muslim, christian: Christian}\n"
        "plurals: {muslim: Muslims, christian: Christians}\n"
        "cue_words: {muslim: [muslim, mosque], christian: [christian, church]}\n"
        "tasks:\n  toxicity:\n    labels:\n      toxic: {text: a rude comment, harmful: true}\n"
        "      civil: {text: a polite comment}\n"
        "templates:\n  neutral: Write {text}.\n"
        "  contrastive_single_explicit: Write {text} about {person}; say {group} beat {other}.\n"
    )
    a = get_attribute(str(path))
    names = {"muslim": ["Aisha"], "christian": ["John"]}
    ps = plan_prompts(a, a.task(), "contrastive_single_explicit", 0, 2, seed=0, names=names)
    assert [p.text for p in ps] == [
        "Write a rude comment about a Muslim; say Muslims beat Christians.",
        "Write a rude comment about a Christian; say Christians beat Muslims.",
    ]
    with pytest.raises(BiasInheritError, match="no prompt template for bias type"):
        plan_prompts(a, a.task(), "contextual_single_implicit", 0, 1, seed=0, names=names)
    bad = tmp_path / "bad.yaml"
    bad.write_text(path.read_text().replace("Write {text}.", "Write {txt}."))
    with pytest.raises(BiasInheritError, match="unknown placeholder"):
        get_attribute(str(bad))


def test_unknown_attribute_and_task_are_one_line_errors():
    with pytest.raises(BiasInheritError, match="available: culture, gender"):
        get_attribute("religon")
    with pytest.raises(BiasInheritError, match="no task 'imdb'"):
        CULT.task("imdb")


def test_request_seed_and_key_are_stable_and_distinct():
    assert request_seed(0, "a:1") == request_seed(0, "a:1") != request_seed(1, "a:1")
    k = dict(max_new_tokens=8, temperature=0.8, top_p=0.95, seed=3)
    assert request_key("transformers", "m", "p", **k) != request_key("llamacpp", "m", "p", **k)


def test_cache_survives_a_torn_line_and_appends_after_it(tmp_path):
    c = GenerationCache("openai", "model-x", tmp_path)
    c.put("k1", Generation("one", 3, 4))
    with c.path.open("a") as f:
        f.write('{"key": "k2", "text": "half')  # a killed writer
    c2 = GenerationCache("openai", "model-x", tmp_path)
    assert c2.get("k1") == Generation("one", 3, 4) and "k2" not in c2 and c2.torn == 1
    c2.put("k3", Generation("three"))
    c3 = GenerationCache("openai", "model-x", tmp_path)
    assert sorted(c3.rows) == ["k1", "k3"]
    assert GenerationCache("openai", "model-y", tmp_path).path != c.path


@pytest.mark.slow
def test_dry_run_counts_requests_tokens_and_cost_without_generating(tmp_path):
    from tests.conftest import run_cli

    res = run_cli(
        "generate", "--preset", "smoke", "--dry-run", "--n", "10", "-o", str(tmp_path / "run"),
        "--set", "attribute=culture", "--set", "augment.task=rt_polarity",
        "-b", "neutral", "-b", "contextual_single_implicit",
        "--set", "generate.backend=openai", "--set", "augment.price_per_1k_input=0.5",
        "--set", "augment.price_per_1k_output=1.5", "--set", f"augment.cache_dir={tmp_path}",
        timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    plan = json.loads(res.stdout[: res.stdout.rindex("}") + 1])
    t = plan["total"]
    assert plan["neutral"]["requests"] == 16 and t["to_send"] == 32 and t["cached"] == 0
    assert t["max_completion_tokens"] == 32 * 48  # smoke: max_new_tokens 48
    want = t["prompt_tokens"] / 1000 * 0.5 + t["max_completion_tokens"] / 1000 * 1.5
    assert t["cost_usd"] == round(want, 4) > 0
    assert "dry run: 32 requests to send" in res.stdout
    assert not (tmp_path / "run" / "augmented.jsonl").exists()
