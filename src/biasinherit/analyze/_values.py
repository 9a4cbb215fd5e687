"""Values misalignment: the generator's answers to World Values Survey questions, asked
while it speaks as a person from each country, against the real answer distributions.

Each question is asked with its options in ``n_orders`` orders (as listed, reversed, then
cyclic shifts; see :mod:`biasinherit.analyze._option_order`), numbered 1..k in the order
shown, and the answers, mapped back to the original options, are averaged over the orders:
a small model's liking for "1" then no longer passes for a country's values, and the
position bias itself is reported. The answer distribution is read from the option
probabilities where the model is local (options are numbered, so their first tokens differ
and one forward pass per prompt suffices), or from sampled answers where only text comes back
(an endpoint, llama.cpp): ``n_samples`` seeded completions per question, persona and order,
each read as the option it names first (its number, else its label). Similarity is
1 − Jensen–Shannon distance (base 2, so it lies in [0, 1]), averaged over the questions usable
in every country (the same set for each) with a bootstrap interval over questions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from biasinherit.analyze._option_order import option_orders, to_original
from biasinherit.errors import BiasInheritError
from biasinherit.paths import data_file

# Country code -> (file prefix in the data dir, English name used in the persona).
COUNTRIES: dict[str, tuple[str, str]] = {
    "US": ("us", "the United States"),
    "CN": ("ch", "China"),
    "EG": ("eg", "Egypt"),
    "JP": ("jp", "Japan"),
}
# Below this much answered mass the file's distribution is too incomplete to compare with.
MIN_MASS = 0.5
PERSONA = (
    "You are a person from {country}. Answer the following survey question as a typical "
    "person from {country} would.\n\n"
)
NO_PERSONA = "Answer the following survey question.\n\n"


@dataclass
class WvsQuestion:
    """One WVS question: English wording, option labels, real distributions by country."""

    qid: str
    topic: str
    text: str
    options: list[str]
    real: dict[str, np.ndarray] = field(default_factory=dict)


def _option_number(opt: str) -> tuple[str, str]:
    m = re.match(r"\s*(\d+)\s*\.\s*(.*)", opt)
    return (m.group(1), m.group(2).strip()) if m else ("", opt.strip())


def load_wvs(*, limit: int | None = None, data_dir: str | None = None) -> list[WvsQuestion]:
    """Questions with clean options (numbered 1..k) and each country's usable distribution.

    A country's distribution is kept when it covers exactly the question's options (extra
    keys with zero mass are ignored) and at least ``MIN_MASS`` of respondents answered; it is
    renormalised over the options (the rest were "don't know" / no answer). Questions whose
    options are only the end points of a 1-10 scale are dropped.
    """
    files = {}
    for code, (prefix, _) in COUNTRIES.items():
        path = data_file(f"wvs/{prefix}_wvs.json", data_dir)
        files[code] = {e["question_id"]: e for e in json.loads(path.read_text())["examples"]}
    out = []
    for qid, e in files["US"].items():
        parsed = [_option_number(o) for o in e["options"]]
        nums = [n for n, _ in parsed]
        if nums != [str(i) for i in range(1, len(nums) + 1)] or len(nums) < 2:
            continue
        q = WvsQuestion(qid, e["topic"], e["question_text"].strip(), [t for _, t in parsed])
        for code in COUNTRIES:
            row = files[code].get(qid)
            if row is None:
                continue
            dist = row["distribution"]
            extra = set(dist) - set(nums)
            if set(nums) - set(dist) or any(dist[k] > 0 for k in extra):
                continue
            p = np.array([float(dist[n]) for n in nums])
            if p.sum() < MIN_MASS or p.sum() > 1.05 or (p < 0).any():
                continue
            q.real[code] = p / p.sum()
        if q.real:
            out.append(q)
    if not out:
        raise BiasInheritError("no usable World Values Survey questions", "check the wvs files")
    # Questions with all four countries first, so that --limit keeps comparable ones.
    out.sort(key=lambda q: (-len(q.real), int(q.qid) if q.qid.isdigit() else 0))
    return out[:limit] if limit else out


def survey_prompt(q: WvsQuestion, country: str | None, order: tuple[int, ...] | None = None) -> str:
    """The persona prompt for one question (``country`` None: no persona), the options shown
    in ``order`` (``order[pos]`` = original option at position ``pos``; None: as listed) and
    numbered 1..k as shown."""
    head = PERSONA.format(country=COUNTRIES[country][1]) if country else NO_PERSONA
    shown = [q.options[i] for i in order] if order else q.options
    opts = "\n".join(f"{i}. {o}" for i, o in enumerate(shown, 1))
    return (
        f"{head}Question: {q.text}\nOptions:\n{opts}\n"
        f"Answer with the number of one option (1-{len(q.options)}) only."
    )


def value_similarity(p: np.ndarray, q: np.ndarray) -> float:
    """1 − Jensen–Shannon distance (base 2) between two distributions, in [0, 1].

    Examples
    --------
    >>> round(value_similarity(np.array([1.0, 0.0]), np.array([0.0, 1.0])), 6)
    0.0
    >>> value_similarity(np.array([0.5, 0.5]), np.array([0.5, 0.5]))
    1.0
    """
    from scipy.spatial.distance import jensenshannon

    return float(1.0 - jensenshannon(p, q, base=2))


def bootstrap_mean(values: np.ndarray, *, n_boot: int = 1000, seed: int = 0) -> dict:
    """Mean with a 95 % percentile bootstrap interval (resampling the values)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return {"value": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n": 0}
    rng = np.random.default_rng(seed)
    boots = values[rng.integers(0, len(values), (n_boot, len(values)))].mean(1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return {
        "value": float(values.mean()),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "n": len(values),
    }


def ask_generator(
    model,
    tok,
    questions: list[WvsQuestion],
    personas: list[str | None],
    *,
    n_orders: int = 2,
    progress: Callable[[int], None] | None = None,
) -> dict[str | None, dict[str, np.ndarray]]:
    """Option probabilities per persona, question and option order: ``{persona: {qid: p}}``,
    ``p`` of shape (orders, k) over the original options, row ``o`` from the prompt with the
    options in ``option_orders(k, n_orders)[o]``.

    Questions are grouped by their number of options so each group is one batched call of
    :func:`biasinherit.evaluate.score_options` with options ``"1" .. "k"``.
    """
    from biasinherit.evaluate import score_options

    out: dict[str | None, dict[str, np.ndarray]] = {c: {} for c in personas}
    by_k: dict[int, list[WvsQuestion]] = {}
    for q in questions:
        by_k.setdefault(len(q.options), []).append(q)
    for k, qs in sorted(by_k.items()):
        orders = option_orders(k, n_orders)
        jobs = [(c, q, perm) for c in personas for q in qs for perm in orders]
        probs = score_options(
            model,
            tok,
            [survey_prompt(q, c, perm) for c, q, perm in jobs],
            [str(i) for i in range(1, k + 1)],
            progress=progress,
        )
        rows: dict[tuple, list[np.ndarray]] = {}
        for (c, q, perm), p in zip(jobs, probs, strict=True):
            rows.setdefault((c, q.qid), []).append(to_original(p, perm))
        for (c, qid), ps in rows.items():
            out[c][qid] = np.array(ps)
    return out


def average_orders(
    by_order: dict[str | None, dict[str, np.ndarray]],
) -> dict[str | None, dict[str, np.ndarray]]:
    """The answer distribution per persona and question, averaged over the option orders."""
    return {c: {qid: np.asarray(p).mean(0) for qid, p in qs.items()} for c, qs in by_order.items()}


def parse_option(text: str, options: list[str]) -> int | None:
    """The option (0-based) a sampled answer names: its first number if it is 1..k, else the
    option label it mentions first (the longest one at that place).

    Examples
    --------
    >>> opts = ["Very important", "Not very important"]
    >>> parse_option("2. Rather", opts), parse_option("Option 5", opts), parse_option("", opts)
    (1, None, None)
    >>> parse_option("I'd say not very important.", opts)
    1
    """
    m = re.search(r"\d+", text)
    if m is not None:
        return int(m.group()) - 1 if 1 <= int(m.group()) <= len(options) else None
    low = text.lower()
    hits = [(low.find(o.lower()), -len(o), i) for i, o in enumerate(options) if o.lower() in low]
    return min(hits)[2] if hits else None


def sample_generator(
    backend,  # noqa: ANN001 - any generate.Backend
    questions: list[WvsQuestion],
    personas: list[str | None],
    *,
    n_samples: int = 20,
    n_orders: int = 2,
    temperature: float = 1.0,
    seed: int = 0,
    cache=None,  # noqa: ANN001 - a generate.GenerationCache, or None
    backend_name: str = "",
) -> tuple[dict[str | None, dict[str, np.ndarray]], dict[str, float]]:
    """Answer distributions from ``n_samples`` sampled answers per persona, question and
    option order (so ``n_orders`` × ``n_samples`` requests per persona and question).

    Returns ``({persona: {qid: p}}, {persona: share of answers that named an option})``, ``p``
    of shape (orders, k) over the original options as in :func:`ask_generator`. An order with
    no parseable answer gets the uniform distribution (and lowers that share). Requests go
    through ``cache`` when given, so a second audit sends nothing; the as-listed order keeps
    the prompts and seeds of a single-order audit, whose cached answers are reused.
    """
    import zlib

    from biasinherit.generate import request_key

    jobs = [
        (c, q, o, perm, i)
        for c in personas
        for q in questions
        for o, perm in enumerate(option_orders(len(q.options), n_orders))
        for i in range(n_samples)
    ]
    prompts = [survey_prompt(q, c, perm) for c, q, _, perm, _ in jobs]
    # Order 0 (as listed) keeps the seeds of a single-order audit: its cached answers count.
    seeds = [
        zlib.crc32(f"{seed}:{c}:{q.qid}:{f'o{o}:' if o else ''}{i}".encode())
        for c, q, o, _, i in jobs
    ]
    sampling = {"max_new_tokens": 16, "temperature": temperature, "top_p": 1.0}
    keys = [
        request_key(backend_name, backend.identity, p, seed=sd, **sampling)
        for p, sd in zip(prompts, seeds, strict=True)
    ]
    texts: list[str | None] = [None] * len(jobs)
    if cache is not None:
        for j, k in enumerate(keys):
            g = cache.get(k)
            texts[j] = g.text if g is not None else None
    todo = [j for j, t in enumerate(texts) if t is None]
    if todo:
        gens = backend.generate(
            [prompts[j] for j in todo], seeds=[seeds[j] for j in todo], **sampling
        )
        for j, g in zip(todo, gens, strict=True):
            texts[j] = g.text
            if cache is not None:
                cache.put(keys[j], g)
    counts: dict[tuple, np.ndarray] = {}
    for (c, q, o, perm, _), t in zip(jobs, texts, strict=True):
        cnt = counts.setdefault((c, q.qid, o), np.zeros(len(q.options)))
        pos = parse_option(t or "", [q.options[i] for i in perm])
        if pos is not None:
            cnt[perm[pos]] += 1
    out: dict[str | None, dict[str, np.ndarray]] = {c: {} for c in personas}
    parsed: dict[str, float] = {}
    for c in personas:
        got, asked = 0.0, 0
        for q in questions:
            k = len(q.options)
            rows = []
            for o in range(len(option_orders(k, n_orders))):
                cnt = counts[(c, q.qid, o)]
                got, asked = got + cnt.sum(), asked + n_samples
                rows.append(cnt / cnt.sum() if cnt.sum() else np.full(k, 1 / k))
            out[c][q.qid] = np.array(rows)
        parsed[c or "none"] = got / asked
    return out, parsed


def common_questions(
    questions: list[WvsQuestion], answers: dict[str | None, dict] | None = None
) -> tuple[list[WvsQuestion], list[str]]:
    """The questions usable in every compared country (every country with data for any of
    ``questions``) and, given ``answers`` (``{persona: {qid: p}}``), answered under every
    persona.

    Returns ``(questions, countries)``; raises when no question is common to all.

    Examples
    --------
    >>> half = np.ones(2) / 2
    >>> qs = [WvsQuestion("1", "t", "?", ["a", "b"], {"US": half}),
    ...       WvsQuestion("2", "t", "?", ["a", "b"], {"US": half, "JP": half})]
    >>> [q.qid for q in common_questions(qs)[0]], common_questions(qs)[1]
    (['2'], ['US', 'JP'])
    """
    countries = [c for c in COUNTRIES if any(c in q.real for q in questions)]
    common = [q for q in questions if all(c in q.real for c in countries)]
    if answers is not None:
        common = [q for q in common if all(q.qid in a for a in answers.values())]
    if not common:
        raise BiasInheritError(
            f"no World Values Survey question is usable in every country ({', '.join(countries)})",
            "ask more questions (raise audit.limit or --limit, or drop it)",
        )
    return common, countries


def compare_values(
    questions: list[WvsQuestion],
    answers: dict[str | None, dict[str, np.ndarray]],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    top: int = 5,
) -> dict:
    """Similarity per country (persona = that country), the cross-country matrix, the
    uniform-answer baseline, and the questions that diverge most, every country scored on the
    same questions (:func:`common_questions`; ``common_questions`` gives their ids).
    """
    qs, countries = common_questions(questions, answers)
    per_country, matrix, baseline, diverging = {}, {}, {}, {}
    for real_c in countries:
        matrix[real_c] = {}
        for persona in answers:
            sims = [value_similarity(answers[persona][q.qid], q.real[real_c]) for q in qs]
            key = persona or "none"
            matrix[real_c][key] = float(np.mean(sims))
            if persona == real_c:
                per_country[real_c] = bootstrap_mean(np.array(sims), n_boot=n_boot, seed=seed)
                order = np.argsort(sims)[:top]
                diverging[real_c] = [
                    {
                        "qid": qs[i].qid,
                        "question": qs[i].text,
                        "options": qs[i].options,
                        "similarity": sims[i],
                        "generator": [round(float(v), 4) for v in answers[persona][qs[i].qid]],
                        "real": [round(float(v), 4) for v in qs[i].real[real_c]],
                    }
                    for i in order
                ]
        uni = [value_similarity(np.full(len(q.real[real_c]), 1.0), q.real[real_c]) for q in qs]
        baseline[real_c] = float(np.mean(uni))
    return {
        "similarity": per_country,
        "matrix": matrix,
        "uniform_baseline": baseline,
        "most_divergent": diverging,
        "n_questions": len(qs),
        "n_asked": len(questions),
        "common_questions": [q.qid for q in qs],
        "measure": "1 - Jensen-Shannon distance (base 2); bootstrap 95% CI over the questions "
        "usable in every country (the same set for each)",
    }
