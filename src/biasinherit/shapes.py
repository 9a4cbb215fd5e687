"""A model's shape (parameters, layers, heads, vocabulary) without loading its weights.

From a Hugging Face folder's ``config.json`` (the count exact from the safetensors headers
where the weights are there, else from the config: embeddings, attention with grouped KV
heads and optional q/k/v biases, gated MLP, experts, norms), or from a GGUF's metadata and
tensor table (memory-mapped, nothing dequantised). Used by the preflight and the dry run.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from biasinherit.errors import BiasInheritError


@dataclass(frozen=True)
class ModelShape:
    """The sizes of a decoder-only model that memory depends on."""

    params: int
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    embedding_params: int  # input embedding + untied output layer
    source: str

    def describe(self) -> str:
        return f"{self.params / 1e9:.2f} B parameters ({self.source})"


def _safetensors_params(folder: Path) -> int | None:
    """Exact parameter count from the safetensors headers (no tensor data is read)."""
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        return None
    total = 0
    for f in files:
        with f.open("rb") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(n))
        for name, t in header.items():
            if name != "__metadata__":
                total += math.prod(t["shape"])
    return total


def _from_config(cfg: dict, source: str, exact: int | None) -> ModelShape:
    cfg = cfg.get("text_config") or cfg
    try:
        h, layers = int(cfg["hidden_size"]), int(cfg["num_hidden_layers"])
        heads, vocab = int(cfg["num_attention_heads"]), int(cfg["vocab_size"])
    except (KeyError, TypeError, ValueError):
        raise BiasInheritError(
            f"{source} lacks hidden_size, num_hidden_layers, num_attention_heads or vocab_size",
            "biasinherit works with decoder-only Hugging Face language models",
        ) from None
    kv = int(cfg.get("num_key_value_heads") or heads)
    hd = int(cfg.get("head_dim") or h // heads)
    inter = int(cfg.get("intermediate_size") or 4 * h)
    experts = int(cfg.get("num_local_experts") or cfg.get("num_experts") or 1)
    emb = vocab * h * (1 if cfg.get("tie_word_embeddings", False) else 2)
    per_layer = h * heads * hd * 2 + h * kv * hd * 2 + 3 * h * inter * experts + 2 * h
    if cfg.get("attention_bias", cfg.get("model_type") == "qwen2"):  # q, k, v biases
        per_layer += heads * hd + 2 * kv * hd
    params = exact or emb + layers * per_layer + h
    return ModelShape(params, h, layers, heads, kv, hd, inter, vocab, emb, source)


def _gguf_field(reader, key: str) -> int | None:
    f = reader.fields.get(key)
    return int(f.parts[f.data[0]][0]) if f is not None else None


def _from_gguf(path: Path) -> ModelShape:
    from gguf import GGUFReader

    r = GGUFReader(str(path))  # memory-mapped: the header and tensor table only
    arch = bytes(r.fields["general.architecture"].parts[-1]).decode()
    g = lambda k: _gguf_field(r, f"{arch}.{k}")  # noqa: E731
    tokens = r.fields.get("tokenizer.ggml.tokens")
    vocab = g("vocab_size") or (len(tokens.data) if tokens is not None else 0)
    cfg = {
        "hidden_size": g("embedding_length"),
        "num_hidden_layers": g("block_count"),
        "num_attention_heads": g("attention.head_count"),
        "num_key_value_heads": g("attention.head_count_kv"),
        "intermediate_size": g("feed_forward_length"),
        "vocab_size": vocab,
        "tie_word_embeddings": not any(t.name == "output.weight" for t in r.tensors),
    }
    exact = sum(int(t.n_elements) for t in r.tensors)
    return _from_config(cfg, f"{path.name} metadata", exact)


@lru_cache(maxsize=16)
def model_shape(spec: str) -> ModelShape:
    """A model's shape from config.json (exact count from safetensors headers where the
    weights are there), or from a GGUF's metadata; no weights are loaded or converted."""
    from biasinherit.modelfiles import config_folder

    folder, gguf = config_folder(spec)
    if folder is None:
        return _from_gguf(gguf)
    try:
        cfg = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        raise BiasInheritError(
            f"{folder / 'config.json'} is not readable JSON", "check the model folder"
        ) from None
    return _from_config(cfg, f"{folder.name}/config.json", _safetensors_params(folder))
