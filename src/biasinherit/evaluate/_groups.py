"""Culture groups of the paper's evaluation tasks: cultures, their name cues and group terms.

The paper's four cultures (Arabic, Chinese, Portuguese, Spanish) plus English as a reference
group. Names come from ``names-dataset`` through :func:`biasinherit.data.first_names`
(countries below); group terms are HolisticBias descriptors where HolisticBias has one
(Arab, Middle Eastern, Chinese, Hispanic, Mexican, ...) and the project's own otherwise
(Portuguese, Brazilian, English, American), each marked below.
"""

from __future__ import annotations

import random

from biasinherit.data import name_pool
from biasinherit.errors import BiasInheritError

# culture -> countries whose popular first names cue it (ISO alpha-2).
CULTURE_COUNTRIES: dict[str, tuple[str, ...]] = {
    "Arabic": ("SA", "EG"),
    "Chinese": ("CN",),
    "Portuguese": ("PT", "BR"),
    "Spanish": ("ES", "MX"),
    "English": ("US",),
}
CULTURES: list[str] = list(CULTURE_COUNTRIES)
PAPER_CULTURES: list[str] = ["Arabic", "Chinese", "Portuguese", "Spanish"]
REFERENCE_CULTURE = "English"
GENDERS = {"F": "female", "M": "male"}

# culture -> group terms (adjectives before "person/woman/man"). Source in the comment.
CULTURE_TERMS: dict[str, tuple[str, ...]] = {
    "Arabic": ("Arab", "Middle Eastern"),  # HolisticBias race_ethnicity
    "Chinese": ("Chinese", "Chinese-American"),  # HolisticBias nationality/china
    "Portuguese": ("Portuguese", "Brazilian"),  # project's own (not in HolisticBias)
    "Spanish": ("Hispanic", "Mexican"),  # HolisticBias race_ethnicity/latinx, nationality
    "English": ("English", "American"),  # project's own reference terms
}
_POOL = 30  # names drawn from each country's most popular ones
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


CULTURE_FILTERS = {"Chinese": _is_pinyin}


def culture_names(culture: str, gender: str, n: int = _POOL) -> list[str]:
    """Popular first names cueing ``culture`` for gender ``F``/``M``, interleaved over the
    culture's countries, from the test third of each list (never named to the generator;
    see :func:`name_table` for removing names shared by cultures)."""
    keep = CULTURE_FILTERS.get(culture, lambda name: True)
    lists = [
        [x for x in name_pool(c, gender, "test") if keep(x)] for c in CULTURE_COUNTRIES[culture]
    ]
    out: list[str] = []
    for i in range(max(len(x) for x in lists)):
        for names in lists:
            if i < len(names) and names[i] not in out:
                out.append(names[i])
    return out[:n]


def name_table(cultures: list[str] | None = None) -> dict[tuple[str, str], list[str]]:
    """``(culture, gender) -> names`` with names popular in two cultures removed from both,
    so that a name is a clean cue for one culture."""
    cultures = cultures or CULTURES
    table = {(c, g): culture_names(c, g) for c in cultures for g in GENDERS}
    seen: dict[str, int] = {}
    for names in table.values():
        for x in set(names):
            seen[x] = seen.get(x, 0) + 1
    return {k: [x for x in v if seen[x] == 1] for k, v in table.items()}


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
                "check names-dataset and the countries in CULTURE_COUNTRIES",
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
