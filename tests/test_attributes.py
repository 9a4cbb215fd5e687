"""Attribute files: a new attribute is one YAML file; ``extends`` starts it from another."""

from __future__ import annotations

import pytest

from biasinherit.bias import get_attribute
from biasinherit.errors import BiasInheritError
from biasinherit.generate._plan import plan_prompts


def test_nationality_is_one_file_that_extends_culture():
    nat, cul = get_attribute("nationality"), get_attribute("culture")
    assert nat.groups == ("german", "indian", "japanese", "nigerian")
    assert nat.templates == cul.templates and nat.tasks == cul.tasks and nat.ages == cul.ages
    assert nat.names["japanese"]["countries"] == ["JP"] and "lagos" in nat.cue_words["nigerian"]
    assert not nat.evaluation  # the base's evaluation groups are its own test design


def test_a_new_attribute_reaches_the_prompts():
    a = get_attribute("nationality")
    names = {g: [g.title() + "name"] for g in a.groups}
    ps = plan_prompts(a, a.task("rt_polarity"), "contrastive_single_explicit", 0, 8, seed=0,
                      names=names)  # fmt: skip
    assert {p.group for p in ps} == set(a.groups)
    assert all(a.plurals[p.group] in p.text for p in ps)


def test_a_user_file_extends_by_path_and_replaces_whole_keys(tmp_path):
    path = tmp_path / "region.yaml"
    path.write_text(
        "extends: culture\nname: region\ngroups: [north, south]\n"
        "nouns: {north: northerner, south: southerner}\n"
        "plurals: {north: northerners, south: southerners}\n"
        "cue_words: {north: [north], south: [south]}\nnames: {}\n"
    )
    a = get_attribute(str(path))
    assert a.name == "region" and a.groups == ("north", "south") and a.names == {}
    assert a.templates == get_attribute("culture").templates


def test_an_extends_cycle_is_one_line(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(f"extends: {b}\nname: a\n")
    b.write_text(f"extends: {a}\nname: b\n")
    with pytest.raises(BiasInheritError, match="extends itself"):
        get_attribute(str(a))


def test_extending_an_unknown_attribute_names_the_file(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text("extends: cultre\nname: a\n")
    with pytest.raises(BiasInheritError, match="unknown attribute 'cultre'"):
        get_attribute(str(a))
