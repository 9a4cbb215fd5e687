"""Who a text is about: its group by pronouns and group nouns, and by first names.

``Attribute.detect_group`` reads pronouns and group nouns; when those are silent, the first
capitalised word known as a first name decides: ``gender-guesser`` for gender, and for other
attributes (culture) the groups' own ``names-dataset`` lists, the lists the generator's
implicit prompts draw from. Used by the audit (group data), the generation summary and the
counterfactual name swaps.
"""

from __future__ import annotations

import re
from collections import Counter

from biasinherit.bias import Attribute
from biasinherit.data._names import group_names, guess_gender

_TOKEN = re.compile(r"[^\W\d_]+")  # letters, accented ones included (João)
# gender-guesser knows "The", "Here", "May", "Paris" ... as names: skip sentence words,
# months, and any capitalised word right after a preposition (a place: "in Paris").
_NOT_NAMES = frozenset(
    "the a an his her here there this that these those they their it its we our you i "
    "young old new art will may june april august january born after before during when "
    "while with from for over under since despite today america india".split()
)
_PLACE_PREP = frozenset("in at from of to near across around".split())


_LOOKUPS: dict[tuple, dict[str, str]] = {}


def _names_lookup(attribute: Attribute) -> dict[str, str]:
    """Lower-cased first name -> group, from the groups' names-dataset lists (each name in
    one group's lists only, as the generator's implicit prompts use them)."""
    key = (attribute.name, tuple(attribute.groups))
    if key not in _LOOKUPS:
        table: dict[str, str] = {}
        # The longer lists first; the generator's own (shorter, default) lists win, since
        # a name unique among 60 may be shared among 300 and would otherwise be dropped.
        for lists in (
            group_names(attribute, per_list=NAMES_PER_GROUP, role=None),
            group_names(attribute),
        ):
            table.update({_fold(n): g for g, names in lists.items() for n in names})
        _LOOKUPS[key] = table
    return _LOOKUPS[key]


def _fold(word: str) -> str:
    """Lower case without accents: "João", "Joao" and "JOAO" are one name."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Names per group in the culture lookup: the generator draws from the first 60, the rest
# catch names the model writes by itself.
NAMES_PER_GROUP = 300


def name_group(text: str, attribute: Attribute) -> str:
    """The group of the first capitalised word known as a first name.

    Gender (``name_gender`` codes F/M) asks ``gender-guesser``; an attribute with name lists
    (culture) looks the word up in its groups' ``names-dataset`` lists; otherwise ``"unknown"``.
    """
    by_code = {code: g for g, code in attribute.name_gender.items()}
    if set(by_code) == {"F", "M"}:

        def lookup(word: str) -> str | None:
            code = guess_gender(word)
            return by_code[code] if code else None
    elif attribute.names:
        table = _names_lookup(attribute)

        def lookup(word: str) -> str | None:
            return table.get(_fold(word))
    else:
        return "unknown"
    tokens = _TOKEN.findall(text)
    for i, word in enumerate(tokens):
        if not word[0].isupper() or len(word) < 2 or word.lower() in _NOT_NAMES:
            continue
        if i and tokens[i - 1].lower() in _PLACE_PREP:
            continue
        group = lookup(word)
        if group:
            return group
    return "unknown"


def text_group(text: str, attribute: Attribute) -> dict[str, str]:
    """Group by pronouns, by names, and combined (pronouns first, names as fallback)."""
    pron = attribute.detect_group(text)
    name = name_group(text, attribute)
    return {"pronoun": pron, "name": name, "combined": pron if pron != "unknown" else name}


def make_up(rows: list[dict], attribute: Attribute, *, by: str = "label") -> dict:
    """Group counts per topic (and ``"all"``) with pronoun, name and combined detection."""
    counts: dict[str, dict[str, Counter]] = {}
    for r in rows:
        det = text_group(r["text"], attribute)
        for topic in (str(r.get(by)), "all"):
            per = counts.setdefault(topic, {m: Counter() for m in det})
            for method, g in det.items():
                per[method][g] += 1
    return {
        t: {m: {g: c.get(g, 0) for g in (*attribute.groups, "unknown")} for m, c in per.items()}
        for t, per in counts.items()
    }
