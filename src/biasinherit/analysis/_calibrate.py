"""Calibration from a run's own data: the false-positive rate and the power of its tests.

*Size.* A/A data sets are built from the run's own per-(cell, seed, stimulus) values with
every effect removed: per comparison (the cells of one dose-response curve, or the
conditions of one bias type and γ), each cell × stimulus mean and each seed mean is taken
out, and the residual vectors of whole runs (one run: one seed in one cell, all its stimuli
together) are drawn with replacement into the run slots, scaled for the fitted means. The
tests are then run as the report runs them; the share of resamples in which they reject is
the false-positive rate, with a Clopper–Pearson interval for its Monte-Carlo error. (A
permutation of γ labels within seed was tried first: with three seeds and three γ levels it
has 216 arrangements, and in simulations where the test's true size was 4 % its estimate from
one run ranged 0–15 %; the residual draw ranged 1–8 % around the true size.)

*Power.* A known slope is added to the A/A data, at multiples of the design's analytic
minimum detectable effect; the detection rate per planted effect gives the empirical minimum
detectable effect (where detection reaches 80 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from biasinherit.analysis._data import MeasureData
from biasinherit.analysis._estimates import _estimate, slope, slope_weights
from biasinherit.analysis._recommend import MAX_COST, recommend
from biasinherit.analysis._tables import trend_cells
from biasinherit.errors import BiasInheritError
from biasinherit.stats import ALPHA, POWER

FACTORS = (0.0, 0.5, 1.0, 1.5, 2.0)  # planted slopes, in multiples of the analytic MDE


def mc_interval(k: int, n: int) -> tuple[float, float]:
    """Clopper–Pearson 95 % interval of a rate k / n."""
    from scipy import stats

    ci = stats.binomtest(k, n).proportion_ci(method="exact")
    return float(ci.low), float(ci.high)


def _residual_runs(y: np.ndarray) -> np.ndarray | None:
    """Residual vectors of the runs of ``y`` (cells × seeds × stimuli): cell × stimulus and
    seed means removed, scaled by the degrees of freedom they used; None if incomplete."""
    k, n_s, _ = y.shape
    if k < 2 or n_s < 2 or np.isnan(y).any():
        return None
    r = y - y.mean(axis=1, keepdims=True)
    r = r - r.mean(axis=(0, 2), keepdims=True)
    return (r * np.sqrt(k * n_s / ((k - 1) * (n_s - 1)))).reshape(k * n_s, -1)


def _complete(md: MeasureData, idx: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The seeds and stimuli that every cell of ``idx`` has."""
    y = md.y[idx]
    seeds = ~np.isnan(y).all(axis=(0, 2))
    stim = ~np.isnan(y[:, seeds]).any(axis=(0, 1))
    return seeds, stim


def trend_calibration(
    mds: dict[str, MeasureData], *, n: int = 400, seed: int = 0, alpha: float = ALPHA
) -> pd.DataFrame:
    """Per bias measure and bias type: the trend test's false-positive rate on A/A data
    (residual runs redrawn, every effect removed), and its detection rate for planted slopes
    (empirical MDE)."""
    rows = []
    for md in mds.values():
        if md.measure.role != "bias":
            continue
        for bt in sorted({c[0] for c in md.cells} - {"none", "untuned"}):
            cells = trend_cells(md, bt)
            if len(cells) < 2:  # residual draws need no third level (permutations did)
                continue
            est = slope(md, cells)
            if est is None or not np.isfinite(est.se):
                continue
            rng = np.random.default_rng(seed)
            idx = [md.index(c) for c in cells]
            seeds, stim = _complete(md, idx)
            res = _residual_runs(md.y[idx][:, seeds][:, :, stim])
            if res is None:
                continue
            sub = md.with_y(md.y)
            sub.n_units, sub.strata = md.n_units[stim], md.strata[stim]
            ratios = np.array([c[1] for c in cells])
            h = slope_weights(ratios)
            shape = (len(idx), int(seeds.sum()), int(stim.sum()))
            hits = {f: 0 for f in FACTORS}
            for _ in range(n):
                null = res[rng.integers(0, len(res), len(res))].reshape(shape)
                for f in FACTORS:
                    planted = null + f * est.mde * ratios[:, None, None]
                    e = _estimate(sub, np.tensordot(h, planted, axes=1))
                    if e is not None and e.p_value < alpha and (f == 0 or e.value > 0):
                        hits[f] += 1
            fpr = hits[0.0] / n
            lo, hi = mc_interval(hits[0.0], n)
            rates = [hits[f] / n for f in FACTORS]
            rows.append(
                {
                    "measure": md.measure.name,
                    "bias_type": bt,
                    "n_resamples": n,
                    "false_positive_rate": fpr,
                    "fpr_ci_low": lo,
                    "fpr_ci_high": hi,
                    "alpha": alpha,
                    "analytic_mde": est.mde,
                    "empirical_mde": _mde(FACTORS, rates) * est.mde,
                    **{f"power_at_{f:g}x": r for f, r in zip(FACTORS, rates, strict=True)},
                    "n_seeds": est.n_seeds,
                    "n_stimuli": est.n_stimuli,
                    "training_variance_known": est.training_variance_known,
                }
            )
    return pd.DataFrame(rows)


