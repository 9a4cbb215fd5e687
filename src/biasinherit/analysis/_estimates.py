"""Levels, contrasts and slopes of one measure, each reduced to ``z[seed, stimulus]`` and
estimated by :func:`biasinherit.stats.crossed_estimate` (seeds × stimuli, crossed).

A level is one cell; a contrast is two cells of the same seed (a mitigation against
``none``, a γ against γ = 0); a slope is the least-squares slope over γ of one seed's cells
(the γ = 0 cell shared by every bias type). Seeds that lack a cell and stimuli that some
seed lacks are left out, and the estimate says how many remained.
"""

from __future__ import annotations

import numpy as np

from biasinherit.analysis._data import Key, MeasureData
from biasinherit.stats import Estimate, crossed_estimate, stimulus_weights


def _estimate(md: MeasureData, z: np.ndarray, null: float = 0.0) -> Estimate | None:
    """Complete seeds and stimuli of ``z`` (seeds × stimuli), then the crossed estimate."""
    seeds = ~np.isnan(z).all(1)
    z = z[seeds]
    stim = ~np.isnan(z).any(0)
    z = z[:, stim]
    if z.shape[0] == 0 or z.shape[1] < 2:
        return None
    strata = md.strata[stim]
    w = stimulus_weights(md.n_units[stim], strata if md.measure.balance else None)
    return crossed_estimate(z, weights=w, strata=strata, null=null)


def level(md: MeasureData, cell: Key) -> Estimate | None:
    i = md.index(cell)
    return None if i is None else _estimate(md, md.y[i])


def contrast(md: MeasureData, a: Key, b: Key) -> Estimate | None:
    """``a − b`` paired by seed and stimulus."""
    i, j = md.index(a), md.index(b)
    if i is None or j is None:
        return None
    return _estimate(md, md.y[i] - md.y[j])


def slope_weights(ratios: np.ndarray) -> np.ndarray:
    """Least-squares slope weights over γ: ``slope = Σ h_g y_g``.

    Examples
    --------
    >>> slope_weights(np.array([0.0, 0.5])).tolist()
    [-2.0, 2.0]
    """
    x = np.asarray(ratios, dtype=float)
    d = x - x.mean()
    return d / (d @ d)


def slope(md: MeasureData, cells: list[Key]) -> Estimate | None:
    """Slope of the measure over the ratios of ``cells`` (one cell per γ), per unit γ."""
    idx = [md.index(c) for c in cells]
    if any(i is None for i in idx) or len(cells) < 2:
        return None
    h = slope_weights(np.array([c[1] for c in cells]))
    z = np.tensordot(h, md.y[idx], axes=1)  # NaN wherever one of the seed's cells is absent
    return _estimate(md, z)
