"""``audit_run``: the three misalignment factors of a run folder, before any training.

Reads ``original.jsonl`` and ``augmented.jsonl``, writes ``audit.json`` (every number) and
``figures/audit_*.png``. Embeddings are cached under ``audit/embeddings``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from biasinherit.analyze._distribution import c2st, mmd_test
from biasinherit.analyze._embed import Embedder, embed_texts
from biasinherit.analyze._figures import (
    distribution_figure,
    groups_figure,
    pca_2d,
    projection_figure,
    values_figure,
)
from biasinherit.analyze._groups import compare_make_up
from biasinherit.analyze._lexical import lexical_profile
from biasinherit.analyze._option_order import position_bias
from biasinherit.analyze._values import (
    COUNTRIES,
    ask_generator,
    average_orders,
    compare_values,
    load_wvs,
    sample_generator,
)
from biasinherit.bias import get_attribute
from biasinherit.errors import BiasInheritError
from biasinherit.files import atomic_write_json, read_jsonl
from biasinherit.modelfiles import DEFAULT_MODEL

AUDIT_VERSION = 2  # 2: values over option orders, one question set for every country
MIN_GROUP_ROWS = 5  # fewer rows per side: no per-group distribution test


def _finite(obj):
    """NaN/inf -> None so that audit.json is strict JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    if isinstance(obj, np.generic):
        return _finite(obj.item())
    return obj


def _read_rows(run_dir: Path, name: str) -> list[dict]:
    path = run_dir / name
    if not path.exists():
        raise BiasInheritError(
            f"{path} not found",
            "audit a run folder made by `biasinherit generate` or `biasinherit run`",
        )
    rows = [r for r in read_jsonl(path) if isinstance(r.get("text"), str) and r["text"].strip()]
    if not rows:
        raise BiasInheritError(f"{path} has no rows with text", "regenerate the run folder")
    return rows


def distribution_tests(
    orig_emb: np.ndarray,
    aug_emb: np.ndarray,
    original: list[dict],
    augmented: list[dict],
    *,
    groups: tuple[str, ...],
    n_perm: int,
    max_per_side: int,
    seed: int,
) -> dict:
    """MMD and C2ST of original vs augmented, per bias type, overall and per group.

    Per group, the augmented rows written about the group face the original rows of the same
    group; where the original data carry no groups (real reviews, tweets: the culture
    setting), they face all original rows (``original_side: "all"``)."""
    out: dict[str, dict] = {}
    o_group = np.array([str(r.get("group")) for r in original])
    a_group = np.array([str(r.get("group")) for r in augmented])
    a_bt = np.array([str(r.get("bias_type")) for r in augmented])
    grouped_original = bool(set(o_group) & set(groups))
    for bt in sorted(set(a_bt)):
        res = {}
        for g in ("all", *groups):
            whole = g == "all" or not grouped_original
            o_sel = np.ones(len(original), bool) if whole else o_group == g
            a_sel = (a_bt == bt) & (True if g == "all" else a_group == g)
            n_o, n_a = int(o_sel.sum()), int(a_sel.sum())
            if min(n_o, n_a) < (2 if g == "all" else MIN_GROUP_ROWS):
                need = 2 if g == "all" else MIN_GROUP_ROWS
                res[g] = {
                    "n_original": n_o,
                    "n_augmented": n_a,
                    "skipped": f"not enough data (fewer than {need} rows per side)",
                }
                continue
            x, y = orig_emb[o_sel], aug_emb[a_sel]
            res[g] = {
                "n_original": n_o,
                "n_augmented": n_a,
                "original_side": "all" if whole else "group",
                "mmd": mmd_test(x, y, n_perm=n_perm, max_per_side=max_per_side, seed=seed),
                "c2st": c2st(x, y, max_per_side=max(max_per_side, 2000), seed=seed),
            }
        out[bt] = res
    return out


