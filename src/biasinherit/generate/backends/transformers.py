"""Local transformers backend: batched sampling with left padding and a lean decode loop.

Why a loop of our own instead of ``model.generate``: each row samples from its own seeded
generator (so its output does not depend on which rows share its batch: cache hits and
resumed runs equal an uninterrupted run), finished rows leave the batch (their KV cache
rows are dropped once an eighth of the batch is done), the output layer runs on the last
position only, the chat-template head all prompts share is computed once, and the KV cache
is written in place into room reserved for the whole answer (transformers' dynamic cache
concatenates, copying every layer's cache at every step: 40 % of a decode step at batch 64).
The model, its KV cache and the batch live on the run's device in its dtype
(``biasinherit.device``); the per-row random draws stay on the CPU, so a row samples the
same uniforms on any device, and the logits are sampled in float32.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Literal

from pydantic import Field

from biasinherit.generate.backends._base import BACKENDS, Generation, Params

# transformers 5.x renames past_key_values; the old name still works and is what older
# releases accept, so keep it and silence the notice while we decode (never at import).
_RENAMED = ".*past_key_values.*deprecated.*"


class TransformersParams(Params):
    adapter: str | None = Field(
        None,
        description="LoRA adapter folder to generate with (the runner sets it for "
        "self-augmentation rounds)",
    )
    cache: Literal["reserved", "dynamic", "static"] = Field(
        "reserved",
        description="KV cache: reserved (in place, fastest), dynamic or static",
    )


@BACKENDS.register("transformers")
class TransformersBackend:
    """Batched sampling with a local transformers model (left padding, length-sorted batches).

    Parameters
    ----------
    model : str
        Embedded model name, local model folder, or .gguf file.
    batch_size : int
        Rows decoded together; larger batches raise tokens/s on the CPU.
    adapter : str, optional
        A LoRA adapter folder to generate with (multi-round self-augmentation).
    cache : {"reserved", "dynamic", "static"}
        KV cache. ``reserved`` (default) writes in place into room for prompt + answer and
        lets finished rows leave the batch; ``dynamic`` is transformers' growing cache (same
        outputs, slower); ``static`` preallocates and keeps finished rows in the batch.
    precision : biasinherit.device.Precision, optional
        Device and dtype (default the process's: ``device.current_precision``); not an
        option of the config.
    """

    Params = TransformersParams

    def __init__(
        self,
        *,
        model: str,
        batch_size: int = 192,
        adapter: str | None = None,
        cache: str = "reserved",
        precision=None,
    ) -> None:
        from biasinherit.device import current_precision
        from biasinherit.models import load_model, resolve_model

        precision = precision or current_precision()
        self.model_spec = model
        self.batch_size = batch_size
        self.cache = cache
        self.model, self.tok = load_model(model, adapter=adapter, precision=precision)
        self.device = self.model.device
        self.identity = resolve_model(model).identity + (f"+{adapter}" if adapter else "")
        self.identity += f"@{precision.key}" if precision.key else ""  # float32: as before
        eos = {self.tok.eos_token_id}
        cfg_eos = getattr(self.model.generation_config, "eos_token_id", None)
        eos |= set(cfg_eos if isinstance(cfg_eos, list) else [cfg_eos])
        self.eos_ids = sorted(i for i in eos if i is not None)

    @classmethod
    def identity_for(cls, model: str, params: TransformersParams) -> str:
        """``identity`` without loading the model (in the process's device and dtype)."""
        from biasinherit.device import current_precision
        from biasinherit.models import resolve_model

        p = current_precision().key
        ident = resolve_model(model).identity + (f"+{params.adapter}" if params.adapter else "")
        return ident + (f"@{p}" if p else "")

    def generate(
        self,
        prompts: list[str],
        *,
        max_new_tokens: int,
        temperature: float,
        top_p: float,
        seeds: list[int],
        on_done: Callable[[int, Generation], None] | None = None,
    ) -> list[Generation]:
        """Sample one completion per prompt; ``on_done(i, gen)`` runs as each batch ends."""
        from biasinherit.models import chat_prompt

        texts = [chat_prompt(self.tok, p) for p in prompts]
        lens = [len(self.tok(t, add_special_tokens=False)["input_ids"]) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: lens[i])  # less padding per batch
        out: list[Generation] = [Generation("")] * len(texts)
        # Even batches: 200 prompts at batch 192 run as 2 x 100, not 192 + a slow 8.
        size = -(-len(order) // max(1, -(-len(order) // self.batch_size)))
        for b in range(0, len(order), size):
            idx = order[b : b + size]
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", _RENAMED, FutureWarning)
                rows = self._batch(
                    [texts[i] for i in idx],
                    [seeds[i] for i in idx],
                    max_new_tokens=max_new_tokens,
                    temperature=temperature,
                    top_p=top_p,
                )
            for i, (toks, n_prompt) in zip(idx, rows, strict=True):
                text = self.tok.decode(toks, skip_special_tokens=True)
                out[i] = Generation(text, n_prompt, len(toks))
                if on_done:
                    on_done(i, out[i])
        return out

    def _batch(
        self,
        texts: list[str],
        seeds: list[int],
        *,
        max_new_tokens: int,
        temperature: float,
        top_p: float,
    ) -> list[tuple[list[int], int]]:
        import torch
        from transformers import DynamicCache, StaticCache

        rows = [self.tok(t, add_special_tokens=False)["input_ids"] for t in texts]
        n = len(texts)
        # Prompts share a chat-template head (system prompt, instruction start): with the
        # in-place cache its keys and values are computed once and copied to every row.
        shared = _shared_prefix(rows) if self.cache == "reserved" and n > 1 else 0
        width = max(len(r) for r in rows) - shared
        pad = self.tok.pad_token_id if self.tok.pad_token_id is not None else self.eos_ids[0]
        dev = self.device
        ids = torch.tensor(
            [[pad] * (width - len(r) + shared) + r[shared:] for r in rows], device=dev
        )
        mask = torch.tensor(
            [
                [1] * shared + [0] * (width - len(r) + shared) + [1] * (len(r) - shared)
                for r in rows
            ],
            device=dev,
        )  # left padding after the shared head
        capacity = shared + width + max_new_tokens
        if self.cache == "static":
            kv = StaticCache(config=self.model.config, max_cache_len=capacity)
        elif self.cache == "reserved":
            kv = reserved_cache(self.model.config, capacity)
        else:
            kv = DynamicCache()
        if shared:
            with torch.inference_mode():
                head = torch.tensor([rows[0][:shared]], device=dev)
                self.model(input_ids=head, past_key_values=kv, use_cache=True, logits_to_keep=1)
            kv.batch_repeat_interleave(n)
        gens = [torch.Generator().manual_seed(int(s) % (2**63)) for s in seeds]
        alive = list(range(n))  # original row of each batch position
        tokens: list[list[int]] = [[] for _ in range(n)]
        eos = torch.tensor(self.eos_ids, device=dev)
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        step_ids, step_pos = ids, pos[:, shared:]
        finished = torch.zeros(n, dtype=torch.bool, device=dev)  # rows done, still in the batch
        with torch.inference_mode():
            for step in range(max_new_tokens):
                logits = (
                    self.model(
                        input_ids=step_ids,
                        attention_mask=mask,
                        position_ids=step_pos,
                        past_key_values=kv,
                        use_cache=True,
                        logits_to_keep=1,
                    )
                    .logits[:, -1]
                    .float()
                )
                nxt = _sample(logits, temperature, top_p, [gens[i] for i in alive])
                done = torch.isin(nxt, eos) | finished
                # one transfer per step (a GPU would otherwise sync once per row)
                for i, t, d in zip(alive, nxt.tolist(), done.tolist(), strict=True):
                    if not d:
                        tokens[i].append(t)
                if step == max_new_tokens - 1 or bool(done.all()):
                    break
                step_pos = step_pos[:, -1:] + 1
                mask = torch.cat([mask, mask.new_ones(len(alive), 1)], 1)
                step_ids = nxt[:, None]
                if not bool(done.any()):
                    continue
                finished = done  # finished rows keep decoding until dropped; output ignored
                # Dropping rows copies the whole cache: wait until an eighth of the batch is done.
                if self.cache == "static" or int(done.sum()) < max(1, len(alive) // 8):
                    continue
                keep = (~done).nonzero().flatten()
                kv.batch_select_indices(keep)
                mask, step_pos, step_ids = mask[keep], step_pos[keep], step_ids[keep]
                alive = [alive[k] for k in keep.tolist()]
                finished = finished[keep]
        return [(tokens[i], len(rows[i])) for i in range(n)]


def reserved_cache(config, capacity: int):
    """A dynamic cache whose layers write into preallocated room for ``capacity`` positions."""
    import torch
    from transformers.cache_utils import Cache, DynamicCache, DynamicLayer

    class ReservedLayer(DynamicLayer):
        def lazy_initialization(self, key_states, value_states) -> None:
            super().lazy_initialization(key_states, value_states)
            b, h, _, d = key_states.shape
            self._k = key_states.new_empty(b, h, capacity, d)
            self._v = value_states.new_empty(b, h, capacity, value_states.shape[-1])
            self._n = 0

        def update(self, key_states, value_states, *args, **kwargs):
            if not self.is_initialized:
                self.lazy_initialization(key_states, value_states)
            end = self._n + key_states.shape[-2]
            if end > self._k.shape[-2]:  # past the reservation: grow (not on the planned path)
                grow = max(end, 2 * self._k.shape[-2]) - self._k.shape[-2]
                self._k = torch.cat(
                    [self._k, self._k.new_empty(*self._k.shape[:2], grow, self._k.shape[-1])], -2
                )
                self._v = torch.cat(
                    [self._v, self._v.new_empty(*self._v.shape[:2], grow, self._v.shape[-1])], -2
                )
            self._k[:, :, self._n : end] = key_states
            self._v[:, :, self._n : end] = value_states
            self._n = end
            self.keys, self.values = self._k[:, :, :end], self._v[:, :, :end]
            return self.keys, self.values

        def crop(self, tokens_to_remove: int) -> None:
            super().crop(tokens_to_remove)
            self._n = self.keys.shape[-2] if self.is_initialized else 0

        def batch_repeat_interleave(self, repeats: int) -> None:
            if self.is_initialized:
                self._k = self._k.repeat_interleave(repeats, 0)
                self._v = self._v.repeat_interleave(repeats, 0)
                self.keys, self.values = self._k[:, :, : self._n], self._v[:, :, : self._n]

        def batch_select_indices(self, indices) -> None:
            if self.is_initialized:
                self._k, self._v = self._k[indices], self._v[indices]
                self.keys, self.values = self._k[:, :, : self._n], self._v[:, :, : self._n]

        def reset(self) -> None:
            super().reset()
            self._n = 0

    n_layers = config.get_text_config(decoder=True).num_hidden_layers
    kv = DynamicCache()
    Cache.__init__(kv, layers=[ReservedLayer() for _ in range(n_layers)])
    return kv


# A shared head shorter than this is not worth a separate forward pass.
_MIN_SHARED = 8


def _shared_prefix(rows: list[list[int]]) -> int:
    """Tokens every row starts with, leaving each row at least one token of its own."""
    limit = min(len(r) for r in rows) - 1
    k = 0
    while k < limit and all(r[k] == rows[0][k] for r in rows):
        k += 1
    return k if k >= _MIN_SHARED else 0


# Candidates kept before the nucleus cut. A full sort of the vocabulary (49k) per row and step
# cost about as much as a small model's forward pass; the top 1024 nearly always hold the
# nucleus, and rows whose nucleus is wider fall back to the full sort, so the pick is the same.
_TOP_K = 1024


def _sample(logits, temperature: float, top_p: float, gens: list) -> object:
    """One token per row: greedy at temperature 0, else nucleus sampling with per-row RNG."""
    import torch

    if temperature <= 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits / temperature, -1)
    # each row's uniform from its own CPU generator: the same draw on every device
    u = torch.stack([torch.rand(1, generator=g) for g in gens]).to(probs.device)
    top_p_, top_i = probs.topk(min(_TOP_K, probs.shape[-1]), -1)
    inside = top_p_.sum(-1) > top_p  # the next token would start past the nucleus
    if bool(inside.all()):
        return _nucleus_pick(top_p_, top_i, u, top_p)
    out = torch.empty(len(gens), dtype=torch.long, device=probs.device)
    out[inside] = _nucleus_pick(top_p_[inside], top_i[inside], u[inside], top_p)
    wide = ~inside
    full_p, full_i = probs[wide].sort(-1, descending=True)
    out[wide] = _nucleus_pick(full_p, full_i, u[wide], top_p)
    return out


def _nucleus_pick(sorted_p, sorted_i, u, top_p: float) -> object:
    """Inverse-CDF draw from the nucleus of descending probabilities ``sorted_p``."""
    import torch

    cum = sorted_p.cumsum(-1)
    sorted_p = sorted_p.masked_fill(cum - sorted_p > top_p, 0.0)  # keep the nucleus
    cdf = (sorted_p / sorted_p.sum(-1, keepdim=True)).cumsum(-1)
    pick = torch.searchsorted(cdf, u).clamp(max=cdf.shape[-1] - 1)
    return sorted_i.gather(-1, pick).squeeze(-1)
