"""``generate --dry-run``: how many requests and tokens a stage would send, and what it costs.

Nothing is generated and no model is loaded: prompts are planned exactly as a real run plans
its first round, the cache answers what it already holds, prompt tokens are counted with the
model's tokenizer where it is local (else estimated at four characters per token), and
completion tokens are bounded by ``max_new_tokens``. ``planned_prompts`` lists the same
requests (prompt text and seed), to be answered elsewhere and read back by the ``replay``
backend.
"""

from __future__ import annotations

import math

from biasinherit.generate._generate import GenerateSpec, _Plan, _Requests


def _counter(spec: GenerateSpec):
    if spec.backend in ("transformers", "llamacpp"):
        try:
            from biasinherit.models import chat_prompt, config_folder, load_tokenizer

            folder, _ = config_folder(spec.model)  # a dry run never dequantises a GGUF
            if folder is None:
                raise LookupError(spec.model)
            tok = load_tokenizer(str(folder))
            return lambda p: len(tok(chat_prompt(tok, p), add_special_tokens=False)["input_ids"])
        except Exception:  # a missing tokenizer only makes the count an estimate
            pass
    return lambda p: math.ceil(len(p) / 4) + 8


def dry_run(
    spec: GenerateSpec, *, price_per_1k_input: float = 0.0, price_per_1k_output: float = 0.0
) -> dict:
    """Requests, tokens and cost of the first round of a generate stage.

    Returns per bias type ``requests``, ``cached``, ``to_send``, ``prompt_tokens``,
    ``max_completion_tokens``, and a ``total`` with ``cost_usd`` (upper bound: every
    completion at ``max_new_tokens``).
    """
    reqs = _Requests(spec)
    count = _counter(spec)
    out: dict[str, dict] = {}
    for bt in spec.bias_types:
        prompts = reqs.plan(bt, 0, math.ceil(spec.n_per_type * spec.oversample))
        send = [p for p in prompts if reqs.key(p) not in reqs.cache]
        out[bt] = {
            "requests": len(prompts),
            "cached": len(prompts) - len(send),
            "to_send": len(send),
            "prompt_tokens": sum(count(p.text) for p in send),
            "max_completion_tokens": len(send) * spec.max_new_tokens,
        }
    total = {k: sum(v[k] for v in out.values()) for k in next(iter(out.values()))}
    total["cost_usd"] = round(
        total["prompt_tokens"] / 1000 * price_per_1k_input
        + total["max_completion_tokens"] / 1000 * price_per_1k_output,
        4,
    )
    out["total"] = total
    return out


def planned_prompts(spec: GenerateSpec) -> list[dict]:
    """Every request of the first round, in order: ``prompt`` and ``seed`` (what a batch
    job elsewhere answers, for the ``replay`` backend to read back), and ``prompt_id``,
    ``bias_type``, ``topic``, ``group`` (what the prompt asks for).

    Later rounds (when the filters drop rows) plan further prompts; a higher
    ``oversample`` asks for more in the first.
    """
    plan = _Plan(spec)
    out = []
    for bt in spec.bias_types:
        for p in plan.plan(bt, 0, math.ceil(spec.n_per_type * spec.oversample)):
            out.append(
                {"prompt": p.text, "seed": plan.seed(p), "prompt_id": p.prompt_id,
                 "bias_type": bt, "topic": p.topic, "group": p.group}
            )  # fmt: skip
    return out
