"""The transformers backend on the real embedded model; the llamacpp extra's clear error."""

from __future__ import annotations

import importlib.util

import pytest

from biasinherit.errors import BiasInheritError
from biasinherit.generate import BACKENDS, make_backend

PROMPTS = ["Name a colour.", "Write one sentence about a dentist who works in a busy city."]


@pytest.fixture(scope="module")
def backend():
    import torch

    torch.set_num_threads(2)
    return make_backend("transformers", model="smollm2-135m-instruct", batch_size=4)


def test_greedy_loop_matches_hf_generate_with_left_padding(backend):
    import torch

    from biasinherit.models import chat_prompt

    ours = backend.generate(PROMPTS, max_new_tokens=10, temperature=0, top_p=1, seeds=[0, 0])
    tok, model = backend.tok, backend.model
    tok.padding_side = "left"
    enc = tok([chat_prompt(tok, p) for p in PROMPTS], return_tensors="pt", padding=True,
              add_special_tokens=False)  # fmt: skip
    tok.padding_side = "right"
    with torch.inference_mode():
        ref = model.generate(**enc, max_new_tokens=10, do_sample=False, temperature=None,
                             top_p=None, top_k=None, pad_token_id=tok.pad_token_id)  # fmt: skip
    want = [tok.decode(r, skip_special_tokens=True) for r in ref[:, enc["input_ids"].shape[1] :]]
    assert [g.text for g in ours] == want
    assert all(0 < g.completion_tokens <= 10 for g in ours)


def test_a_rows_sample_depends_on_its_seed_not_its_batch(backend):
    kw = dict(max_new_tokens=12, temperature=0.9, top_p=0.95)
    alone = backend.generate(PROMPTS[1:], seeds=[7], **kw)[0].text
    batched = backend.generate(PROMPTS, seeds=[3, 7], **kw)[1].text
    other_seed = backend.generate(PROMPTS[1:], seeds=[8], **kw)[0].text
    assert alone == batched and alone != other_seed


@pytest.mark.parametrize("cache", ["dynamic", "static"])
def test_in_place_kv_cache_gives_transformers_caches_text(backend, cache):
    import copy

    assert backend.cache == "reserved"  # the default
    other = copy.copy(backend)  # same loaded model, another KV cache
    other.cache = cache
    prompts = [*PROMPTS, "Say yes.", "Describe a nurse in two sentences."]  # rows end apart
    kw = dict(max_new_tokens=40, temperature=0.9, top_p=0.95, seeds=[1, 2, 3, 4])
    ours = backend.generate(prompts, **kw)
    assert len({g.completion_tokens for g in ours}) > 1  # rows left the batch at different steps
    assert [g.text for g in other.generate(prompts, **kw)] == [g.text for g in ours]


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is not None, reason="extra installed")
def test_llamacpp_without_the_extra_is_a_one_line_error():
    assert "llamacpp" in BACKENDS
    with pytest.raises(BiasInheritError) as e:
        make_backend("llamacpp", model="smollm2-135m-instruct")
    assert "llama-cpp-python, which is not installed" in str(e.value)
    assert "biasinherit[llamacpp]" in str(e.value) and "\n" not in str(e.value)


def _full_sort_sample(logits, temperature, top_p, gens):
    """The reference: nucleus sampling over the fully sorted vocabulary."""
    import torch

    probs = torch.softmax(logits / temperature, -1)
    sorted_p, sorted_i = probs.sort(-1, descending=True)
    cum = sorted_p.cumsum(-1)
    sorted_p = sorted_p.masked_fill(cum - sorted_p > top_p, 0.0)
    cdf = (sorted_p / sorted_p.sum(-1, keepdim=True)).cumsum(-1)
    u = torch.stack([torch.rand(1, generator=g) for g in gens])
    pick = torch.searchsorted(cdf, u).clamp(max=cdf.shape[-1] - 1)
    return sorted_i.gather(-1, pick).squeeze(-1)


@pytest.mark.parametrize("scale", [8.0, 0.5])  # peaked rows (top-k path) and flat rows (fallback)
def test_top_k_prefiltered_nucleus_picks_what_a_full_sort_picks(scale):
    import torch

    from biasinherit.generate.backends.transformers import _sample

    logits = torch.randn(200, 5000, generator=torch.Generator().manual_seed(1)) * scale
    logits[::3] *= 0.1  # mix both kinds of rows in one batch

    def gens():
        return [torch.Generator().manual_seed(i) for i in range(len(logits))]

    got = _sample(logits, 0.8, 0.95, gens())
    want = _full_sort_sample(logits, 0.8, 0.95, gens())
    assert torch.equal(got, want)
