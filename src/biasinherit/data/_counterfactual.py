"""Counterfactual test items from user rows: the same biography with every gender flipped.

As in counterfactual data augmentation, the swap runs both ways through the whole text
(she <-> he, a spouse too), so a biography stays consistent: "Her husband ... he" becomes
"His wife ... she". Pronouns: she/he, herself/himself, hers/his; "her" becomes "him" where it
is an object ("gave her a book", "with her.") and "his" otherwise ("her book"); "his"
becomes "hers" where it stands alone ("a friend of his."), "her" otherwise. Titles
(Mrs/Ms/Miss -> Mr, Mr -> Ms), gendered nouns (woman, mother, wife ...), and first names
(``gender-guesser`` decides a name's gender; the replacement is a popular US name of the
other gender, the same one every time for the same name). Case is kept.
"""

from __future__ import annotations

import re
import zlib

from biasinherit.data._names import guess_gender, swap_names

_PAIRS = [
    ("she", "he"), ("herself", "himself"), ("woman", "man"), ("women", "men"),
    ("girl", "boy"), ("girls", "boys"), ("mother", "father"), ("mothers", "fathers"),
    ("wife", "husband"), ("wives", "husbands"), ("daughter", "son"),
    ("daughters", "sons"), ("sister", "brother"), ("sisters", "brothers"),
    ("girlfriend", "boyfriend"), ("grandmother", "grandfather"), ("aunt", "uncle"),
    ("niece", "nephew"), ("mom", "dad"), ("lady", "gentleman"), ("ladies", "gentlemen"),
    ("female", "male"), ("females", "males"), ("businesswoman", "businessman"),
    ("chairwoman", "chairman"), ("spokeswoman", "spokesman"),
]  # fmt: skip
_SWAP = {a: b for a, b in _PAIRS} | {b: a for a, b in _PAIRS}
_SWAP |= {"hers": "his", "him": "her", "mrs": "mr", "ms": "mr", "miss": "mr", "mr": "ms"}
_SWAP |= {"mum": "dad"}
# After these (or at the end of a clause) "her" is an object and "his" stands alone.
_OBJECT_NEXT = frozenset(
    """a an the to and or but in on at with for from by as about into onto that this these
    those up out off back down over again because when if so than after before during
    while since until through around across against among without under within who which
    is was are were has had have will would can could""".split()
)
_ALONE_NEXT = frozenset("and or but is was are were too than as alone which that".split())
_WORD = re.compile(r"[A-Za-z]+")
_NEXT = re.compile(r"\s*([A-Za-z]+)?")


def _case(like: str, word: str) -> str:
    if len(like) > 1 and like.isupper():
        return word.upper()
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def _name_gender(word: str) -> str | None:
    from biasinherit.data._detect import _NOT_NAMES

    if len(word) < 2 or word.lower() in _NOT_NAMES or word.lower() in _SWAP:
        return None
    return guess_gender(word)


def name_swaps(text: str) -> dict[str, str]:
    """First names in ``text`` -> a name of the other gender (stable per name).

    A capitalised word counts as a first name when ``gender-guesser`` knows its gender and
    it is not right after a preposition of place ("in Paris").
    """
    from biasinherit.data._detect import _PLACE_PREP

    out: dict[str, str] = {}
    words = _WORD.findall(text)
    taken = {w.lower() for w in words}
    for i, w in enumerate(words):
        if not w[0].isupper() or w in out or (i and words[i - 1].lower() in _PLACE_PREP):
            continue
        gender = _name_gender(w)
        if gender is None:
            continue
        pool = swap_names("M" if gender == "F" else "F")
        start = zlib.crc32(w.lower().encode()) % len(pool)
        for k in range(len(pool)):  # a replacement the text does not already use
            cand = pool[(start + k) % len(pool)]
            if cand.lower() not in taken:
                out[w] = _case(w, cand)
                taken.add(cand.lower())
                break
    return out


def swap_gender(text: str, *, names: bool = True) -> str:
    """The text with every gendered word (and, with ``names``, every first name) flipped.

    Examples
    --------
    >>> swap_gender("She gave her a book. Her husband says he is proud of her.", names=False)
    'He gave him a book. His wife says she is proud of him.'
    >>> swap_gender("Mr. Ito says the idea was his, and his team agrees.", names=False)
    'Ms. Ito says the idea was hers, and her team agrees.'
    """
    swaps = name_swaps(text) if names else {}

    def repl(m: re.Match) -> str:
        word = m.group(0)
        if word in swaps:
            return swaps[word]
        low = word.lower()
        if low not in ("her", "his") and low not in _SWAP:
            return word
        nxt = _NEXT.match(text, m.end()).group(1)
        nxt_low = nxt.lower() if nxt else None
        if low == "her":
            new = "him" if nxt_low is None or nxt_low in _OBJECT_NEXT else "his"
        elif low == "his":
            new = "hers" if nxt_low is None or nxt_low in _ALONE_NEXT else "her"
        else:
            new = _SWAP[low]
        return _case(word, new)

    return _WORD.sub(repl, text)


def user_test_items(rows: list[dict], attribute: str = "gender") -> list[dict]:
    """Test items from held-out user rows, as counterfactual pairs where the attribute allows.

    Gender: every row gives two items with one ``pair_id``, the biography as written and
    the same biography with every gender flipped (:func:`swap_gender`), so group gaps can be
    tested paired, as on the template items. Other attributes: the rows as they are (no
    swap is defined for them), each its own item.

    Examples
    --------
    >>> rows = [{"id": "u-2", "text": "She fills cavities.", "label": "dentist",
    ...          "group": "female"}]
    >>> [(r["group"], r["text"], r["stereotypical"]) for r in user_test_items(rows)]
    [('female', 'She fills cavities.', False), ('male', 'He fills cavities.', True)]
    """
    from biasinherit.bias import get_attribute

    attr = get_attribute(attribute)
    pairs = set(attr.groups) == {"female", "male"}
    items = []
    for r in rows:
        # each user biography is its own stimulus (cue "user": scored with the strong cues)
        base = {
            **r, "source": "original", "split": "test", "cue": "user", "pair_id": r["id"],
            "stimulus": f"user:{r['id']}", "direction": attr.stereotype.get(r.get("label")),
        }  # fmt: skip
        if not pairs or r.get("group") not in attr.groups:
            items.append({**base, "pair_id": None})
            continue
        other = attr.other(r["group"])
        for group, text in ((r["group"], r["text"]), (other, swap_gender(r["text"]))):
            items.append(
                {
                    **base,
                    "id": f"{r['id']}-{group}",
                    "text": text,
                    "group": group,
                    "counterfactual": group != r["group"],
                    "stereotypical": attr.stereotype.get(r["label"]) == group,
                }
            )
    return items
