"""Statistics of the paper's tasks that are not plain means: macro-F1, ratios of sums,
selection-rate ratios, and paired counterfactual differences, each with a cluster bootstrap.

A statistic is ``f(cols) -> float`` over a dict of column arrays (it knows nothing of
groups). The bootstrap resamples whole *stimuli* (a base text and all its counterfactual
variants, a candidate pool, a story prompt), so that rows which belong together stay
together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from biasinherit.stats import bootstrap_mean, cluster_bootstrap

Stat = Callable[[dict[str, np.ndarray]], float]


def macro_f1(y_true: Sequence, y_pred: Sequence, labels: Sequence) -> float:
    """Unweighted mean of per-label F1 = 2TP / (2TP + FP + FN) over ``labels``; a label
    that neither occurs nor is predicted is skipped (it has no F1), as in a bootstrap
    resample that happens to miss a class.

    Examples
    --------
    >>> macro_f1(["a", "a", "b", "b"], ["a", "b", "b", "b"], ["a", "b"])  # F1 2/3 and 4/5
    0.7333333333333334
    """
    t, p = np.asarray(y_true), np.asarray(y_pred)
    f1s = []
    for lab in labels:
        tp = np.sum((t == lab) & (p == lab))
        denom = 2 * tp + np.sum((t != lab) & (p == lab)) + np.sum((t == lab) & (p != lab))
        if denom:
            f1s.append(2 * tp / denom)
    return float(np.mean(f1s)) if f1s else float("nan")


def ratio_of_sums(num: str, den: str) -> Stat:
    """Statistic ``sum(num) / sum(den)`` (NaN when the denominator is 0)."""

    def stat(cols: dict[str, np.ndarray]) -> float:
        d = float(np.nansum(cols[den]))
        return float(np.nansum(cols[num])) / d if d else float("nan")

    return stat


def row(
    task: str,
    metric: str,
    attribute: str,
    group: str,
    value: float,
    lo: float,
    hi: float,
    n: int,
    higher_is_better: bool | None,
    *,
    comparison: str | None = None,
    reference: str | None = None,
) -> dict:
    """One row of the long metrics table (cell columns are added by ``to_table``); a
    comparison row says how ``group`` compares with ``reference`` (``difference``, ``ratio``)."""
    return {
        "task": task,
        "metric": metric,
        "attribute": attribute,
        "group": group,
        "comparison": comparison,
        "reference": reference,
        "value": float(value),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "n": int(n),
        "higher_is_better": higher_is_better,
    }


def stat_rows(
    frame: pd.DataFrame,
    stat: Stat,
    *,
    task: str,
    metric: str,
    attribute: str,
    unit: str,
    group_col: str | None = None,
    include_all: bool = True,
    higher_is_better: bool | None = True,
    n_boot: int = 1000,
    rng: np.random.Generator,
) -> list[dict]:
    """The statistic over all rows (group ``all``) and per value of ``group_col``."""
    parts = [("all", frame)] if include_all else []
    if group_col is not None:
        parts += [(str(g), f) for g, f in frame.groupby(group_col, sort=True)]
    out = []
    for g, f in parts:
        v, lo, hi, n = cluster_bootstrap(f, stat, cluster=unit, n_boot=n_boot, rng=rng)
        out.append(row(task, metric, attribute, g, v, lo, hi, n, higher_is_better))
    return out


def paired_difference_rows(
    frame: pd.DataFrame,
    column: str,
    *,
    task: str,
    metric: str,
    attribute: str,
    group_col: str,
    reference: str,
    unit: str = "pair_id",
    stimulus: str = "stimulus",
    n_boot: int = 1000,
    rng: np.random.Generator,
) -> list[dict]:
    """Difference rows, group ``g`` vs ``reference``, for every other group: the mean over
    units of (mean of ``column`` in g − mean in the reference), bootstrapped over whole
    stimuli (the ``stimulus`` column; without it, each unit is its own stimulus)."""
    wide = frame.pivot_table(index=unit, columns=group_col, values=column, aggfunc="mean")
    if reference not in wide:
        return []
    stim = None
    if stimulus in frame:
        stim = frame.drop_duplicates(unit).set_index(unit)[stimulus].astype(str)
    out = []
    for g in sorted(c for c in wide.columns if c != reference):
        diff = (wide[g] - wide[reference]).dropna()
        d = diff.to_numpy(dtype=float)
        if not len(d):
            continue
        clusters = None if stim is None else stim.reindex(diff.index).to_numpy()
        lo, hi = bootstrap_mean(d, clusters, n_boot=n_boot, rng=rng)
        out.append(
            row(
                task,
                metric,
                attribute,
                g,
                d.mean(),
                lo,
                hi,
                len(d),
                None,
                comparison="difference",
                reference=reference,
            )
        )
    return out


def spread_rows(
    frame: pd.DataFrame,
    column: str,
    *,
    task: str,
    metric: str,
    attribute: str,
    group_col: str,
    unit: str,
    n_boot: int = 1000,
    rng: np.random.Generator,
) -> list[dict]:
    """The range of ``metric``: the largest minus the smallest group mean of ``column`` (group
    ``max``, reference ``min``), the bootstrap over whole units (so that a counterfactual set
    stays together)."""
    codes, groups = pd.factorize(frame[group_col], sort=True)
    if len(groups) < 2:
        return []

    def stat(cols: dict[str, np.ndarray]) -> float:
        sums = np.bincount(cols["_g"], weights=cols[column].astype(float), minlength=len(groups))
        counts = np.bincount(cols["_g"], minlength=len(groups))
        means = sums[counts > 0] / counts[counts > 0]
        return float(means.max() - means.min()) if len(means) > 1 else float("nan")

    f = frame[[unit, column]].assign(_g=codes)
    v, lo, hi, n = cluster_bootstrap(f, stat, cluster=unit, n_boot=n_boot, rng=rng)
    return [
        row(task, metric, attribute, "max", v, lo, hi, n, False, comparison="difference",
            reference="min")
    ]  # fmt: skip
