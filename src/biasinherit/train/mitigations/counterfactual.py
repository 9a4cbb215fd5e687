"""``counterfactual``: an identity-swapped copy of every augmented row (gender).

Source: counterfactual data augmentation (CDA), Lu et al., "Gender Bias in Neural Natural
Language Processing" (2020, arXiv 1807.11714), and Zmigrod et al., "Counterfactual Data
Augmentation for Mitigating Gender Stereotypes in Languages with Rich Morphology" (ACL 2019).
A stereotyped augmentation ("a nurse ... she") gets its mirror ("a nurse ... he") with the
same label, so the label no longer predicts the group within the augmented data.

Swaps: gendered pronouns and nouns both ways (she <-> he; possessive her <-> his; object
her <-> him, by the next word as in ``mask``), and first names from the attribute's
name lists, the i-th most popular female name <-> the i-th male one. Names outside the
lists (a generator invents some) stay; the share of rows with a swap is reported.
"""

from __future__ import annotations

import re
from functools import cache

from pydantic import Field

from biasinherit.bias import get_attribute
from biasinherit.errors import BiasInheritError
from biasinherit.train.mitigations._base import MITIGATIONS, Mitigation, Params
from biasinherit.train.mitigations._lexicon import names_by_group
from biasinherit.train.mitigations.mask import _OBJECT_NEXT, _case

_PAIRS = (
    "she he, hers his, herself himself, woman man, women men, lady gentleman, ladies gentlemen, "
    "girl boy, girls boys, mother father, mothers fathers, mom dad, mum dad, wife husband, "
    "wives husbands, daughter son, daughters sons, sister brother, sisters brothers, "
    "aunt uncle, niece nephew, grandmother grandfather, queen king, actress actor, "
    "waitress waiter, businesswoman businessman, chairwoman chairman, girlfriend boyfriend, "
    "mrs mr, ms mr, female male, feminine masculine"
)
_NEXT_WORD = re.compile(r"\s+([A-Za-z']+)")


@cache
def _swap_table(attribute: str) -> tuple[dict[str, str], dict[str, str], re.Pattern]:
    attr = get_attribute(attribute)
    if set(attr.groups) != {"female", "male"}:
        raise BiasInheritError(
            f"counterfactual swaps are defined for gender, not {attribute!r}",
            "use mask or reweight for this attribute",
        )
    words: dict[str, str] = {}
    for pair in _PAIRS.split(","):
        f, m = pair.split()
        words.setdefault(f, m)
        words.setdefault(m, f)
    words["his"] = "her"  # "her"/"his" are resolved by context in swap_text
    names_fg = names_by_group(attribute)
    fem, mal = names_fg["female"], names_fg["male"]
    names = {}
    for i in range(max(len(fem), len(mal))):
        f, m = fem[i % len(fem)], mal[i % len(mal)]
        names.setdefault(f, m)
        names.setdefault(m, f)
    alts = [f"(?i:{re.escape(w)})" for w in sorted({*words, "her"}, key=len, reverse=True)]
    alts += [re.escape(n) for n in sorted(names, key=len, reverse=True)]
    return words, names, re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)")


def swap_text(text: str, attribute: str = "gender") -> tuple[str, int]:
    """Swap gendered words and first names; returns (new text, number of swaps).

    Examples
    --------
    >>> swap_text("She told her son that the book is his.")
    ('He told his daughter that the book is hers.', 4)
    >>> swap_text("Mr. Smith thanked her and his wife.")[0]
    'Mrs. Smith thanked him and her husband.'
    """
    words, names, pattern = _swap_table(attribute)

    def repl(m: re.Match) -> str:
        hit, low = m.group(0), m.group(0).lower()
        if hit in names:
            return names[hit]
        nxt = _NEXT_WORD.match(text, m.end())
        nxt_word = nxt.group(1).lower() if nxt else None
        if low == "her":
            return _case(hit, "him" if nxt_word is None or nxt_word in _OBJECT_NEXT else "his")
        if low == "his":
            return _case(hit, "hers" if nxt_word is None else "her")
        return _case(hit, words[low])

    new, n = pattern.subn(repl, text)
    return new, n


class CounterfactualParams(Params):
    keep_original: bool = Field(
        True, description="keep each augmented row and add its swap (false: swap in place)"
    )


@MITIGATIONS.register("counterfactual")
class CounterfactualMitigation(Mitigation):
    """Add a gender-swapped copy of every augmented row (counterfactual data augmentation).

    Parameters
    ----------
    keep_original : bool
        Add the copies (default) or replace each augmented row by its copy.
    """

    name = "counterfactual"
    order = 10
    Params = CounterfactualParams
    attributes = ("gender",)  # the swap table pairs female and male words and names

    def prepare_rows(self, rows: list[dict]) -> list[dict]:
        out, n_aug, n_swapped = [], 0, 0
        for r in rows:
            if r["source"] != "augmented":
                out.append(r)
                continue
            attr = get_attribute(r.get("attribute") or "gender")
            text, k = swap_text(r["text"], attr.name)
            n_aug, n_swapped = n_aug + 1, n_swapped + (k > 0)
            group = attr.other(r["group"]) if r.get("group") in attr.groups else r.get("group")
            copy = dict(r, id=f"{r['id']}-cf", text=text, group=group, counterfactual_of=r["id"])
            if "detected_group" in r:
                copy["detected_group"] = attr.detect_group(text)
            if r.get("label") in attr.stereotype:
                copy["stereotypical"] = attr.stereotype[r["label"]] == group
            out += [r, copy] if self.params.keep_original else [copy]
        self.stats_.update(
            counterfactual_rows=n_aug,
            counterfactual_swapped_share=round(n_swapped / n_aug, 4) if n_aug else 0.0,
        )
        return out
