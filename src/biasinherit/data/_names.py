"""First names: the one reader of the name data and the one builder of name lists.

``names-dataset`` gives popular first names by country and gender; it takes ~12 s to load and
mixes native-script names with Latin ones, so the lists we need are filtered to plain Latin
names and cached as JSON in the user's cache. ``gender-guesser`` gives a name's gender
(:func:`guess_gender`). Generation (:func:`group_names`), the template data, evaluation
(:func:`country_names`, :func:`drop_shared`), the counterfactual swaps (:func:`swap_names`)
and the mask lexicon (:func:`all_names`) all build their lists here.

Every list is split into three disjoint roles (:func:`name_pool`): names that generation
prompts may use, names of the original training data, and names of test items, so that no
test person was ever named to the generator or seen in training.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Hashable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from biasinherit.errors import BiasInheritError
from biasinherit.files import atomic_write_json
from biasinherit.paths import cache_dir

if TYPE_CHECKING:
    from biasinherit.bias import Attribute

_LATIN = re.compile(r"^[A-Z][a-z]{2,}$")
_TOP_N = 200
ROLES = ("generation", "train", "test")
# gender-guesser's answers that count as a gender (F/M); "andy" and "unknown" do not.
_GUESSED = {"female": "F", "mostly_female": "F", "male": "M", "mostly_male": "M"}
_K = TypeVar("_K", bound=Hashable)


def first_names(country: str, gender: str, n: int = 60) -> list[str]:
    """Up to ``n`` popular first names for a country (alpha-2) and gender (``F``/``M``).

    Names that are also popular for the other gender are dropped, so that a name is a clean
    implicit cue.
    """
    path = cache_dir("names") / f"{country.upper()}.json"
    if path.exists():
        table = json.loads(path.read_text())
    else:
        table = _build(country.upper())
        atomic_write_json(path, table)
    names = table.get(gender, [])
    if not names:
        raise BiasInheritError(
            f"no {gender} names for country {country!r} in names-dataset",
            "pick another country code (ISO alpha-2, e.g. US, ES, CN)",
        )
    return names[:n]


def _build(country: str) -> dict[str, list[str]]:
    try:
        from names_dataset import NameDataset
    except ImportError:
        raise BiasInheritError(
            "names-dataset is not installed", "pip install names-dataset"
        ) from None
    return _table(NameDataset(), country)


def _table(nd: object, country: str) -> dict[str, list[str]]:
    """A country's cached table from a loaded ``NameDataset``: the Latin-script names of
    each gender, minus names popular for both."""
    out: dict[str, list[str]] = {}
    for g in ("F", "M"):
        top = nd.get_top_names(  # type: ignore[attr-defined]
            n=_TOP_N, gender="Female" if g == "F" else "Male", country_alpha2=country
        )
        out[g] = [x for x in top.get(country, {}).get(g, []) if _LATIN.match(x)]
    both = set(out["F"]) & set(out["M"])
    return {g: [x for x in names if x not in both] for g, names in out.items()}


def name_role(name: str) -> str:
    """The role a name belongs to, from a stable hash of the name itself, so that a name
    has one role in every country's and gender's list (``Ahmed`` is a test name for Egypt and
    Saudi Arabia alike).

    Examples
    --------
    >>> name_role("Emily") in ROLES
    True
    """
    return ROLES[zlib.crc32(name.lower().encode()) % len(ROLES)]


def name_pool(country: str, gender: str, role: str) -> list[str]:
    """The names of one role, in popularity order: about a third of the list, popular and
    rarer names alike; the three roles never share a name, across countries too.

    Examples
    --------
    >>> pools = [set(name_pool("US", "F", r)) for r in ROLES]
    >>> any(a & b for i, a in enumerate(pools) for b in pools[i + 1 :])
    False
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    return [n for n in first_names(country, gender, _TOP_N) if name_role(n) == role]


def _warm_name_cache(countries: list[str]) -> None:
    """Build the name lists of several countries from one load of names-dataset (~14 s each
    load otherwise), in the same cache files and format as ``biasinherit.data.first_names``."""
    missing = [c for c in countries if not (cache_dir("names") / f"{c.upper()}.json").exists()]
    if len(missing) < 2:
        return  # first_names builds a single list itself
    try:
        from names_dataset import NameDataset
    except ImportError:
        return  # first_names raises the one-line error
    nd = NameDataset()
    for c in (m.upper() for m in missing):
        atomic_write_json(cache_dir("names") / f"{c}.json", _table(nd, c))


