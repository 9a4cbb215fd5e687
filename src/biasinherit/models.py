"""Model loading: the embedded SmolLM2, a local Hugging Face folder, or a local GGUF file.

Nothing here reaches a model hub: ``paths.offline_hub`` runs before transformers loads.
A GGUF file is dequantised once to an fp32 safetensors copy in the user's cache folder, and
only when a transformers model is loaded from it (``model_identity`` names it without
converting). Models load in the device and dtype of ``biasinherit.device`` (safetensors
only; a CUDA device loads the weights straight onto the GPU), optionally on a 4- or 8-bit
base (bitsandbytes, the ``[qlora]`` extra) for QLoRA.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

from biasinherit.errors import BiasInheritError
from biasinherit.modelfiles import (  # noqa: F401  (re-exported: where models are)
    DEFAULT_MODEL,
    EMBEDDED,
    ModelSource,
    _quiet_transformers,
    config_folder,
    model_identity,
    resolve_model,
)
from biasinherit.paths import offline_hub


@lru_cache(maxsize=4)
def load_tokenizer(folder: str):
    offline_hub()
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def _weights_kwargs(folder: Path, precision, quantize: str) -> dict:
    """from_pretrained arguments for the device, dtype and (optional) 4/8-bit base."""
    if not any(folder.glob("*.safetensors")):
        raise BiasInheritError(
            f"model folder {folder} has no .safetensors weights",
            "biasinherit loads safetensors only; convert the checkpoint with "
            "save_pretrained(..., safe_serialization=True)",
        )
    kw: dict = {"dtype": precision.torch_dtype, "use_safetensors": True}
    if precision.device_type != "cpu":  # onto the GPU shard by shard, never a CPU copy first
        kw.update(device_map={"": precision.device}, low_cpu_mem_usage=True)
    if quantize != "none":
        kw["quantization_config"] = _quantization_config(precision, quantize)
    return kw


def _quantization_config(precision, quantize: str):
    """A bitsandbytes 4-bit (NF4) or 8-bit base for QLoRA: CUDA and the ``[qlora]`` extra."""
    if quantize not in ("4bit", "8bit"):
        raise BiasInheritError(f"unknown quantize {quantize!r}", "use none, 4bit or 8bit")
    if precision.device_type != "cuda":
        raise BiasInheritError(
            f"quantize: {quantize} (QLoRA) needs a CUDA GPU; this run is on {precision.device}",
            "drop train.quantize (or set it to none), or run with device: cuda",
        )
    if importlib.util.find_spec("bitsandbytes") is None:
        raise BiasInheritError(
            f"quantize: {quantize} needs bitsandbytes, which is not installed",
            "pip install 'biasinherit[qlora]'",
        )
    from transformers import BitsAndBytesConfig

    if quantize == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=precision.torch_dtype,
    )


def load_model(
    spec: str,
    *,
    adapter: str | os.PathLike | None = None,
    precision=None,
    quantize: str = "none",
):
    """Load ``(model, tokenizer)``, optionally with a LoRA adapter.

    Parameters
    ----------
    spec : str
        Embedded model name, local Hugging Face folder or .gguf file.
    adapter : path, optional
        A LoRA adapter folder (from ``train_lora``).
    precision : biasinherit.device.Precision, optional
        Device and dtype; default the process's (``device.current_precision``), which is
        float32 on the CPU unless configured otherwise.
    quantize : {"none", "4bit", "8bit"}
        A bitsandbytes base for QLoRA (CUDA only, the ``[qlora]`` extra).
    """
    offline_hub()
    from transformers import AutoModelForCausalLM

    from biasinherit.device import current_precision
    from biasinherit.preflight import check_weights_fit

    precision = precision or current_precision()
    _quiet_transformers()
    check_weights_fit(spec, precision, quantize)  # refuse before reading gigabytes
    src = resolve_model(spec)
    tok = load_tokenizer(str(src.folder))
    model = AutoModelForCausalLM.from_pretrained(
        src.folder, **_weights_kwargs(src.folder, precision, quantize)
    )
    if quantize != "none":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    if adapter is not None:
        from peft import PeftModel

        adapter = Path(adapter)
        if not (adapter / "adapter_config.json").exists():
            raise BiasInheritError(
                f"no LoRA adapter in {adapter}", "train one first with `biasinherit train`"
            )
        model = PeftModel.from_pretrained(model, adapter)
    model.eval()
    return model, tok


def chat_prompt(tok, user: str) -> str:
    """The model's own chat format for one user turn, ending where the answer starts."""
    if tok.chat_template:
        return tok.apply_chat_template(
            [{"role": "user", "content": user}], tokenize=False, add_generation_prompt=True
        )
    return f"{user}\nAnswer:"
