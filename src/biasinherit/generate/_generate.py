"""The generate stage: biased and neutral augmentation with provenance, filters and resume.

Every request goes through the content-addressed cache (``_cache``): finished requests are
appended there the moment they finish, so a killed run resumes where it stopped, never sends
a finished request again, and a second identical run costs no generation at all. The run
folder gets ``generate/raw.jsonl`` (every request with its provenance), ``augmented.jsonl``
(the kept rows) and ``generate/summary.json`` (counts and filter rate per bias type).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from biasinherit.bias import BIAS_TYPES, Prompt, get_attribute
from biasinherit.files import atomic_write_json, write_jsonl
from biasinherit.generate._cache import GenerationCache, request_key
from biasinherit.generate._checks import LABEL_CHECKS
from biasinherit.generate._filters import filter_rows
from biasinherit.generate._plan import group_names, plan_prompts, request_seed
from biasinherit.generate._quality import ECHO_LIKE, quality_problem
from biasinherit.generate.backends import BACKENDS, Generation, make_backend
from biasinherit.generate.backends import backend_identity as identity_of


@dataclass
class GenerateSpec:
    """What to generate: ``n_per_type`` kept rows for each bias type (``neutral`` included).

    ``task`` picks the attribute's task (default its first: occupation for gender);
    ``groups`` restricts or extends the attribute's groups (ISO country codes add a country
    for culture); ``backend_options`` go to the backend, validated against its ``Params``
    (``biasinherit backends show NAME``: e.g. ``base_url`` and ``concurrency`` for openai);
    ``label_check`` overrides the task's (``vader``, ``model``, ``none``).
    """

    attribute: str = "gender"
    bias_types: list[str] = field(default_factory=lambda: ["contrastive_single_explicit"])
    n_per_type: int = 60
    model: str = "smollm2-135m-instruct"
    backend: str = "transformers"
    batch_size: int = 192
    max_new_tokens: int = 72
    temperature: float = 0.8
    top_p: float = 0.95
    seed: int = 0
    oversample: float = 1.6
    max_rounds: int = 8
    task: str | None = None
    groups: list[str] | None = None
    backend_options: dict[str, Any] = field(default_factory=dict)
    label_check: str | None = None
    cache_dir: str | None = None


def backend_identity(spec: GenerateSpec) -> str:
    """The model identity used in cache keys, known without loading the model."""
    return identity_of(spec.backend, spec.model, spec.backend_options)


class _Plan:
    """The planned requests of one stage (which backend answers them does not matter)."""

    def __init__(self, spec: GenerateSpec) -> None:
        BACKENDS.get(spec.backend)  # fail early on a typo
        for bt in spec.bias_types:
            BIAS_TYPES.get(bt)
        self.spec = spec
        self.attribute = get_attribute(spec.attribute).with_groups(spec.groups)
        self.task = self.attribute.task(spec.task)
        self.names = group_names(self.attribute) if self.attribute.names else {}

    def plan(self, bias_type: str, start: int, n: int) -> list[Prompt]:
        return plan_prompts(
            self.attribute,
            self.task,
            bias_type,
            start,
            n,
            seed=self.spec.seed,
            names=self.names,
        )

    def seed(self, p: Prompt) -> int:
        return request_seed(self.spec.seed, p.prompt_id)


class _Requests(_Plan):
    """The planned requests of one stage and their cache keys."""

    def __init__(self, spec: GenerateSpec) -> None:
        super().__init__(spec)
        self.identity = backend_identity(spec)
        self.cache = GenerationCache(spec.backend, self.identity, spec.cache_dir)

    def key(self, p: Prompt) -> str:
        s = self.spec
        return request_key(
            s.backend,
            self.identity,
            p.text,
            max_new_tokens=s.max_new_tokens,
            temperature=s.temperature,
            top_p=s.top_p,
            seed=self.seed(p),
        )

    def raw_row(self, p: Prompt, g: Generation, example: str | None) -> dict:
        return {
            "prompt_id": p.prompt_id,
            "prompt": p.text,
            "raw": g.text,
            "topic": p.topic,
            "group": p.group,
            "bias_type": p.bias_type,
            "name": p.name,
            "age": p.age,
            "task": p.task,
            "example_id": p.example_id,
            "example": example,
            "generator": self.identity,
            "backend": self.spec.backend,
            "seed": self.seed(p),
            "request_key": self.key(p),
            "prompt_tokens": g.prompt_tokens,
            "completion_tokens": g.completion_tokens,
        }


def generate_augmentation(
    spec: GenerateSpec,
    out_dir: str | Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Generate, filter and write ``augmented.jsonl``; returns the per-bias-type summary.

    Resumable: requests already in the generation cache are never sent again.
    """
    out_dir = Path(out_dir)
    reqs = _Requests(spec)
    check_name = spec.label_check or reqs.task.label_check
    # The model check scores with the generator itself where it is local (else the embedded).
    local = spec.backend == "transformers"  # a GGUF for llama.cpp is never dequantised
    check = LABEL_CHECKS.get(check_name)(reqs.task, model=spec.model if local else None)
    examples: dict[str, str] = {}
    done: dict[str, dict] = {}  # prompt_id -> raw row
    backend = None
    stats = {"requests_sent": 0, "cache_hits": 0, "seconds_generating": 0.0, "tokens": 0}
    requested = {bt: 0 for bt in spec.bias_types}
    total = sum(math.ceil(spec.n_per_type * spec.oversample) for _ in spec.bias_types)
    finished = 0
    filtered: dict[str, tuple[list[dict], dict]] = {}
    for round_ in range(spec.max_rounds):
        todo: list[Prompt] = []
        for bt in spec.bias_types:
            kept = len(filtered[bt][0]) if bt in filtered else 0
            deficit = spec.n_per_type - kept
            if deficit <= 0:
                continue
            # Later rounds ask for more than the deficit: rows that survive the filters get
            # rarer once the easy prompts are used, and each round costs a model pass.
            n = (
                math.ceil(spec.n_per_type * spec.oversample)
                if not round_
                else max(4, math.ceil(deficit * spec.oversample * 2))
            )
            for p in reqs.plan(bt, requested[bt], n):
                hit = reqs.cache.get(reqs.key(p))
                ex = _example_text(reqs, p)
                examples[p.prompt_id] = ex
                if hit is not None:
                    done[p.prompt_id] = reqs.raw_row(p, hit, ex)
                    stats["cache_hits"] += 1
                    finished += 1
                else:
                    todo.append(p)
            requested[bt] += n
        if progress:
            progress(finished, max(total, finished + len(todo)))
        if todo:
            if backend is None:
                backend = make_backend(
                    spec.backend, model=spec.model, batch_size=spec.batch_size,
                    **spec.backend_options,
                )  # fmt: skip
            t0 = time.perf_counter()
            size = -(-len(todo) // -(-len(todo) // spec.batch_size))  # even chunks
            streams = getattr(backend, "keeps_in_flight", False)  # an endpoint: no chunk drain
            size = len(todo) if streams else size
            # one chunk: progress per finished request, from `finished` on
            tick = _ticker(progress, finished, max(total, finished + len(todo)), streams)
            for b in range(0, len(todo), size):
                chunk = todo[b : b + size]

                def save(i: int, g: Generation, chunk: list[Prompt] = chunk, tick=tick) -> None:
                    p = chunk[i]
                    reqs.cache.put(reqs.key(p), g)
                    done[p.prompt_id] = reqs.raw_row(p, g, examples[p.prompt_id])
                    stats["tokens"] += g.completion_tokens
                    tick()

                _run_chunk(backend, spec, reqs, chunk, save)
                stats["requests_sent"] += len(chunk)
                finished += len(chunk)
                if progress:
                    progress(finished, max(total, finished))
            stats["seconds_generating"] += time.perf_counter() - t0
        for bt in spec.bias_types:
            filtered[bt] = filter_rows(reqs.attribute, reqs.task, bt, list(done.values()), check)
        if all(len(filtered[bt][0]) >= spec.n_per_type for bt in spec.bias_types):
            break
        if any(quality_problem(filtered[bt][1]) for bt in spec.bias_types):
            break  # unusable output: asking for more would only pay for more of it
    rows, summary = [], {}
    for bt in spec.bias_types:
        kept, counts = filtered[bt]
        rows += kept[: spec.n_per_type]
        counts["kept"] = min(len(kept), spec.n_per_type)
        counts["kept_echo_like"] = sum(
            r.get("echo_score", 0.0) >= ECHO_LIKE for r in kept[: spec.n_per_type]
        )
        summary[bt] = counts
    order = sorted(done.values(), key=lambda r: (r["bias_type"], _index(r)))
    write_jsonl(out_dir / "generate" / "raw.jsonl", order)
    write_jsonl(out_dir / "augmented.jsonl", rows)
    stats["seconds_generating"] = round(stats["seconds_generating"], 3)
    run_stats = {
        **stats,
        "attribute": reqs.attribute.name,
        "task": reqs.task.name,
        "groups": list(reqs.attribute.groups),
        "label_check": check_name,
        "generator": f"{spec.backend}:{reqs.identity}",
        "cache_file": str(reqs.cache.path),
    }
    atomic_write_json(out_dir / "generate" / "stats.json", run_stats)
    atomic_write_json(out_dir / "generate" / "summary.json", summary)
    return summary


def _ticker(progress, start: int, total: int, on: bool) -> Callable[[], None]:
    """A callback that advances ``progress`` by one finished request (when ``on``)."""
    n = [start]

    def tick() -> None:
        if on and progress:
            n[0] += 1
            progress(n[0], total)

    return tick


def _index(r: dict) -> int:
    return int(r["prompt_id"].rsplit(":", 1)[1])


def _example_text(reqs: _Requests, p: Prompt) -> str | None:
    if not p.example_id or not reqs.task.dataset:
        return None
    from biasinherit.generate._plan import seed_examples

    for ex in seed_examples(reqs.task.dataset, reqs.spec.seed).get(p.topic, []):
        if ex["id"] == p.example_id:
            return ex["text"]
    return None


def _run_chunk(backend, spec: GenerateSpec, reqs: _Requests, chunk: list[Prompt], save) -> None:
    """Send one chunk; results are saved as they finish (per request where the backend can)."""
    import inspect

    kw = dict(
        max_new_tokens=spec.max_new_tokens,
        temperature=spec.temperature,
        top_p=spec.top_p,
        seeds=[reqs.seed(p) for p in chunk],
    )
    if getattr(backend, "takes_plan", False):  # the positive control writes from the plan
        for i, g in enumerate(backend.generate(chunk, **kw)):
            save(i, g)
    elif "on_done" in inspect.signature(backend.generate).parameters:
        backend.generate([p.text for p in chunk], on_done=save, **kw)
    else:
        for i, g in enumerate(backend.generate([p.text for p in chunk], **kw)):
            save(i, g)