def group_names(
    attribute: Attribute, per_list: int = 60, *, role: str | None = "generation"
) -> dict[str, list[str]]:
    """First names per group, interleaved over the group's countries and name genders.

    A name must be a clean implicit cue: names found in another group's lists, or in the
    group's ``exclude_countries`` (e.g. common US names among Chinese ones), are dropped.
    Prompts draw from the ``generation`` third of each list (never a test or training name,
    see :func:`biasinherit.data.name_pool`); ``role=None`` gives the whole lists (detection).
    """

    def pool(c: str, gen: str) -> list[str]:
        return (first_names(c, gen, per_list) if role is None
                else name_pool(c, gen, role)[:per_list])  # fmt: skip

    specs = {g: attribute.names.get(g) or {} for g in attribute.groups}
    countries = {c for v in specs.values() for k in ("countries", "exclude_countries")
                 for c in v.get(k, [])}  # fmt: skip
    _warm_name_cache(sorted(countries))
    lists, excluded = {}, {}
    for g, spec in specs.items():
        genders = spec.get("genders", ["F", "M"])
        lists[g] = [pool(c, gen) for c in spec.get("countries", []) for gen in genders]
        excluded[g] = {n for c in spec.get("exclude_countries", []) for gen in genders
                       for n in first_names(c, gen, 200)}  # fmt: skip
    out = {}
    for g, ls in lists.items():
        elsewhere = {n for h, hl in lists.items() if h != g for x in hl for n in x}
        merged = [n for n in interleave(ls) if n not in elsewhere and n not in excluded[g]]
        out[g] = merged[:per_list] or [g.title()]
    return out


def interleave(lists: Iterable[list[str]]) -> list[str]:
    """The lists merged rank by rank (every list's first name, then every second ...), each
    name once, where it first appears.

    Examples
    --------
    >>> interleave([["Ana", "Rosa"], ["Maria", "Ana", "Lucia"]])
    ['Ana', 'Maria', 'Rosa', 'Lucia']
    """
    lists = list(lists)
    out: list[str] = []
    seen: set[str] = set()
    for i in range(max((len(x) for x in lists), default=0)):
        for names in lists:
            if i < len(names) and names[i] not in seen:
                seen.add(names[i])
                out.append(names[i])
    return out


def country_names(
    countries: Iterable[str],
    gender: str,
    role: str,
    *,
    keep: Callable[[str], bool] | None = None,
) -> list[str]:
    """The ``role`` names (:func:`name_pool`) of several countries for gender ``F``/``M``
    that pass ``keep``, interleaved over the countries in popularity order.

    Examples
    --------
    >>> names = country_names(["ES", "MX"], "F", "test")
    >>> set(names) <= set(name_pool("ES", "F", "test")) | set(name_pool("MX", "F", "test"))
    True
    """
    return interleave(
        [n for n in name_pool(c, gender, role) if keep is None or keep(n)] for c in countries
    )


def all_names(countries: Iterable[str], genders: Iterable[str]) -> list[str]:
    """Every cached name of the countries' lists for each gender ``F``/``M`` (all roles),
    country by country, each name once.

    Examples
    --------
    >>> all_names(["US"], ["F"]) == first_names("US", "F", _TOP_N)
    True
    """
    genders = list(genders)
    lists = [first_names(c, g, 1000) for c in countries for g in genders]
    return list(dict.fromkeys(n for names in lists for n in names))  # first appearance


def drop_shared(table: dict[_K, list[str]]) -> dict[_K, list[str]]:
    """The lists without the names found in more than one of them, so that every name left
    cues one key only.

    Examples
    --------
    >>> drop_shared({"a": ["Ana", "Sam"], "b": ["Sam", "Wei"]})
    {'a': ['Ana'], 'b': ['Wei']}
    """
    seen: dict[str, int] = {}
    for names in table.values():
        for x in set(names):
            seen[x] = seen.get(x, 0) + 1
    return {k: [x for x in v if seen[x] == 1] for k, v in table.items()}


@lru_cache(maxsize=1)
def _detector():  # a gender_guesser Detector (untyped)
    import gender_guesser.detector as gg

    return gg.Detector(case_sensitive=False)


def guess_gender(word: str) -> str | None:
    """``F`` or ``M`` where ``gender-guesser`` knows the word as a (mostly) female or male
    first name, else ``None``.

    Examples
    --------
    >>> guess_gender("Emily"), guess_gender("John"), guess_gender("Table")
    ('F', 'M', None)
    """
    return _GUESSED.get(_detector().get_gender(word))


@lru_cache(maxsize=2)
def swap_names(gender: str) -> tuple[str, ...]:
    """Popular US first names of gender ``F``/``M``: the replacements of counterfactual
    name swaps (:func:`biasinherit.data.swap_gender`)."""
    return tuple(first_names("US", gender, _TOP_N))
