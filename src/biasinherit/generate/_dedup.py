"""Near-duplicates: MinHash signatures with LSH banding, verified by exact Jaccard.

Texts are compared as sets of character 5-grams of their normalised form (lower case,
letters and digits), so that two rows differing by a name or a word are caught, not only
exact repeats. MinHash finds the candidates in sub-linear time (a row is compared only with
rows sharing a band of its signature); each candidate is confirmed on the exact Jaccard
similarity, so the decision does not depend on the hashing.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

_PRIME = (1 << 31) - 1  # hash coefficients and values stay below 2^31: products fit int64


def shingles(text: str, k: int = 5) -> set[str]:
    """Character ``k``-grams of the normalised text.

    Examples
    --------
    >>> sorted(shingles("Ab, c!", k=3))
    ['ab ', 'b c']
    """
    norm = re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]", " ", text.lower())).strip()
    if len(norm) <= k:
        return {norm} if norm else set()
    return {norm[i : i + k] for i in range(len(norm) - k + 1)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


class NearDuplicates:
    """Keep-first near-duplicate detection over a stream of texts.

    Parameters
    ----------
    threshold : float
        Jaccard similarity of shingle sets at or above which a text repeats a kept one.
    n_hash, bands : int
        MinHash signature length and LSH bands (``n_hash / bands`` rows per band).
    seed : int

    Examples
    --------
    >>> nd = NearDuplicates()
    >>> bio = "has worked as a nurse on a busy city ward for ten years and loves her job."
    >>> nd.check("Maria " + bio) is None
    True
    >>> nd.check("Anna " + bio)  # the same row with another name
    0.9103
    >>> nd.check("Tom designs bridges and teaches drawing at the local college.") is None
    True
    """

    def __init__(
        self, *, threshold: float = 0.8, n_hash: int = 64, bands: int = 16, seed: int = 0
    ) -> None:
        self.threshold = threshold
        self.bands = bands
        rng = np.random.default_rng(seed)
        self._a = rng.integers(1, _PRIME, n_hash, dtype=np.int64)
        self._b = rng.integers(0, _PRIME, n_hash, dtype=np.int64)
        self._rows = n_hash // bands
        self._buckets: list[dict[bytes, list[int]]] = [{} for _ in range(bands)]
        self._kept: list[set[str]] = []

    def _signature(self, sh: set[str]) -> np.ndarray:
        x = np.fromiter((zlib.crc32(s.encode()) % _PRIME for s in sh), np.int64, len(sh))
        return ((np.outer(self._a, x) + self._b[:, None]) % _PRIME).min(axis=1)

    def check(self, text: str) -> float | None:
        """The similarity to the most similar kept text when it is a near-duplicate (the
        text is then not kept); otherwise ``None``, and the text is kept."""
        sh = shingles(text)
        if not sh:
            return None
        sig = self._signature(sh)
        keys = [sig[i * self._rows : (i + 1) * self._rows].tobytes() for i in range(self.bands)]
        candidates = {j for band, key in enumerate(keys) for j in self._buckets[band].get(key, ())}
        best = max((jaccard(sh, self._kept[j]) for j in candidates), default=0.0)
        if best >= self.threshold:
            return round(best, 4)
        idx = len(self._kept)
        self._kept.append(sh)
        for band, key in enumerate(keys):
            self._buckets[band].setdefault(key, []).append(idx)
        return None
