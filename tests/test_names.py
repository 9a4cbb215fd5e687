"""First names come from one place (``data/_names.py``) and HolisticBias descriptors from one
reader (``data/_holistic.py``): generation, evaluation and the counterfactual swaps build their
lists through them."""

from __future__ import annotations

import re
from pathlib import Path

from biasinherit.data import (
    all_names,
    country_names,
    drop_shared,
    first_names,
    flatten_descriptors,
    guess_gender,
    holistic_bias_descriptors,
    interleave,
    name_pool,
    swap_gender,
    swap_names,
)
from biasinherit.data._counterfactual import name_swaps
from biasinherit.evaluate import _groups as G

SRC = Path(__file__).resolve().parents[1] / "src" / "biasinherit"


def _files_matching(pattern: str) -> set[str]:
    return {
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if re.search(pattern, p.read_text(encoding="utf-8"))
    }


def test_one_module_reads_the_name_data_and_one_the_descriptors():
    assert _files_matching(r"import names_dataset|from names_dataset") == {"data/_names.py"}
    assert _files_matching(r"gender_guesser") == {"data/_names.py"}
    assert _files_matching(r"descriptors\.json") == {"data/_holistic.py"}


def test_evaluation_names_are_the_test_names_of_the_data_module():
    chinese = G.culture_names("Chinese", "F")
    pinyin = G.NAME_FILTERS.get("pinyin")
    assert chinese == country_names(["CN"], "F", "test", keep=pinyin)[: G._POOL]
    assert chinese and all(pinyin(n) for n in chinese)
    assert set(chinese) <= set(name_pool("CN", "F", "test"))
    # two countries interleave: Spain's most popular test name first, then Mexico's
    es, mx = name_pool("ES", "M", "test"), name_pool("MX", "M", "test")
    assert country_names(["ES", "MX"], "M", "test") == interleave([es, mx])
    assert G.culture_names("Spanish", "M")[:2] == [es[0], mx[0] if mx[0] != es[0] else mx[1]]
    # the table drops every name two lists share
    table = G.name_table()
    full = {(c, g): G.culture_names(c, g) for c in G.CULTURES for g in G.GENDERS}
    assert table == drop_shared(full)
    kept = [n for ns in table.values() for n in ns]
    assert len(kept) == len(set(kept)) and len(kept) < sum(len(v) for v in full.values())


def test_name_swaps_take_popular_us_names_of_the_other_gender():
    assert list(swap_names("F")) == first_names("US", "F", 200)
    assert list(swap_names("M")) == first_names("US", "M", 200)
    assert guess_gender("Emily") == "F" and guess_gender("John") == "M"
    assert guess_gender("Table") is None
    swaps = name_swaps("Emily met John.")
    assert swaps["Emily"] in swap_names("M") and swaps["John"] in swap_names("F")
    assert swap_gender("Emily met John.") == f"{swaps['Emily']} met {swaps['John']}."


def test_the_mask_lexicon_takes_whole_lists_from_the_data_module():
    from biasinherit.train.mitigations._lexicon import names_by_group

    lists = names_by_group("culture", ("US",))
    assert lists["chinese"] == all_names(["CN", "US"], ["F", "M"])
    assert lists["chinese"][: len(first_names("CN", "F", 1000))] == first_names("CN", "F", 1000)
    assert len(lists["chinese"]) == len(set(lists["chinese"]))


def test_hate_probes_check_their_terms_against_the_one_descriptor_reader():
    from biasinherit.evaluate.tasks.hate import OTHER_TERMS

    known = set(flatten_descriptors(holistic_bias_descriptors()))
    assert {t for terms in OTHER_TERMS.values() for t in terms} <= known
