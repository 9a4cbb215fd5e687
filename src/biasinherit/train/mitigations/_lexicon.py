"""Identity-cue lexicons for masking and counterfactual swaps.

Three sources, as the issue asks: first names by country and gender (``names-dataset`` via
:func:`biasinherit.data.all_names`), the attribute YAML's ``cue_words`` plus the project's
own short lists below, and HolisticBias descriptors (Smith et al. 2022, v1.1) for the
gender-and-sex, nationality, race/ethnicity and religion axes.

Matching: names and capitalised descriptors (``Chinese``, ``Black``) match case-sensitively
so that ``black coffee`` or ``will`` stay; other words match in any case. Longer terms win
(``Chinese-American`` is one hit, not ``Chinese`` plus a rest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from biasinherit.bias import get_attribute
from biasinherit.data import flatten_descriptors, holistic_bias_descriptors

HOLISTIC_AXES = ("gender_and_sex", "nationality", "race_ethnicity", "religion")
# Descriptors that are mostly ordinary words in biographies ("white walls").
_AMBIGUOUS = {"white", "country", "spiritual", "religious", "secular"}

# The project's own lists: gendered words beyond the attribute's cue words, and nationality
# or culture adjectives the HolisticBias v1.1 nationality axis lacks (the paper's cultures:
# Arabic, Chinese, Portuguese, Spanish, and common ones generators write).
EXTRA_GENDER_WORDS = {
    "female": "girl girls lady ladies mom mum mothers wives daughters sisters madam miss aunt "
    "niece grandmother queen actress waitress businesswoman chairwoman girlfriend",
    "male": "boy boys gentlemen dad fathers husbands sons brothers mister uncle nephew "
    "grandfather king actor waiter businessman chairman boyfriend",
}
CULTURE_WORDS = (
    "Arabic Arabian Portuguese Spanish Brazilian Egyptian Saudi Emirati Moroccan Lebanese "
    "Syrian Iraqi Iranian Persian Turkish Japanese German French Italian Russian Polish "
    "Hungarian Greek Irish Scottish British English Dutch Swedish Norwegian Danish Finnish "
    "Nigerian Kenyan Ethiopian Ghanaian Pakistani Bangladeshi Thai Indonesian Malaysian "
    "Canadian Australian Colombian Argentinian Peruvian Venezuelan Chilean Jamaican Haitian "
    "Ukrainian Romanian Czech Austrian Swiss Belgian Israeli Palestinian Jordanian Afghan"
).split()


@dataclass(frozen=True)
class Lexicon:
    """Terms by kind: ``name`` (first names), ``gender`` (pronouns, nouns), ``identity``."""

    kinds: dict[str, str]  # term -> kind
    case_sensitive: frozenset[str]

    @property
    def pattern(self) -> re.Pattern:
        return _compile(tuple(sorted(self.kinds)), self.case_sensitive)

    def kind(self, hit: str) -> str:
        return self.kinds.get(hit) or self.kinds.get(hit.lower()) or "identity"


@cache
def _compile(terms: tuple[str, ...], case_sensitive: frozenset[str]) -> re.Pattern:
    alts = [
        re.escape(t) if t in case_sensitive else f"(?i:{re.escape(t)})"
        for t in sorted(terms, key=lambda t: (-len(t), t))
    ]
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)")


@cache
def holistic_descriptors(axes: tuple[str, ...] = HOLISTIC_AXES) -> tuple[str, ...]:
    """HolisticBias v1.1 descriptors of the given axes (from the data directory)."""
    raw = holistic_bias_descriptors()
    out = {d for ax in axes for d in flatten_descriptors(raw.get(ax, {}))}
    return tuple(sorted(d for d in out if d.lower() not in _AMBIGUOUS))


def gender_words(attribute: str) -> dict[str, str]:
    """Lower-case gendered word -> group, from the attribute's cue words and our lists."""
    attr = get_attribute(attribute)
    out = {w.lower(): g for g, words in attr.cue_words.items() for w in words}
    for g in attr.groups:
        for w in (attr.nouns.get(g), attr.plurals.get(g), *EXTRA_GENDER_WORDS.get(g, "").split()):
            if w:
                out.setdefault(w.lower(), g)
    return out


def names_by_group(attribute: str, countries: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """First names per group from the group's countries and name genders (the attribute's
    ``names``: gender has one country with a gender per group, culture countries per group),
    plus any extra ``countries``."""
    attr = get_attribute(attribute)
    from biasinherit.data import all_names

    out: dict[str, list[str]] = {}
    for g in attr.groups:
        spec = attr.names.get(g) or {}
        genders = spec.get("genders") or ["F", "M"]
        out[g] = all_names((*spec.get("countries", []), *countries), genders)
    return out


@cache
def identity_lexicon(
    attribute: str,
    countries: tuple[str, ...] = (),
    axes: tuple[str, ...] = HOLISTIC_AXES,
    names: bool = True,
) -> Lexicon:
    """Every identity cue the mask mitigation replaces, for one attribute.

    Examples
    --------
    >>> lex = identity_lexicon("gender")
    >>> lex.kind("she"), lex.kind("Chinese-American"), lex.kind("Emily")
    ('gender', 'identity', 'name')
    """
    kinds: dict[str, str] = {}
    cs: set[str] = set()
    for d in (*holistic_descriptors(axes), *CULTURE_WORDS):
        kinds[d] = "identity"
        if d != d.lower():
            cs.add(d)
    for w in gender_words(attribute):
        kinds[w] = "gender"
        cs.discard(w)
    if names:
        all_names = {n for ns in names_by_group(attribute, countries).values() for n in ns}
        for n in all_names:
            if n.lower() not in kinds:  # a name that is also a cue word stays a cue word
                kinds[n] = "name"
                cs.add(n)
    # Lower-case keys for case-insensitive terms, so lookups of any casing find them.
    kinds = {(t if t in cs else t.lower()): k for t, k in kinds.items()}
    return Lexicon(kinds, frozenset(cs))
