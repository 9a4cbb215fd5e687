"""Multiple-comparison corrections; NaN p-values stay NaN.

Benjamini–Hochberg is statsmodels'. Holm is computed here with the same operations, because
statsmodels' ``multipletests(method="holm")`` calls ``gc.collect()`` on every call: 60 ms
each in a process that holds a model, and the analysis step calls it once per family.
"""

from __future__ import annotations

import numpy as np


def _adjust(p: np.ndarray, method: str) -> np.ndarray:
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p, dtype=float)
    out = np.full(len(p), np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method=method)[1]
    return out


def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error).

    Examples
    --------
    >>> holm(np.array([0.01, 0.04, 0.03, 0.20])).round(4).tolist()
    [0.04, 0.09, 0.09, 0.2]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(len(p), np.nan)
    ok = ~np.isnan(p)
    order = np.argsort(p[ok])
    # step-down: the k-th smallest of m times (m - k + 1), kept monotone, capped at 1
    adjusted = np.maximum.accumulate(p[ok][order] * np.arange(ok.sum(), 0, -1))
    adjusted[adjusted > 1] = 1
    out[np.flatnonzero(ok)[order]] = adjusted
    return out


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (false discovery rate).

    Examples
    --------
    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.20, np.nan])).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2, nan]
    """
    return _adjust(p, "fdr_bh")