def values_audit(
    model_spec: str,
    *,
    limit: int | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    values_from: str = "probabilities",
    backend: str = "transformers",
    backend_options: dict | None = None,
    n_samples: int = 20,
    option_orders: int = 2,
    cache_dir: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Ask the generator every (or ``limit``) WVS question under each country persona and
    with no persona; compare with the real answer distributions.

    ``values_from``: ``probabilities`` (load the model locally and read the option
    probabilities) or ``samples`` (``n_samples`` sampled answers per question and order
    through the generator backend, e.g. an OpenAI-compatible endpoint; cached like
    generation). ``option_orders``: each question is asked with its options in this many
    orders (1 as listed; 2 also reversed; more: cyclic shifts) and the answers are averaged
    over them; ``position_bias`` reports how much the answers followed the position.
    """
    questions = load_wvs(limit=limit)
    personas: list[str | None] = [*COUNTRIES, None]
    parsed = None
    if option_orders < 1:
        raise BiasInheritError(
            f"option_orders must be at least 1, not {option_orders}",
            "use 2 (as listed and reversed) or 1 (as listed only)",
        )
    if values_from not in ("probabilities", "samples"):
        raise BiasInheritError(
            f"unknown values_from {values_from!r}", "use auto, probabilities or samples"
        )
    if values_from == "samples":
        from biasinherit.generate import GenerationCache, make_backend

        b = make_backend(backend, model=model_spec, **(backend_options or {}))
        cache = GenerationCache(backend, b.identity, cache_dir)
        by_order, parsed = sample_generator(
            b, questions, personas, n_samples=n_samples, n_orders=option_orders, seed=seed,
            cache=cache, backend_name=backend,
        )  # fmt: skip
        how = (
            f"{n_samples} sampled answers per question and option order (temperature 1, "
            "first number read)"
        )
    else:
        from biasinherit.models import load_model

        model, tok = load_model(model_spec)
        by_order = ask_generator(
            model, tok, questions, personas, n_orders=option_orders, progress=progress
        )
        how = "option probabilities (first answer token over '1'..'k')"
    how += {
        1: ", options as listed only",
        2: ", averaged over 2 option orders (as listed and reversed)",
    }.get(
        option_orders,
        f", averaged over up to {option_orders} option orders (as listed, reversed, then "
        "cyclic shifts and their reversals; 2 for two options)",
    )
    answers = average_orders(by_order)
    res = compare_values(questions, answers, n_boot=n_boot, seed=seed)
    res["generator"] = model_spec
    res["answers_from"] = how
    res["option_orders"] = option_orders
    real = {c: {q.qid: q.real[c] for q in questions if c in q.real} for c in COUNTRIES}
    res["position_bias"] = position_bias(by_order, real) | {"n_questions": len(questions)}
    if parsed is not None:
        res["answer_parse_rate"] = parsed

    def rounded(p) -> list:
        return np.round(np.asarray(p, dtype=float), 4).tolist()

    res["per_question"] = {
        q.qid: {
            "question": q.text,
            "generator": {(c or "none"): rounded(answers[c][q.qid]) for c in personas},
            "real": {c: rounded(p) for c, p in q.real.items()},
        }
        | (
            {"generator_by_order": {(c or "none"): rounded(by_order[c][q.qid]) for c in personas}}
            if option_orders > 1
            else {}
        )
        for q in questions
    }
    return res


def audit_run(
    run_dir: str | Path,
    *,
    values: bool = True,
    limit: int | None = None,
    model: str | None = None,
    n_perm: int = 1000,
    n_boot: int = 1000,
    max_per_side: int = 1000,
    seed: int = 0,
    values_from: str = "auto",
    n_samples: int = 20,
    option_orders: int = 2,
    backend: str = "transformers",
    backend_options: dict | None = None,
    cache_dir: str | None = None,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Audit a run folder: values, group data, data distribution, lexical view.

    Parameters
    ----------
    run_dir : path
        A folder with ``original.jsonl`` and ``augmented.jsonl``.
    values : bool
        Ask the generator the WVS questions (loads the generator model).
    limit : int, optional
        Ask only the first ``limit`` WVS questions (a quick look).
    model : str, optional
        Generator to ask (default: the embedded model); ``biasinherit.runner.audit_inputs``
        gives a run's own generator, backend and cache from its config.
    n_perm, n_boot, max_per_side, seed
        MMD permutations, bootstrap resamples, per-side cap of the kernel tests, RNG seed.
    values_from : {"auto", "probabilities", "samples"}
        How the generator's answers are read: option probabilities of the local model, or
        ``n_samples`` sampled answers through the run's generator backend; ``auto``:
        probabilities for the transformers backend, samples for the others.
    option_orders : int
        Ask each WVS question with its options in this many orders (1: as listed; 2: also
        reversed) and average the answers; the position bias is reported.
    backend, backend_options, cache_dir
        The generator backend that answers in ``samples`` mode, its options, and the
        generation cache folder.

    Returns
    -------
    dict
        The content written to ``run_dir/audit.json``.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise BiasInheritError(f"run folder {run_dir} not found", "give an existing run folder")
    say = log or (lambda _m: None)
    augmented = _read_rows(run_dir, "augmented.jsonl")
    original = _read_rows(run_dir, "original.jsonl")
    attr_name = str(augmented[0].get("attribute") or original[0].get("attribute") or "gender")
    attribute = get_attribute(attr_name)
    timings: dict[str, float] = {}
    figs = run_dir / "figures"
    figures: list[str] = []

    t0 = time.perf_counter()
    say(f"embedding {len(original)} original + {len(augmented)} augmented texts")
    embedder = Embedder()
    cache = run_dir / "audit" / "embeddings"
    orig_emb = embed_texts([r["text"] for r in original], cache_dir=cache, embedder=embedder)
    aug_emb = embed_texts([r["text"] for r in augmented], cache_dir=cache, embedder=embedder)
    timings["embed"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    say("distribution tests (MMD permutation, C2ST)")
    dist = distribution_tests(
        orig_emb,
        aug_emb,
        original,
        augmented,
        groups=attribute.groups,
        n_perm=n_perm,
        max_per_side=max_per_side,
        seed=seed,
    )
    coords, var = pca_2d(np.vstack([orig_emb, aug_emb]))
    labels = ["original"] * len(original) + [str(r.get("bias_type")) for r in augmented]
    projection_figure(coords, labels, var, figs / "audit_projection.png")
    distribution_figure(dist, figs / "audit_distribution.png")
    figures += ["figures/audit_projection.png", "figures/audit_distribution.png"]
    timings["distribution"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    say("group make-up and lexical view")
    by_bt: dict[str, list[dict]] = {}
    for r in augmented:
        by_bt.setdefault(str(r.get("bias_type")), []).append(r)
    group_data = {bt: compare_make_up(rows, original, attribute) for bt, rows in by_bt.items()}
    if "neutral" in group_data:
        groups_figure(group_data["neutral"], list(attribute.groups), figs / "audit_groups.png")
        figures.append("figures/audit_groups.png")
    lexical = {"original": lexical_profile(original, attribute)}
    lexical.update({bt: lexical_profile(rows, attribute) for bt, rows in by_bt.items()})
    timings["groups_lexical"] = time.perf_counter() - t0

    value_res: dict = {"skipped": "values part not requested (--no-values)"}
    if values:
        t0 = time.perf_counter()
        spec = model or DEFAULT_MODEL
        say(f"values: asking {spec} the World Values Survey questions")
        options = backend_options or {}
        if values_from == "auto":
            values_from = "probabilities" if backend == "transformers" else "samples"
        value_res = values_audit(
            spec, limit=limit, n_boot=n_boot, seed=seed, values_from=values_from,
            backend=backend, backend_options=options, n_samples=n_samples, cache_dir=cache_dir,
            option_orders=option_orders,
        )  # fmt: skip
        values_figure(value_res, figs / "audit_values.png")
        figures.append("figures/audit_values.png")
        timings["values"] = time.perf_counter() - t0

    result = _finite(
        {
            "version": AUDIT_VERSION,
            "attribute": attribute.name,
            "groups": list(attribute.groups),
            "n_original": len(original),
            "n_augmented": {bt: len(rows) for bt, rows in sorted(by_bt.items())},
            "embedding": {"model": embedder.identity, "dim": int(orig_emb.shape[1])},
            "distribution": dist,
            "group_data": group_data,
            "group_data_reference": "neutral" if "neutral" in group_data else None,
            "lexical": lexical,
            "values": value_res,
            "figures": figures,
            "settings": {
                "n_perm": n_perm,
                "n_boot": n_boot,
                "max_per_side": max_per_side,
                "seed": seed,
                "limit": limit,
                "values_from": values_from,
                "n_samples": n_samples if values_from == "samples" else None,
                "option_orders": option_orders,
            },
            "seconds": {k: round(v, 2) for k, v in timings.items()},
        }
    )
    atomic_write_json(run_dir / "audit.json", result)
    return result
