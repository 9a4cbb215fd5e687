"""Plan the requests of a generate stage: which prompt, label, group, seed example and seed.

Prompt ``i`` of a bias type is a pure function of (spec seed, bias type, i), so a rerun plans
exactly the same requests and the cache answers the finished ones.
"""

from __future__ import annotations

import random
import re
from functools import cache

from biasinherit.bias import BIAS_TYPES, Attribute, Prompt, TaskSpec, build_prompt
from biasinherit.data import group_names  # noqa: F401  (re-exported)
from biasinherit.files import content_hash

_MENTION = re.compile(r"(^|\s)(RT\s+)?@\w+:?|&amp;|&#\d+;|https?://\S+")


def request_seed(spec_seed: int, prompt_id: str) -> int:
    """The sampling seed of one request: stable, and different for every prompt id."""
    return int(content_hash(spec_seed, prompt_id, length=12), 16)


@cache
def seed_examples(dataset: str, seed: int) -> dict[str, list[dict]]:
    """Short real examples per label (mentions, links and HTML entities removed)."""
    from biasinherit.data.classification import load_classification

    out: dict[str, list[dict]] = {}
    for r in load_classification(dataset, split="train", n_per_label=400, seed=seed):
        text = _MENTION.sub(" ", r["text"]).replace('"', "'")
        text = re.sub(r"\s+", " ", text).strip()
        if 4 <= len(text.split()) <= 40:
            out.setdefault(r["label"], []).append({"id": r["id"], "text": text})
    return out


def plan_prompts(
    attribute: Attribute,
    task: TaskSpec,
    bias_type: str,
    start: int,
    n: int,
    *,
    seed: int,
    names: dict[str, list[str]],
) -> list[Prompt]:
    """Prompts ``start .. start+n-1`` of one bias type."""
    bt = BIAS_TYPES.get(bias_type)
    labels = task.biased_labels() if bt.biased else list(task.labels)
    examples = seed_examples(task.dataset, seed) if task.dataset else {}
    out = []
    for i in range(start, start + n):
        label = labels[i % len(labels)]
        group = None
        if bt.biased:
            fixed = task.labels[label].get("stereotype")
            groups = attribute.groups
            group = fixed if fixed in groups else groups[(i // len(labels)) % len(groups)]
        rng = random.Random(f"{seed}:{bias_type}:{i}")
        example = rng.choice(examples[label]) if examples.get(label) else None
        out.append(
            build_prompt(bt, attribute, label, group, names, rng, i, task=task, example=example)
        )
    return out
