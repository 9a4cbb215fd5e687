"""Tiny random-initialised causal LMs, built inside the tests (bring-your-own-model).

``tiny_model(folder, arch)`` writes a Hugging Face folder (safetensors, config, tokenizer)
that the command line loads like any user's model. ``llama`` gets a small byte-level BPE
tokenizer trained here on template biographies, with no chat template, whose occupation
options share first tokens (the scorer's multi-token path); ``qwen2`` reuses the embedded
SmolLM2 tokenizer and its chat template.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ARCHS = ("llama", "qwen2")
SIZE = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=1024,
)


def _corpus() -> list[str]:
    from biasinherit.data import template_bios
    from biasinherit.evaluate.tasks.occupation import occupation_prompt

    rows = template_bios(per_group=4, split="train", seed=0)
    rows += template_bios(per_group=2, split="test", seed=0, cue="weak")
    return [occupation_prompt(r["text"]) + " " + r["label"] for r in rows]


def _trained_tokenizer(folder: Path):
    """A 320-word byte-level BPE: small enough that options split into shared pieces."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(_corpus(), trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>"
    )
    fast.save_pretrained(folder)
    return fast


def _smollm2_tokenizer(folder: Path):
    from transformers import AutoTokenizer

    from biasinherit.models import resolve_model

    src = resolve_model("smollm2-135m-instruct").folder
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        if (src / name).exists():
            shutil.copy2(src / name, folder / name)
    return AutoTokenizer.from_pretrained(folder)


def tiny_model(folder: str | Path, arch: str = "llama", *, seed: int = 0) -> Path:
    """Write a random-initialised ``arch`` model (2 layers, hidden 64) into ``folder``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tok = _trained_tokenizer(folder) if arch == "llama" else _smollm2_tokenizer(folder)
    eos = tok.eos_token_id
    kind = {"llama": (LlamaConfig, LlamaForCausalLM), "qwen2": (Qwen2Config, Qwen2ForCausalLM)}
    config_cls, model_cls = kind[arch]
    config = config_cls(
        vocab_size=len(tok),
        bos_token_id=eos,
        eos_token_id=eos,
        pad_token_id=eos,
        tie_word_embeddings=True,
        **SIZE,
    )
    torch.manual_seed(seed)
    model_cls(config).save_pretrained(folder, safe_serialization=True)
    return folder
