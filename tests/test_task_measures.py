"""Every registered task declares the measures it is judged on, and its per-item frame carries
what they need: one row of this table per task (fast: real items, the model's scores drawn
at random; slow: the real embedded model)."""

from __future__ import annotations

import sys
from collections import Counter

import numpy as np
import pandas as pd
import pytest

import biasinherit.evaluate.tasks  # noqa: F401  (registers the built-in tasks)
from biasinherit.evaluate import TASKS, get_task
from biasinherit.evaluate._adjectives import DIMENSIONS, Adjective

NAMES = TASKS.names()
WORDS = ["kind", "rude", "smart", "lazy", "honest", "cruel", "brave", "selfish"]


def fake_scorers(seed: int = 0) -> dict:
    """Stand-ins for the model-facing scorers, with the shapes and forms of the real ones."""
    rng = np.random.default_rng(seed)

    def tick(progress, n):
        if progress:
            progress(n)

    def score_options(model, tok, prompts, options, *, progress=None, **kw):
        tick(progress, len(prompts))
        return rng.dirichlet(np.ones(len(options)), len(prompts))

    def score_option_sets(model, tok, prompts, options, *, progress=None, **kw):
        tick(progress, len(prompts))
        return np.stack([rng.dirichlet(np.ones(len(o))) for o in options])

    def sequence_logliks(model, tok, texts, *, progress=None, **kw):
        tick(progress, len(texts))
        return -rng.gamma(20.0, 2.0, len(texts))

    def generate_greedy(model, tok, prompts, *, answer_prefix="", progress=None, **kw):
        tick(progress, len(prompts))
        pre = answer_prefix if isinstance(answer_prefix, list) else [answer_prefix] * len(prompts)
        return [
            f"{p}{rng.integers(30, 150)},000. She was {' and '.join(rng.choice(WORDS, 2))}."
            for p in pre
        ]

    def adjectives(texts):
        return [
            [
                Adjective(
                    str(rng.choice(WORDS)),
                    str(rng.choice(DIMENSIONS)),
                    "lexicon",
                    float(rng.normal()),
                )  # fmt: skip
                for _ in range(rng.integers(0, 4))
            ]
            for _ in texts
        ]

    return {f.__name__: f for f in (score_options, score_option_sets, sequence_logliks,
                                    generate_greedy, adjectives)}  # fmt: skip


def synthetic_run(task, monkeypatch, *, n_per_group: int = 8) -> pd.DataFrame:
    """``task.run`` on its real items, every scorer its module imports replaced."""
    fakes = fake_scorers()
    for klass in type(task).__mro__:
        module = sys.modules[klass.__module__]
        for name, fake in fakes.items():
            if hasattr(module, name):
                monkeypatch.setattr(module, name, fake)
    items = task.items(n_per_group=n_per_group, seed=0)
    return task.run(None, None, items)


def check_units(task, per_item: pd.DataFrame) -> None:
    for m in task.measures:
        assert m.task == task.name, m.name
        assert m.stimulus in per_item, f"{m.name}: no {m.stimulus!r} column"
        units = m.units(per_item)
        assert len(units), f"{m.name}: no units"
        assert units["unit"].is_unique and np.isfinite(units["value"].astype(float)).all()
        assert units["stimulus"].nunique() >= 2, f"{m.name}: one stimulus"


def test_measure_names_are_unique_across_tasks():
    counts = Counter(m.name for n in NAMES for m in get_task(n).measures)
    assert [k for k, v in counts.items() if v > 1] == []


@pytest.mark.parametrize("name", NAMES)
def test_task_declares_measures_its_frame_can_compute(name, monkeypatch):
    task = get_task(name)
    assert task.measures, f"{name} declares no measures"
    assert any(m.role == "bias" for m in task.measures)
    assert all(m.role in ("bias", "performance") and m.direction in (-1, 0, 1)
               for m in task.measures)  # fmt: skip
    per_item = synthetic_run(task, monkeypatch)
    assert per_item["id"].is_unique
    check_units(task, per_item)
    assert task.metrics(per_item, n_boot=20)  # the per-run rows still build


@pytest.fixture(scope="module")
def model():
    import torch

    from biasinherit.models import load_model

    torch.set_num_threads(min(2, torch.get_num_threads()))
    return load_model("smollm2-135m-instruct")


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_task_measures_on_the_embedded_model(model, name):
    task = get_task(name)
    if name == "bold":
        task.domains = ["gender", "race"]  # the domains its measures read
    per_item = task.run(*model, task.items(n_per_group=1, seed=0))
    check_units(task, per_item)
