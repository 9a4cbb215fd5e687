"""Culture groups of the paper's evaluation tasks: cultures, their name cues and group terms.

The groups are the attribute YAML's ``evaluation:`` block (``bias/attributes/culture.yaml``):
the paper's four cultures (Arabic, Chinese, Portuguese, Spanish) plus English as the reference
group, each with the countries of its test names and its group terms. The name lists are
built by ``biasinherit.data`` (:func:`~biasinherit.data.country_names`); evaluation chooses
among them: how many, which filter, which picks. The constants below are that block
read once; the functions take an ``attribute`` (a name or a YAML path) for any other.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import cache

from biasinherit.bias import EvalGroup, get_attribute
from biasinherit.data import country_names, drop_shared
from biasinherit.errors import BiasInheritError
from biasinherit.registry import Registry

GENDERS = {"F": "female", "M": "male"}
_POOL = 30  # test names per culture and gender, the most popular first
# names-dataset's Latin-script Chinese names mix pinyin (Jing, Wei) with English names that
# Chinese users also give (Ivy, Allen, Zoe); only names of one or two pinyin syllables cue
# the culture. The syllable set follows pinyin's initial-final rules (approximately).
_I_FINALS = "i ia ie iao iu ian in iang ing iong u ue uan un".split()
_FINALS = "a ai an ang ao e ei en eng er ong ou u ua uo uai ui uan un uang".split()
_SYLLABLES = (
    {i + f for i in "b p m f d t n l".split() for f in ["o", *_FINALS, *_I_FINALS[:-5]]}
    | {i + f for i in "g k h z c s zh ch sh r".split() for f in _FINALS}
    | {i + f for i in "j q x".split() for f in _I_FINALS}
    | {"w" + f for f in "a ai an ang ei en eng o u".split()}
    | {"y" + f for f in "a ao an ang e i in ing ong ou u uan ue un".split()}
    | {"zi", "ci", "si", "zhi", "chi", "shi", "ri"}
)


def _is_pinyin(name: str) -> bool:
    w = name.lower()
    if w == "china":  # the country, listed as a first name
        return False
    return w in _SYLLABLES or any(
        w[:k] in _SYLLABLES and w[k:] in _SYLLABLES for k in range(1, len(w))
    )


# Filters a test name must pass, by the name an attribute's ``name_filter`` gives.
NAME_FILTERS: Registry[Callable[[str], bool]] = Registry("name filter")
NAME_FILTERS.add("pinyin", _is_pinyin)


@cache
def evaluation_groups(attribute: str = "culture") -> dict[str, EvalGroup]:
    """Display name -> evaluation group of an attribute (a name or a YAML path): the
    attribute's groups in order, then its reference group.

    Examples
    --------
    >>> list(evaluation_groups("culture"))
    ['Arabic', 'Chinese', 'Portuguese', 'Spanish', 'English']
    """
    attr = get_attribute(attribute)
    if not attr.evaluation:
        raise BiasInheritError(
            f"attribute {attr.name!r} declares no evaluation groups",
            "add an evaluation: block (see bias/attributes/culture.yaml)",
        )
    for group in attr.evaluation.values():
        if group.name_filter:
            NAME_FILTERS.get(group.name_filter)  # an unknown filter fails here, listing the known
    return {group.display: group for group in attr.evaluation.values()}


def reference_group(attribute: str = "culture") -> str:
    """The display name of the attribute's reference group (``English`` for culture)."""
    return next(c for c, g in evaluation_groups(attribute).items() if g.reference)


# The packaged culture.yaml, read at import (a few milliseconds, cached for the functions).
CULTURE_COUNTRIES: dict[str, tuple[str, ...]] = {
    c: g.countries for c, g in evaluation_groups("culture").items()
}
CULTURES: list[str] = list(CULTURE_COUNTRIES)
REFERENCE_CULTURE: str = reference_group("culture")
# The compared cultures: every group but the reference (the paper's four).
PAPER_CULTURES: list[str] = [c for c in CULTURES if c != REFERENCE_CULTURE]
# culture -> group terms (adjectives before "person/woman/man"); sources in culture.yaml.
CULTURE_TERMS: dict[str, tuple[str, ...]] = {
    c: g.terms for c, g in evaluation_groups("culture").items()
}


def culture_names(
    culture: str, gender: str, n: int = _POOL, *, attribute: str = "culture"
) -> list[str]:
    """Popular first names cueing ``culture`` for gender ``F``/``M``, interleaved over the
    culture's countries, from the test third of each list (never named to the generator;
    see :func:`name_table` for removing names shared by cultures)."""
    group = evaluation_groups(attribute)[culture]
    keep = NAME_FILTERS.get(group.name_filter) if group.name_filter else None
    return country_names(group.countries, gender, "test", keep=keep)[:n]


def name_table(
    cultures: list[str] | None = None, *, attribute: str = "culture"
) -> dict[tuple[str, str], list[str]]:
    """``(culture, gender) -> names`` with names popular in two cultures removed from both,
    so that a name is a clean cue for one culture (every evaluation group by default)."""
    cultures = cultures or list(evaluation_groups(attribute))
    return drop_shared(
        {(c, g): culture_names(c, g, attribute=attribute) for c in cultures for g in GENDERS}
    )


def pick_names(
    table: dict[tuple[str, str], list[str]], k: int, seed: int
) -> dict[tuple[str, str], list[str]]:
    """``k`` names per group, drawn without replacement where possible, deterministic."""
    rng = random.Random(seed)
    out = {}
    for key in sorted(table):
        pool = table[key]
        if not pool:
            raise BiasInheritError(
                f"no first names left for {key[0]} ({GENDERS[key[1]]})",
                "check names-dataset and the group's evaluation countries in its attribute YAML",
            )
        picks = rng.sample(pool, min(k, len(pool)))
        while len(picks) < k:  # a short list: reuse names rather than drop items
            picks.append(pool[len(picks) % len(pool)])
        out[key] = picks
    return out


def article(word: str) -> str:
    """'a' or 'an' before a word (by its first letter; good enough for our terms).

    Examples
    --------
    >>> article("Arab"), article("Chinese")
    ('an', 'a')
    """
    return "an" if word[:1].lower() in "aeiou" else "a"
