"""The bootstrap, written once: whole stimuli (clusters) resampled, and seeds above them.

For statistics that are not means (macro-F1, ratios of sums, ranges) the interval of one
run comes from resampling its test stimuli as clusters (a base text with all its
counterfactual variants stays together). Across seeds the draw is two-level: seeds with
replacement, and one draw of stimuli shared by every seed, since the seeds saw the same
stimuli (the crossed, "pigeonhole" bootstrap of Owen 2007). Means over seeds and the tests
use :func:`biasinherit.stats.crossed_estimate` instead: with three seeds a percentile
bootstrap of the seed level is too narrow.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

Stat = Callable[[dict[str, np.ndarray]], float]
LEVEL = 0.95


def _parts(codes: np.ndarray, n: int) -> list[np.ndarray]:
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.cumsum(np.bincount(codes, minlength=n))[:-1])


def cluster_bootstrap(
    frame: pd.DataFrame,
    stat: Stat,
    *,
    cluster: str,
    n_boot: int,
    rng: np.random.Generator,
    seed_col: str | None = None,
) -> tuple[float, float, float, int]:
    """``(value, ci_low, ci_high, n_clusters)``: ``stat`` on ``frame`` and its 95 %
    percentile interval over resamples of whole clusters (and of seeds, with ``seed_col``).

    Examples
    --------
    >>> f = pd.DataFrame({"c": [0, 0, 1, 1, 2, 2], "x": [1.0, 1, 0, 0, 1, 0]})
    >>> v, lo, hi, n = cluster_bootstrap(f, lambda c: c["x"].mean(), cluster="c",
    ...     n_boot=200, rng=np.random.default_rng(0))
    >>> round(v, 3), n, lo <= v <= hi
    (0.5, 3, True)
    """
    cols = {c: frame[c].to_numpy() for c in frame.columns}
    value = float(stat(cols))
    codes, uniques = pd.factorize(frame[cluster])
    n_c = len(uniques)
    if n_c < 2 or n_boot <= 0:
        return value, float("nan"), float("nan"), n_c
    if seed_col is not None and frame[seed_col].nunique() > 1:
        s_codes, s_uni = pd.factorize(frame[seed_col])
        cells = _parts(s_codes * n_c + codes, len(s_uni) * n_c)
        draws = []
        for _ in range(n_boot):
            ss = rng.integers(0, len(s_uni), len(s_uni))
            cc = rng.integers(0, n_c, n_c)
            idx = np.concatenate([cells[s * n_c + c] for s in ss for c in cc])
            draws.append(stat({k: a[idx] for k, a in cols.items()}))
    else:
        parts = _parts(codes, n_c)
        draws = []
        for sample in rng.integers(0, n_c, size=(n_boot, n_c)):
            idx = np.concatenate([parts[u] for u in sample])
            draws.append(stat({k: a[idx] for k, a in cols.items()}))
    draws = np.asarray([d for d in draws if not np.isnan(d)])
    if len(draws) < 2:
        return value, float("nan"), float("nan"), n_c
    lo, hi = np.quantile(draws, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return value, float(lo), float(hi), n_c


def bootstrap_mean(
    values: np.ndarray, clusters: np.ndarray | None, *, n_boot: int, rng: np.random.Generator
) -> tuple[float, float]:
    """95 % interval of the mean of ``values`` with whole ``clusters`` resampled (each value
    its own cluster when None); NaN values are ignored. Vectorised: one matrix product.

    Examples
    --------
    >>> lo, hi = bootstrap_mean(np.arange(10.0), None, n_boot=500, rng=np.random.default_rng(0))
    >>> lo < 4.5 < hi
    True
    """
    values = np.asarray(values, dtype=float)
    ok = ~np.isnan(values)
    values = values[ok]
    if clusters is None:
        codes = np.arange(len(values))
    else:
        codes = pd.factorize(np.asarray(clusters)[ok])[0]
    n_c = int(codes.max()) + 1 if len(codes) else 0
    if n_c < 2 or n_boot <= 0:
        return float("nan"), float("nan")
    sums = np.bincount(codes, weights=values, minlength=n_c)
    counts = np.bincount(codes, minlength=n_c).astype(float)
    means = []
    for start in range(0, n_boot, 500):  # chunks keep the count matrix small
        k = min(500, n_boot - start)
        w = np.apply_along_axis(np.bincount, 1, rng.integers(0, n_c, (k, n_c)), minlength=n_c)
        means.append((w @ sums) / (w @ counts))
    means = np.concatenate(means)
    lo, hi = np.quantile(means, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return float(lo), float(hi)
