import pytest

from biasinherit.bias import BIAS_TYPES, PAPER_BIAS_TYPES
from biasinherit.errors import BiasInheritError
from biasinherit.evaluate import TASKS, get_task
from biasinherit.generate import BACKENDS
from biasinherit.registry import Registry
from biasinherit.train import MITIGATIONS


def test_unknown_name_suggests_the_closest():
    reg = Registry("thing")
    reg.add("alpha", 1)
    reg.add("beta", 2)
    with pytest.raises(BiasInheritError) as e:
        reg.get("alpah")
    assert "did you mean 'alpha'" in e.value.hint and "alpha, beta" in e.value.hint


def test_duplicate_registration_fails():
    reg = Registry("thing")
    reg.add("a", 1)
    with pytest.raises(ValueError):
        reg.add("a", 2)


def test_bias_types_cover_all_eight_combinations_plus_neutral():
    combos = {(bt.framing, bt.scope, bt.cue) for _, bt in BIAS_TYPES.items() if bt.biased}
    assert len(combos) == 8
    assert "neutral" in BIAS_TYPES
    assert sorted(BIAS_TYPES.get(n).paper_index for n in PAPER_BIAS_TYPES) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("name", TASKS.names())
def test_every_task_declares_its_protocol(name):
    task = get_task(name)
    assert task.name == name and task.kind in ("choice", "generate") and task.description
    assert type(task).version and task.attribute


def test_registries_hold_the_builtins():
    assert {"occupation", "salary", "winobias", "bbq", "hate"} <= set(TASKS.names())
    assert "transformers" in BACKENDS
    assert {"none", "token"} <= set(MITIGATIONS)
