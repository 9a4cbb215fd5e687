"""The evaluation's culture groups come from the attribute YAML (its ``evaluation:`` block):
the packaged culture.yaml gives the paper's groups, and a group added to a copy of it reaches
the evaluation's groups and test names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

import biasinherit.bias
from biasinherit.bias import get_attribute
from biasinherit.data import name_pool
from biasinherit.errors import BiasInheritError
from biasinherit.evaluate import _groups as G

CULTURE_YAML = Path(biasinherit.bias.__file__).parent / "attributes" / "culture.yaml"


def _copy(tmp_path: Path, edit: Callable[[dict], None]) -> str:
    """A copy of the packaged culture.yaml with ``edit`` applied, as an ``attribute:`` path."""
    raw = yaml.safe_load(CULTURE_YAML.read_text())
    edit(raw)
    path = tmp_path / "culture_copy.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return str(path)


def test_the_packaged_yaml_gives_the_paper_groups():
    # The values the evaluation had in code before they moved to culture.yaml, in order.
    assert list(G.CULTURE_COUNTRIES.items()) == [
        ("Arabic", ("SA", "EG")),
        ("Chinese", ("CN",)),
        ("Portuguese", ("PT", "BR")),
        ("Spanish", ("ES", "MX")),
        ("English", ("US",)),
    ]
    assert G.CULTURES == ["Arabic", "Chinese", "Portuguese", "Spanish", "English"]
    assert G.PAPER_CULTURES == ["Arabic", "Chinese", "Portuguese", "Spanish"]
    assert G.REFERENCE_CULTURE == "English"
    assert list(G.CULTURE_TERMS.items()) == [
        ("Arabic", ("Arab", "Middle Eastern")),
        ("Chinese", ("Chinese", "Chinese-American")),
        ("Portuguese", ("Portuguese", "Brazilian")),
        ("Spanish", ("Hispanic", "Mexican")),
        ("English", ("English", "American")),
    ]
    filters = {c: g.name_filter for c, g in G.evaluation_groups().items() if g.name_filter}
    assert filters == {"Chinese": "pinyin"}
    assert G.NAME_FILTERS.get("pinyin")("Jing") and not G.NAME_FILTERS.get("pinyin")("Ivy")
    # The evaluation's keys are the generation's groups plus the evaluation-only reference.
    culture = get_attribute("culture")
    assert list(culture.evaluation) == [*culture.groups, "english"]
    assert get_attribute("gender").evaluation == {}


def test_a_group_added_to_a_copy_of_the_yaml_reaches_the_evaluation(tmp_path):
    def add_japanese(raw: dict) -> None:
        raw["groups"].append("japanese")
        raw["nouns"]["japanese"] = "Japanese person"
        raw["plurals"]["japanese"] = "Japanese people"
        raw["names"]["japanese"] = {"countries": ["JP"], "genders": ["F", "M"]}
        raw["cue_words"]["japanese"] = ["japanese", "japan", "tokyo"]
        # Listed after the reference: the evaluation still puts the reference last.
        raw["evaluation"]["japanese"] = {
            "display": "Japanese",
            "countries": ["JP"],
            "terms": ["Japanese", "Japanese-American"],
        }

    path = _copy(tmp_path, add_japanese)
    groups = G.evaluation_groups(path)
    assert list(groups) == ["Arabic", "Chinese", "Portuguese", "Spanish", "Japanese", "English"]
    assert G.reference_group(path) == "English"
    assert groups["Japanese"].terms == ("Japanese", "Japanese-American")
    table = G.name_table(attribute=path)
    assert sorted({c for c, _ in table}) == sorted(groups)
    for gender in G.GENDERS:
        names = table[("Japanese", gender)]
        assert names and set(names) <= set(name_pool("JP", gender, "test"))
        others = {n for (c, _), ns in table.items() if c != "Japanese" for n in ns}
        assert not set(names) & others
    # The packaged groups stay as they were.
    assert G.CULTURES == ["Arabic", "Chinese", "Portuguese", "Spanish", "English"]


def _no_reference(raw: dict) -> None:
    raw["evaluation"]["english"].pop("reference")


def _missing_group(raw: dict) -> None:
    del raw["evaluation"]["spanish"]


def _unknown_group(raw: dict) -> None:
    raw["evaluation"]["klingon"] = {"display": "Klingon", "countries": ["US"], "terms": ["x"]}


def _bad_country(raw: dict) -> None:
    raw["evaluation"]["arabic"]["countries"] = ["Saudi Arabia"]


def _terms_not_a_list(raw: dict) -> None:
    raw["evaluation"]["arabic"]["terms"] = "Arab"


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (_no_reference, "0 reference groups"),
        (_missing_group, "no entry for group(s) ['spanish']"),
        (_unknown_group, "unknown group(s) ['klingon']"),
        (_bad_country, "not ISO alpha-2"),
        (_terms_not_a_list, "evaluation.arabic.terms"),
    ],
)
def test_a_misshapen_evaluation_block_is_a_one_line_error(tmp_path, edit, says):
    with pytest.raises(BiasInheritError, match="evaluation") as e:
        get_attribute(_copy(tmp_path, edit))
    assert says in str(e.value)


def test_an_unknown_name_filter_lists_the_known_ones(tmp_path):
    def misspell(raw: dict) -> None:
        raw["evaluation"]["chinese"]["name_filter"] = "pinyn"

    with pytest.raises(BiasInheritError, match="did you mean 'pinyin'"):
        G.evaluation_groups(_copy(tmp_path, misspell))
    with pytest.raises(BiasInheritError, match="declares no evaluation groups"):
        G.evaluation_groups("gender")
