"""Plan the requests of a generate stage: which prompt, label, group, seed example and seed.

Prompt ``i`` of a bias type is a pure function of (spec seed, bias type, i), so a rerun plans
exactly the same requests and the cache answers the finished ones.
"""

from __future__ import annotations

import random
import re
from functools import cache

from biasinherit.bias import BIAS_TYPES, Attribute, Prompt, TaskSpec, build_prompt
from biasinherit.files import content_hash

_MENTION = re.compile(r"(^|\s)(RT\s+)?@\w+:?|&amp;|&#\d+;|https?://\S+")


def request_seed(spec_seed: int, prompt_id: str) -> int:
    """The sampling seed of one request: stable, and different for every prompt id."""
    return int(content_hash(spec_seed, prompt_id, length=12), 16)


def _warm_name_cache(countries: list[str]) -> None:
    """Build the name lists of several countries from one load of names-dataset (~14 s each
    load otherwise), in the same cache files and format as ``biasinherit.data.first_names``."""
    from biasinherit.data._names import _LATIN, _TOP_N
    from biasinherit.files import atomic_write_json
    from biasinherit.paths import cache_dir

    missing = [c for c in countries if not (cache_dir("names") / f"{c.upper()}.json").exists()]
    if len(missing) < 2:
        return  # first_names builds a single list itself
    try:
        from names_dataset import NameDataset
    except ImportError:
        return  # first_names raises the one-line error
    nd = NameDataset()
    for c in (m.upper() for m in missing):
        table = {}
        for g in ("F", "M"):
            top = nd.get_top_names(
                n=_TOP_N, gender="Female" if g == "F" else "Male", country_alpha2=c
            )
            table[g] = [x for x in top.get(c, {}).get(g, []) if _LATIN.match(x)]
        both = set(table["F"]) & set(table["M"])
        atomic_write_json(
            cache_dir("names") / f"{c}.json",
            {g: [x for x in v if x not in both] for g, v in table.items()},
        )


def group_names(
    attribute: Attribute, per_list: int = 60, *, role: str | None = "generation"
) -> dict[str, list[str]]:
    """First names per group, interleaved over the group's countries and name genders.

    A name must be a clean implicit cue: names found in another group's lists, or in the
    group's ``exclude_countries`` (e.g. common US names among Chinese ones), are dropped.
    Prompts draw from the ``generation`` third of each list (never a test or training name,
    see :func:`biasinherit.data.name_pool`); ``role=None`` gives the whole lists (detection).
    """
    from biasinherit.data import first_names, name_pool

    def pool(c: str, gen: str) -> list[str]:
        return (first_names(c, gen, per_list) if role is None
                else name_pool(c, gen, role)[:per_list])  # fmt: skip

    specs = {g: attribute.names.get(g) or {} for g in attribute.groups}
    countries = {c for v in specs.values() for k in ("countries", "exclude_countries")
                 for c in v.get(k, [])}  # fmt: skip
    _warm_name_cache(sorted(countries))
    lists, excluded = {}, {}
    for g, spec in specs.items():
        genders = spec.get("genders", ["F", "M"])
        lists[g] = [pool(c, gen) for c in spec.get("countries", []) for gen in genders]
        excluded[g] = {n for c in spec.get("exclude_countries", []) for gen in genders
                       for n in first_names(c, gen, 200)}  # fmt: skip
    out = {}
    for g, ls in lists.items():
        elsewhere = {n for h, hl in lists.items() if h != g for x in hl for n in x}
        merged: list[str] = []
        for i in range(max((len(x) for x in ls), default=0)):
            for x in ls:
                n = x[i] if i < len(x) else None
                if n and n not in merged and n not in elsewhere and n not in excluded[g]:
                    merged.append(n)
        out[g] = merged[:per_list] or [g.title()]
    return out


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
