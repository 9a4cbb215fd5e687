"""Every backend declares its options (``Params``); an option it does not take fails, at
``make_backend`` and at config validation, in one line. No model is loaded here."""

from __future__ import annotations

import inspect

import pytest

from biasinherit.config import available_presets, dump_config, load_config
from biasinherit.errors import BiasInheritError
from biasinherit.generate import (
    BACKENDS,
    backend_options,
    backend_params,
    make_backend,
    option_names,
)


@pytest.mark.parametrize("name", BACKENDS.names())
def test_each_backends_params_validate_their_defaults_and_match_its_init(name):
    cls = BACKENDS.get(name)
    defaults = cls.Params()  # every option has a default that passes its own checks
    init = inspect.signature(cls.__init__).parameters
    for key, field in cls.Params.model_fields.items():
        # make_backend passes every option: the class alone would use the same default
        assert key in init, f"{name}.Params.{key} is not an __init__ keyword"
        assert init[key].default == getattr(defaults, key), (name, key)
        assert field.description, f"{name}.Params.{key} has no description"
    assert callable(getattr(cls, "identity_for", None)) and cls.__doc__


def test_an_option_the_backend_does_not_take_is_one_line():
    with pytest.raises(BiasInheritError) as e:
        make_backend("planted", model="", concurrency=32)
    assert e.value.message == "the planted backend does not take option 'concurrency' (openai does)"
    assert e.value.hint == "planted takes: attribute" and "\n" not in str(e.value)
    with pytest.raises(BiasInheritError, match="does not take option 'colour'"):
        make_backend("planted", model="", colour="red")  # taken by no backend
    with pytest.raises(BiasInheritError, match="option concurrency of the openai backend"):
        backend_params("openai", {"concurrency": 0})
    with pytest.raises(BiasInheritError, match="option cache of the transformers backend"):
        backend_params("transformers", {"cache": "huge"})
    # a key the backend does not take fails even as None (None means default only where taken)
    with pytest.raises(BiasInheritError, match="does not take option 'path' \\(replay does\\)"):
        backend_params("transformers", {"path": None})


def test_taken_options_reach_the_backend():
    b = make_backend("planted", model="", attribute="gender")
    assert b.attribute.name == "gender" and b.identity == "planted:templates-v2"
    assert backend_params("openai", {"timeout": 5, "api_key_env": None}).timeout == 5.0


def test_defaults_give_each_backend_the_options_it_got_before():
    """Nothing set: the same options reach the backend as when make_backend dropped the
    ones it did not take (the augment section's values, filtered by the backend)."""
    smoke = load_config(preset="smoke")
    assert backend_options(smoke) == {"cache": "reserved"}
    openai = load_config(preset="smoke", overrides=["generate.backend=openai"])
    assert backend_options(openai) == {
        "base_url": "http://127.0.0.1:8000/v1", "concurrency": 4, "timeout": 60.0,
        "max_retries": 4,
    }  # fmt: skip
    assert backend_options(load_config(preset="planted")) == {}


def test_every_preset_validates_with_its_backend():
    for p in available_presets():
        cfg = load_config(preset=p)
        assert set(backend_options(cfg)) <= set(option_names(cfg.generate.backend)), p


def test_an_augment_key_the_backend_does_not_take_fails_at_config_time():
    with pytest.raises(BiasInheritError) as e:
        load_config(preset="smoke", overrides=["augment.concurrency=32"])
    assert e.value.message == (
        "config error at augment.concurrency: the transformers backend does not take it "
        "(only openai does)"
    )
    assert "generate.backend=openai" in e.value.hint
    openai = "generate.backend=openai"
    with pytest.raises(BiasInheritError, match="augment.kv_cache: the openai backend"):
        load_config(preset="smoke", overrides=[openai, "augment.kv_cache=static"])
    # the same keys where the backend takes them
    cfg = load_config(preset="smoke", overrides=[openai, "augment.concurrency=32"])
    assert backend_options(cfg)["concurrency"] == 32


def test_a_saved_config_reloads(tmp_path):
    """config.yaml states every key, defaults included: it is not the user setting them."""
    for sets in ([], ["generate.backend=openai", "augment.concurrency=32"]):
        f = tmp_path / "config.yaml"
        f.write_text(dump_config(load_config(preset="smoke", overrides=sets)))
        assert load_config(f).generate.backend == ("openai" if sets else "transformers")


def test_generate_options_are_checked_against_the_chosen_backend():
    with pytest.raises(BiasInheritError) as e:
        load_config(preset="smoke", overrides=["generate.options.path=a.jsonl"])
    assert e.value.message == (
        "config error at generate.options.path: the transformers backend does not take it "
        "(only replay does)"
    )
    assert e.value.hint.startswith("transformers takes: adapter, cache")
    with pytest.raises(BiasInheritError, match="generate.options.path: the transformers backend"):
        load_config(preset="smoke", overrides=["generate.options.path=null"])
    replay = ["generate.backend=replay", "generate.options.path=a.jsonl"]
    assert backend_options(load_config(preset="smoke", overrides=replay)) == {"path": "a.jsonl"}
    with pytest.raises(BiasInheritError, match="config error at generate.options.on_missing"):
        load_config(preset="smoke", overrides=[*replay, "generate.options.on_missing=maybe"])
    with pytest.raises(BiasInheritError, match="generate.options.concurrency: also set as augm"):
        load_config(preset="smoke", overrides=["generate.backend=openai", "augment.concurrency=8",
                                               "generate.options.concurrency=16"])  # fmt: skip
    cfg = load_config(preset="smoke", overrides=["generate.backend=openai",
                                                 "generate.options.concurrency=16"])  # fmt: skip
    assert backend_options(cfg)["concurrency"] == 16


def test_rounds_need_a_backend_that_loads_the_adapter():
    with pytest.raises(BiasInheritError, match="config error at rounds: self-augmentation"):
        load_config(preset="planted", overrides=["rounds=2"])
    assert load_config(preset="smoke", overrides=["rounds=2"]).rounds == 2
