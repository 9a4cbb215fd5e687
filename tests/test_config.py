import pytest

from biasinherit.config import available_presets, load_config
from biasinherit.errors import BiasInheritError


def test_presets_load_and_validate():
    assert {"smoke", "quick", "paper"} <= set(available_presets())
    for p in available_presets():
        cfg = load_config(preset=p)
        assert cfg.name == p and cfg.ratios == sorted(cfg.ratios)


def test_default_is_quick():
    assert load_config().name == "quick"


def test_set_is_type_checked():
    assert load_config(preset="smoke", overrides=["train.lr=1e-4"]).train.lr == 1e-4
    assert load_config(preset="smoke", overrides=["seeds=[0, 1]"]).seeds == [0, 1]
    with pytest.raises(BiasInheritError, match="train.lr"):
        load_config(preset="smoke", overrides=["train.lr=fast"])


def test_unknown_key_suggests(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("preset: smoke\ntrain:\n  lrr: 0.1\n")
    with pytest.raises(BiasInheritError) as e:
        load_config(f)
    assert "train.lrr" in str(e.value) and "did you mean 'lr'" in e.value.hint


@pytest.mark.parametrize("ratio", ["1.0", "-0.1", "1.5"])
def test_ratio_out_of_range(ratio):
    with pytest.raises(BiasInheritError, match="outside"):
        load_config(preset="smoke", overrides=[f"ratios=[0, {ratio}]"])


def test_unknown_names_fail_before_work():
    with pytest.raises(BiasInheritError, match="bias type"):
        load_config(preset="smoke", overrides=["generate.bias_types=[contrastive]"])
    with pytest.raises(BiasInheritError, match="unknown task"):
        load_config(preset="smoke", overrides=["evaluate.tasks=[ocupation]"])
    with pytest.raises(BiasInheritError, match="unknown preset"):
        load_config(preset="quik")


def test_file_errors(tmp_path):
    with pytest.raises(BiasInheritError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [unclosed\n")
    with pytest.raises(BiasInheritError, match="not valid YAML"):
        load_config(bad)


def test_train_spec_is_the_train_section_and_its_defaults_are_the_stages():
    from biasinherit.config import ExperimentConfig
    from biasinherit.train import TrainSpec, train_spec

    # TrainSpec keeps its own defaults (a stage does not import the config): they must agree
    assert train_spec(ExperimentConfig()) == TrainSpec()
    cfg = load_config(preset="smoke", overrides=["train.lr=1e-4", "train.target_modules=[q_proj]"])
    spec = train_spec(cfg)
    assert (spec.lr, spec.target_modules, spec.log_every) == (1e-4, ["q_proj"], 5)
