"""Scorers over any causal LM (or LM + LoRA adapter).

``score_options``: a probability over answer options per item. When the options' first
tokens differ (the usual case), one forward pass per item suffices and the output layer is
applied at one position only. Otherwise each option's full log-likelihood is summed.
``score_option_sets``: the same with each item's own options (BBQ, WinoBias); summed
log-likelihoods by default, as lm-evaluation-harness's ``acc``.
``sequence_logliks``: full-sequence log-likelihood of plain texts (CrowS-Pairs).
``generate_greedy``: batched greedy decoding with left padding, for parsed answers.

Multi-token options reuse the context: the prompt is encoded once per item (left padded,
so every prompt ends at the last column), its key/value cache is copied to one row per
option, and only the option tokens are run on top of it. The output layer is applied only
at the positions whose next token is scored. ``option_logliks_full`` is the plain reference
(prompt + option as one sequence per option), kept for tests and benchmarks.

Batches are built on the CPU and moved once to the model's device (a no-op on the CPU);
log-probabilities are taken in float32 whatever the model's dtype.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from biasinherit.errors import BiasInheritError
from biasinherit.models import chat_prompt


def _decoder_and_head(model):
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return base.model, base.lm_head


def _device(head):
    return head.weight.device


def _ids(tok, text: str) -> list[int]:
    return tok(text, add_special_tokens=False)["input_ids"]


def option_first_tokens(tok, options: list[str]) -> list[int] | None:
    """First token id of each option as the answer would start; None if two coincide."""
    firsts = [_ids(tok, o)[0] for o in options]
    return firsts if len(set(firsts)) == len(firsts) else None


MIN_SHARED = 8  # shorter shared prefixes are not worth a separate pass


def _softmax_rows(ll: np.ndarray) -> np.ndarray:
    ll = ll - ll.max(1, keepdims=True)
    p = np.exp(ll)
    return p / p.sum(1, keepdims=True)


def _cache_io(body) -> str:
    """The decoder's name for the key/value cache argument (``cache`` from transformers 5.2x,
    ``past_key_values`` before)."""
    import inspect

    return "cache" if "cache" in inspect.signature(body.forward).parameters else "past_key_values"


def _out_cache(out):
    cache = getattr(out, "cache", None)
    return cache if cache is not None else out.past_key_values


def _common_prefix(seqs: list[list[int]]) -> int:
    """Length of the token prefix all sequences share, leaving each at least one token."""
    n = min(len(s) for s in seqs) - 1
    first = seqs[0]
    for s in seqs[1:]:
        n = min(n, next((i for i in range(n) if s[i] != first[i]), n))
    return max(n, 0)


def _cached_logliks(
    body, head, pad_id: int, ctx: list[list[int]], opts: list[list[list[int]]], first_only: bool
) -> np.ndarray:
    """Summed log-likelihood of each option after its context, shape (n_items, n_options).

    The prefix that every context shares (the chat template's system turn) runs once; the
    rest of each context runs once, left padded after it, so that all contexts end at the
    last column; the first option token is scored from there. Options longer than one
    token continue from a copy of their item's cache.
    """
    import torch

    n, k = len(ctx), len(opts[0])
    kw = _cache_io(body)
    dev = _device(head)
    shared = _common_prefix(ctx) if n > 1 else 0
    cache = None
    with torch.inference_mode():
        if shared >= MIN_SHARED:
            head_ids = torch.tensor([ctx[0][:shared]], device=dev)
            cache = _out_cache(body(input_ids=head_ids, use_cache=True))
            cache.batch_repeat_interleave(n)
        else:
            shared = 0
    width = max(len(c) for c in ctx) - shared
    ids = torch.full((n, width), pad_id)
    mask = torch.ones((n, shared + width), dtype=torch.long)
    mask[:, shared:] = 0
    for i, c in enumerate(ctx):
        ids[i, width - len(c) + shared :] = torch.tensor(c[shared:])
        mask[i, shared + width - len(c) + shared :] = 1
    ids, mask = ids.to(dev), mask.to(dev)
    ll = np.zeros((n, k))
    with torch.inference_mode():
        out = body(
            input_ids=ids,
            attention_mask=mask,
            position_ids=(mask.cumsum(1) - 1).clamp(min=0)[:, shared:],
            use_cache=cache is not None or not first_only,
            **{kw: cache},
        )
        first = torch.log_softmax(head(out.last_hidden_state[:, -1]).float(), -1).cpu()
        for i in range(n):
            ll[i] = first[i, [o[0] for o in opts[i]]].numpy()
        rest = [(i, j) for i in range(n) for j in range(k) if len(opts[i][j]) > 1]
        if first_only or not rest:
            return ll
        # One row per multi-token option on top of a copy of its item's context cache.
        rows = torch.tensor([i for i, _ in rest], device=dev)
        cache = _out_cache(out)
        cache.reorder_cache(rows)
        m = max(len(opts[i][j]) - 1 for i, j in rest)
        oid = torch.full((len(rest), m), pad_id)
        omask = torch.zeros((len(rest), m), dtype=torch.long)
        for r, (i, j) in enumerate(rest):
            toks = opts[i][j][:-1]
            oid[r, : len(toks)] = torch.tensor(toks)
            omask[r, : len(toks)] = 1
        oid, omask = oid.to(dev), omask.to(dev)
        start = mask[rows].sum(1, keepdim=True)
        hidden = body(
            input_ids=oid,
            attention_mask=torch.cat([mask[rows], omask], 1),
            position_ids=start + torch.arange(m, device=dev),
            **{kw: cache},
        ).last_hidden_state
        sel = omask.bool()
        targets = torch.tensor([t for i, j in rest for t in opts[i][j][1:]], device=dev)
        logp = torch.log_softmax(head(hidden[sel]).float(), -1)
        tok_ll = logp[torch.arange(len(targets), device=dev), targets]
        row_of = torch.arange(len(rest), device=dev)[:, None].expand(-1, m)[sel]
        sums = torch.zeros(len(rest), device=dev).index_add_(0, row_of, tok_ll).cpu().numpy()
    for r, (i, j) in enumerate(rest):
        ll[i, j] += sums[r]
    return ll


def option_logliks(
    model,
    tok,
    prompts: list[str],
    options: list[list[str]],
    *,
    batch_size: int = 16,
    chat: bool = True,
    first_token_only: bool = False,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Summed log-likelihood of each item's options after its prompt, (n_items, n_options).

    ``chat`` wraps each prompt in the model's chat format (the answer starts the assistant
    turn); otherwise the prompt is plain text and options continue it directly.
    ``first_token_only`` scores each option by its first token (one pass, no cache).
    """
    if len({len(o) for o in options}) > 1:
        raise BiasInheritError(
            "items have different numbers of options", "pad or split the items by option count"
        )
    body, head = _decoder_and_head(model)
    texts = [chat_prompt(tok, p) if chat else p for p in prompts]
    ctx = [_ids(tok, t) for t in texts]
    opt_ids = [[_ids(tok, o) for o in opts] for opts in options]
    out = np.zeros((len(texts), len(options[0]) if options else 0))
    order = sorted(range(len(texts)), key=lambda i: len(ctx[i]))
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    for b in range(0, len(order), batch_size):
        idx = order[b : b + batch_size]
        out[idx] = _cached_logliks(
            body, head, pad, [ctx[i] for i in idx], [opt_ids[i] for i in idx], first_token_only
        )
        if progress:
            progress(len(idx))
    return out


def score_option_sets(
    model,
    tok,
    prompts: list[str],
    options: list[list[str]],
    *,
    batch_size: int = 16,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Probabilities over each item's own options (softmax of summed log-likelihoods)."""
    ll = option_logliks(model, tok, prompts, options, batch_size=batch_size, progress=progress)
    return _softmax_rows(ll)


def score_options(
    model,
    tok,
    prompts: list[str],
    options: list[str],
    *,
    batch_size: int = 16,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Probabilities over ``options`` for each user prompt, shape (n_items, n_options).

    With distinct first tokens this is the softmax of the first answer token's logits
    restricted to the options; otherwise the softmax of summed option log-likelihoods.
    """
    first_only = option_first_tokens(tok, options) is not None
    ll = option_logliks(
        model,
        tok,
        prompts,
        [options] * len(prompts),
        batch_size=batch_size,
        first_token_only=first_only,
        progress=progress,
    )
    return _softmax_rows(ll)


def option_logliks_full(
    model,
    tok,
    prompts: list[str],
    options: list[list[str]],
    *,
    batch_size: int = 16,
    chat: bool = True,
) -> np.ndarray:
    """Reference scorer: each (prompt, option) as one right-padded sequence, no cache reuse."""
    import torch

    body, head = _decoder_and_head(model)
    seqs, spans = [], []
    for p, opts in zip(prompts, options, strict=True):
        c = _ids(tok, chat_prompt(tok, p) if chat else p)
        for o in opts:
            a = _ids(tok, o)
            seqs.append(c + a)
            spans.append((len(c), len(a)))
    ll = np.zeros(len(seqs))
    for b in range(0, len(seqs), batch_size):
        chunk = range(b, min(b + batch_size, len(seqs)))
        n = max(len(seqs[i]) for i in chunk)
        ids = torch.full((len(chunk), n), tok.pad_token_id)
        mask = torch.zeros((len(chunk), n), dtype=torch.long)
        for r, i in enumerate(chunk):
            ids[r, : len(seqs[i])] = torch.tensor(seqs[i])
            mask[r, : len(seqs[i])] = 1
        ids, mask = ids.to(_device(head)), mask.to(_device(head))
        with torch.inference_mode():
            hidden = body(input_ids=ids, attention_mask=mask).last_hidden_state
            for r, i in enumerate(chunk):
                start, k = spans[i]
                logp = torch.log_softmax(head(hidden[r, start - 1 : start - 1 + k]).float(), -1)
                ll[i] = logp[torch.arange(k), ids[r, start : start + k]].sum().item()
    return ll.reshape(len(prompts), -1)


def sequence_logliks(
    model,
    tok,
    texts: list[str],
    *,
    batch_size: int = 16,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Log-likelihood of each plain text (every token, after a start-of-text token)."""
    import torch

    body, head = _decoder_and_head(model)
    start = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
    seqs = [[start, *_ids(tok, t)] for t in texts]
    out = np.zeros(len(texts))
    order = sorted(range(len(texts)), key=lambda i: len(seqs[i]))
    for b in range(0, len(order), batch_size):
        idx = order[b : b + batch_size]
        n = max(len(seqs[i]) for i in idx)
        ids = torch.full((len(idx), n), tok.pad_token_id)
        mask = torch.zeros((len(idx), n), dtype=torch.long)
        for r, i in enumerate(idx):
            ids[r, : len(seqs[i])] = torch.tensor(seqs[i])
            mask[r, : len(seqs[i])] = 1
        dev = _device(head)
        ids, mask = ids.to(dev), mask.to(dev)
        with torch.inference_mode():
            hidden = body(input_ids=ids, attention_mask=mask).last_hidden_state[:, :-1]
            sel = mask[:, 1:].bool()
            targets = ids[:, 1:][sel]
            logp = torch.log_softmax(head(hidden[sel]).float(), -1)
            logp = logp[torch.arange(len(targets), device=dev), targets]
            row_of = torch.arange(len(idx), device=dev)[:, None].expand(-1, n - 1)[sel]
            sums = torch.zeros(len(idx), device=dev).index_add_(0, row_of, logp)
            out[idx] = sums.cpu().numpy()
        if progress:
            progress(len(idx))
    return out


def generate_greedy(
    model,
    tok,
    prompts: list[str],
    *,
    max_new_tokens: int = 24,
    batch_size: int = 16,
    answer_prefix: str | list[str] = "",
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Greedy answers to user prompts, batched with left padding.

    ``answer_prefix`` starts the assistant's answer (e.g. ``"$"``) so that a small model
    answers in the expected form; it is included in the returned text. A list gives each
    prompt its own prefix (e.g. the start of a sentence to continue).
    """
    import torch

    prefixes = answer_prefix if isinstance(answer_prefix, list) else [answer_prefix] * len(prompts)
    texts = [chat_prompt(tok, p) + a for p, a in zip(prompts, prefixes, strict=True)]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = [""] * len(texts)
    for b in range(0, len(order), batch_size):
        idx = order[b : b + batch_size]
        enc = tok(
            [texts[i] for i in idx],
            return_tensors="pt",
            padding=True,
            padding_side="left",  # per call: the tokenizer is shared (lru_cache)
            add_special_tokens=False,
        ).to(model.device)
        with torch.inference_mode():
            gen = model.generate(
                **enc,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                temperature=None,
                top_p=None,
                top_k=None,
                pad_token_id=tok.pad_token_id,
            )
        for i, row in zip(idx, gen[:, enc["input_ids"].shape[1] :].cpu(), strict=True):
            out[i] = prefixes[i] + tok.decode(row, skip_special_tokens=True)
        if progress:
            progress(len(idx))
    return out