def _mde(factors: tuple[float, ...], rates: list[float]) -> float:
    """The planted effect (in MDE multiples) where detection first reaches 80 %, by linear
    interpolation; NaN if it never does in the grid."""
    for (f0, r0), (f1, r1) in zip(zip(factors, rates), zip(factors[1:], rates[1:])):  # noqa: B905
        if r0 < POWER <= r1:
            return f0 + (POWER - r0) * (f1 - f0) / (r1 - r0)
    return float(factors[0]) if rates and rates[0] >= POWER else float("nan")


def _rule_null(
    mds: dict[str, MeasureData], rng: np.random.Generator, baseline: str
) -> dict[str, MeasureData]:
    """Every (bias type, γ) block of conditions (``none`` and the mitigations) replaced by
    residual runs drawn with replacement, the same draw for every measure (the measures of a
    run stay together)."""
    ref = next(iter(mds.values()))
    blocks: dict[tuple, list] = {}
    for c in ref.cells:
        if c[0] not in ("none", "untuned") and c[3] == 1:
            blocks.setdefault((c[0], c[1]), []).append(c)
    out = {name: md.with_y(md.y.copy()) for name, md in mds.items()}
    for cells in blocks.values():
        n_runs = len(cells) * len(ref.seeds)
        draw = rng.integers(0, n_runs, n_runs)
        for name, md in mds.items():
            idx = [md.index(c) for c in cells]
            if any(i is None for i in idx):
                continue
            seeds, stim = _complete(md, idx)
            res = _residual_runs(md.y[idx][:, seeds][:, :, stim])
            if res is None or len(res) != n_runs:
                continue
            y = out[name].y
            null = res[draw].reshape(len(idx), int(seeds.sum()), int(stim.sum()))
            for k, i in enumerate(idx):
                block = y[i]
                block[np.ix_(seeds, stim)] = null[k]
    return out


def rule_calibration(
    mds: dict[str, MeasureData],
    *,
    primary: str,
    others: list[str],
    performance: str | None,
    n: int = 200,
    seed: int = 0,
    alpha: float = ALPHA,
    max_cost: float = MAX_COST,
    baseline: str = "none",
) -> dict:
    """The recommendation rule's false-positive rate: the share of A/A resamples (residual
    runs drawn into every condition's slots, all effects removed) in which it recommends any
    mitigation."""
    rng = np.random.default_rng(seed)
    picks = 0
    for _ in range(n):
        perm = _rule_null(mds, rng, baseline)
        try:
            r = recommend(
                perm,
                primary=primary,
                others=others,
                performance=performance,
                alpha=alpha,
                max_cost=max_cost,
            )
        except BiasInheritError:
            return {}
        picks += int(r["recommended"].any())
    lo, hi = mc_interval(picks, n)
    return {
        "n_resamples": n,
        "false_positive_rate": picks / n,
        "fpr_ci_low": lo,
        "fpr_ci_high": hi,
        "alpha": alpha,
    }
