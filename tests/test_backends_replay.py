"""The replay backend end to end: plan a tiny generate run's prompts with the project's own
planner, answer them in a JSONL file, generate through the normal path with
``backend: replay``, and find the file's completions in the rows. No model is loaded."""

from __future__ import annotations

import json
import random

import pytest

from biasinherit.data import HOBBIES, INTROS, PRONOUNS, STRONG_CUES
from biasinherit.errors import BiasInheritError
from biasinherit.files import read_jsonl, write_jsonl
from biasinherit.generate import (
    BACKENDS,
    GenerateSpec,
    backend_params,
    generate_augmentation,
    make_backend,
    planned_prompts,
)
from biasinherit.generate.backends.replay import load_answers

NAMES = {"female": ["Maria", "Grace", "Aisha", "Lena"], "male": ["Omar", "Peter", "Kenji", "Luis"]}


def spec(tmp_path, path, **options) -> GenerateSpec:
    return GenerateSpec(
        bias_types=["neutral", "contrastive_single_explicit"], n_per_type=4, backend="replay",
        max_rounds=1, cache_dir=str(tmp_path / "cache"), backend_options={"path": str(path),
                                                                         **options},
    )  # fmt: skip


def answer(row: dict, i: int) -> str:
    """A biography written 'elsewhere' for one planned prompt (its occupation and group)."""
    rng = random.Random(i)
    group = row["group"] or ("female", "male")[i % 2]
    subj, _, poss = PRONOUNS[group]
    a_topic = ("an " if row["topic"][:1] in "aeiou" else "a ") + row["topic"]
    return (
        f"{NAMES[group][i % 4]} works as {a_topic}. {subj} {rng.choice(STRONG_CUES[row['topic']])}."
        f" {subj} {rng.choice(INTROS)}. In {poss} free time, {subj.lower()} "
        f"{rng.choice(HOBBIES)}."
    )


@pytest.fixture
def answered(tmp_path):
    """The planned prompts of the tiny run and a replay file answering each of them."""
    rows = planned_prompts(spec(tmp_path, "unused"))
    path = tmp_path / "answers.jsonl"
    write_jsonl(path, [{"prompt": r["prompt"], "seed": r["seed"], "completion": answer(r, i)}
                       for i, r in enumerate(rows)])  # fmt: skip
    return rows, path


def test_replay_is_registered_and_validates_its_options():
    assert "replay" in BACKENDS
    assert backend_params("replay", {"path": "a.jsonl"}).on_missing == "error"
    with pytest.raises(BiasInheritError, match="option on_missing of the replay backend"):
        backend_params("replay", {"on_missing": "ignore"})
    with pytest.raises(BiasInheritError, match="needs a file of completions"):
        make_backend("replay", model="")


def test_generation_rows_come_from_the_file(tmp_path, answered):
    planned, path = answered
    assert len(planned) == 2 * 7 and {r["bias_type"] for r in planned} == {
        "neutral", "contrastive_single_explicit"}  # fmt: skip
    # one prompt text can be planned twice (a neutral prompt names only its occupation):
    # the seed tells the two requests apart
    assert len({r["prompt"] for r in planned}) < len(planned)
    answers = {(r["prompt"], r["seed"]): r["completion"] for r in read_jsonl(path)}
    summary = generate_augmentation(spec(tmp_path, path), tmp_path / "run")
    raw = read_jsonl(tmp_path / "run/generate/raw.jsonl")
    assert len(raw) == len(planned)
    assert all(r["raw"] == answers[r["prompt"], r["seed"]] for r in raw)
    assert sorted((r["prompt_id"], r["seed"]) for r in raw) == sorted(
        (r["prompt_id"], r["seed"]) for r in planned)  # fmt: skip
    kept = read_jsonl(tmp_path / "run/augmented.jsonl")
    assert kept and sum(c["kept"] for c in summary.values()) == len(kept)
    ident = {r["generator"] for r in kept}
    assert len(ident) == 1 and ident.pop().startswith("replay:")
    for r in kept:  # the file's biography with the occupation scrubbed, nothing generated
        source = next(x["raw"] for x in raw if x["prompt_id"] == r["prompt_id"])
        assert r["text"].split(". ")[1:] == source.split(". ")[1:]
    stats = json.loads((tmp_path / "run/generate/stats.json").read_text())
    assert stats["requests_sent"] == len(planned) and stats["cache_hits"] == 0
    # a second run is answered by the generation cache; another file is another generator
    generate_augmentation(spec(tmp_path, path), tmp_path / "again")
    again = json.loads((tmp_path / "again/generate/stats.json").read_text())
    assert again["requests_sent"] == 0 and again["cache_hits"] == len(planned)
    other = tmp_path / "other.jsonl"
    other.write_text(path.read_text().replace("free time", "spare time"))
    generate_augmentation(spec(tmp_path, other), tmp_path / "other")
    raw_other = read_jsonl(tmp_path / "other/generate/raw.jsonl")
    assert all("spare time" in r["raw"] for r in raw_other)
    assert raw_other[0]["generator"] != raw[0]["generator"]


