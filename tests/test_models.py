"""Model resolution: embedded name, a local HF folder, a local .gguf file; never a hub."""

import os

import pytest

from biasinherit.errors import BiasInheritError
from biasinherit.modelfiles import EMBEDDED, _package_dir, resolve_model


def test_embedded_model_is_converted_once_to_safetensors():
    src = resolve_model("smollm2-135m-instruct")
    assert (src.folder / "model.safetensors").exists()
    assert (src.folder / "config.json").exists() and (src.folder / "tokenizer.json").exists()
    mtime = (src.folder / "model.safetensors").stat().st_mtime_ns
    assert resolve_model("smollm2-135m-instruct").folder == src.folder
    assert (src.folder / "model.safetensors").stat().st_mtime_ns == mtime  # reused, not redone
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_local_gguf_file_and_local_folder():
    module, filename, _ = EMBEDDED["smollm2-135m-instruct"]
    gguf = _package_dir(module) / filename
    via_file = resolve_model(str(gguf))
    assert via_file.folder == resolve_model("smollm2-135m-instruct").folder
    via_dir = resolve_model(str(via_file.folder))
    assert via_dir.identity.startswith("dir:") and via_dir.folder == via_file.folder


@pytest.mark.slow
def test_local_folder_loads_and_answers():
    from biasinherit.evaluate import score_options
    from biasinherit.models import load_model

    folder = resolve_model("smollm2-135m-instruct").folder
    model, tok = load_model(str(folder))
    p = score_options(model, tok, ["Is the sky blue? Answer yes or no."], ["yes", "no"])
    assert p.shape == (1, 2) and abs(p.sum() - 1) < 1e-5


@pytest.mark.parametrize("spec", ["gpt-17-ultra", "/nonexistent/model"])
def test_unknown_model_is_a_clear_error(spec):
    with pytest.raises(BiasInheritError, match="unknown model"):
        resolve_model(spec)


def test_folder_without_config(tmp_path):
    with pytest.raises(BiasInheritError, match="no config.json"):
        resolve_model(str(tmp_path))