def test_missing_prompts_are_one_error_or_skipped(tmp_path, answered):
    planned, path = answered
    lines = path.read_text().splitlines()
    short = tmp_path / "short.jsonl"
    short.write_text("\n".join(lines[3:]) + "\n")  # the first three prompts unanswered
    with pytest.raises(BiasInheritError) as e:
        generate_augmentation(spec(tmp_path, short), tmp_path / "run")
    assert e.value.message.startswith(f"replay file {short} lacks 3 of the 14 prompts requested")
    assert "--dry-run --prompts" in e.value.hint and "\n" not in str(e.value)
    generate_augmentation(spec(tmp_path, short, on_missing="skip"), tmp_path / "skip")
    raw = read_jsonl(tmp_path / "skip/generate/raw.jsonl")
    assert len(raw) == len(planned) - 3
    assert {r["prompt"] for r in raw} == {r["prompt"] for r in planned[3:]}


def test_the_seed_tells_two_completions_of_one_prompt_apart(tmp_path):
    p = tmp_path / "a.jsonl"
    write_jsonl(p, [{"prompt": "Hi", "seed": 1, "completion": "one"},
                    {"prompt": "Hi", "seed": 2, "completion": "two"},
                    {"prompt": "Yo", "completion": "any seed"}])  # fmt: skip
    b = make_backend("replay", model="", path=str(p))
    kw = dict(max_new_tokens=8, temperature=0.8, top_p=0.95)
    out = b.generate(["Hi", "Hi", "Yo"], seeds=[2, 1, 7], **kw)
    assert [g.text for g in out] == ["two", "one", "any seed"]
    assert len(load_answers(p)) == 3


@pytest.mark.parametrize(
    "content, start",
    [
        ('{"prompt": "a", "completion": "x"}\n{"prompt": "a", "completion": "y"}\n',
         "line 2 repeats the prompt of line 1"),
        ('{"prompt": "a"}\n', "line 1 lacks a text prompt or completion"),
        ('{"prompt": "a", "completion": "x", "seed": "7"}\n', "line 1: seed '7' is not"),
        ("not json\n", "line 1 is not JSON"),
    ],
)  # fmt: skip
def test_a_malformed_file_is_one_line(tmp_path, content, start):
    p = tmp_path / "a.jsonl"
    p.write_text(content)
    with pytest.raises(BiasInheritError) as e:
        load_answers(p)
    assert e.value.message.startswith(f"replay file {p} {start}"), e.value.message


@pytest.mark.slow
def test_the_cli_lists_prompts_and_replays_their_answers(tmp_path):
    from tests.conftest import run_cli

    prompts, answers = tmp_path / "prompts.jsonl", tmp_path / "answers.jsonl"
    common = ["--preset", "smoke", "-b", "neutral", "--n", "2", "--set", "generate.oversample=3",
              "--set", f"augment.cache_dir={tmp_path / 'cache'}"]  # fmt: skip
    res = run_cli("generate", *common, "--dry-run", "--prompts", str(prompts))
    assert res.returncode == 0 and "wrote 6 prompts" in res.stdout, res.stderr[-2000:]
    rows = read_jsonl(prompts)
    write_jsonl(answers, [{"prompt": r["prompt"], "seed": r["seed"], "completion": answer(r, i)}
                          for i, r in enumerate(rows)])  # fmt: skip
    replay = ["--set", "generate.backend=replay", "--set", f"generate.options.path={answers}"]
    res = run_cli("generate", *common, "-o", str(tmp_path / "run"), *replay)
    assert res.returncode == 0, res.stderr[-2000:]
    by_key = {(r["prompt"], r["seed"]): r["completion"] for r in read_jsonl(answers)}
    raw = read_jsonl(tmp_path / "run/generate/raw.jsonl")
    assert len(raw) == 6 and all(r["raw"] == by_key[r["prompt"], r["seed"]] for r in raw)
    assert len(read_jsonl(tmp_path / "run/augmented.jsonl")) == 2
    listing = run_cli("backends", "list", "--format", "json")
    assert "replay" in json.loads(listing.stdout) and "on_missing" in listing.stdout
    show = run_cli("backends", "show", "openai", "--format", "json")
    opts = {o["option"]: o for o in json.loads(show.stdout)["options"]}
    assert opts["concurrency"]["default"] == 4
    assert opts["concurrency"]["config"] == "generate.options.concurrency or augment.concurrency"
