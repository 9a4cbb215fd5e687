"""The long metrics table: per-group values with bootstrap confidence intervals.

Metrics know nothing of groups: a metric is ``f(frame) -> float`` over per-item rows. The
table builder adds the grouping, the bootstrap and the derived gap between two groups
(paired over counterfactual pairs when the items have a ``pair_id``). These are rows of one
run: their intervals resample the run's test stimuli only; intervals across seeds come from
the analysis step (``biasinherit.analysis``).

A row is one metric of one group, as fairlearn's ``MetricFrame.by_group``; a comparison
between groups is a row of the same metric whose ``comparison`` column says how it compares
(``difference``: group − reference; ``ratio``: group / reference) and whose ``reference``
column names the other group, as ``MetricFrame.difference()`` / ``ratio()``. Besides the
groups themselves, ``group`` may be ``all`` (every item), and ``group``/``reference`` may be
``max`` or ``min`` (the best and worst group: ``max`` − ``min`` is the range).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from biasinherit.stats import bootstrap_mean, cluster_bootstrap

COLUMNS = [
    "task",
    "metric",
    "attribute",
    "group",
    "comparison",
    "reference",
    "bias_type",
    "ratio",
    "mitigation",
    "seed",
    "round",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "n_stimuli",
    "higher_is_better",
]


@dataclass(frozen=True)
class Metric:
    """A named statistic over per-item rows; ``column`` is averaged unless ``fn`` is given."""

    name: str
    column: str
    higher_is_better: bool | None = True
    fn: Callable[[pd.DataFrame], float] | None = None

    def __call__(self, frame: pd.DataFrame) -> float:
        if self.fn is not None:
            return float(self.fn(frame))
        vals = frame[self.column].dropna()
        return float(vals.mean()) if len(vals) else float("nan")


def _clusters(frame: pd.DataFrame) -> np.ndarray | None:
    """The stimulus of each row: the cluster an interval resamples (else each row alone)."""
    for col in ("stimulus", "pair_id"):
        if col in frame:
            return frame[col].astype(str).to_numpy()
    return None


def metric_rows(
    items: pd.DataFrame,
    metrics: list[Metric],
    *,
    task: str,
    attribute: str,
    group_col: str = "group",
    gap: tuple[str, str] | None = None,
    extra_groupings: tuple = (),
    n_boot: int = 1000,
    seed: int = 0,
) -> list[dict]:
    """Rows of the long table for one task's per-item frame (cell columns are added later).

    For each metric: the value over all items, per group of ``group_col`` and of each column
    in ``extra_groupings``, and for ``gap = (a, b)`` the difference a − b (``group`` a,
    ``comparison`` ``difference``, ``reference`` b).
    Intervals resample whole stimuli (the ``stimulus`` column, else the pair) within this
    one run; ``n_stimuli`` says how many.
    """
    rng = np.random.default_rng(seed)
    rows = []

    def add(metric: Metric, name: str, attr: str, group: str, frame: pd.DataFrame):
        col = frame[metric.column].to_numpy(dtype=float)
        clusters = _clusters(frame)
        lo, hi = (
            bootstrap_mean(col, clusters, n_boot=n_boot, rng=rng)
            if metric.fn is None
            else (np.nan, np.nan)
        )
        rows.append(
            {
                "task": task,
                "metric": name,
                "attribute": attr,
                "group": group,
                "comparison": None,
                "reference": None,
                "value": metric(frame),
                "ci_low": lo,
                "ci_high": hi,
                "n": int((~np.isnan(col)).sum()) if metric.fn is None else len(frame),
                "n_stimuli": _n_clusters(clusters, col),
                "higher_is_better": metric.higher_is_better,
            }
        )

    for m in metrics:
        add(m, m.name, attribute, "all", items)
        for col, attr in ((group_col, attribute), *extra_groupings):
            for g, frame in items.groupby(col, sort=True):
                add(m, m.name, attr, str(g), frame)
        if gap is None:
            continue
        a, b = gap
        fa, fb = items[items[group_col] == a], items[items[group_col] == b]
        value = m(fa) - m(fb)
        if "pair_id" in items and m.fn is None:
            # Paired: per counterfactual pair, so content differences cancel out; whole
            # stimuli resampled.
            wide = items.pivot_table(index="pair_id", columns=group_col, values=m.column)
            wide = wide.reindex(columns=[a, b]).dropna()  # a group may have no values at all
            d = (wide[a] - wide[b]).to_numpy(dtype=float)
            stim = None
            if "stimulus" in items:
                stim = items.drop_duplicates("pair_id").set_index("pair_id")["stimulus"]
                stim = stim.reindex(wide.index).astype(str).to_numpy()
            lo, hi = bootstrap_mean(d, stim, n_boot=n_boot, rng=rng)
            n, n_stim = len(d), _n_clusters(stim, d)
        else:
            both = items[items[group_col].isin([a, b])].dropna(subset=[m.column])

            def diff(c: dict, m=m, a=a, b=b) -> float:
                g, v = c[group_col], c[m.column].astype(float)
                return float(v[g == a].mean() - v[g == b].mean()) if len(set(g)) == 2 else np.nan

            cl = "stimulus" if "stimulus" in both else ("pair_id" if "pair_id" in both else None)
            frame = both if cl else both.assign(_row=np.arange(len(both)))
            _, lo, hi, n_stim = cluster_bootstrap(
                frame, diff, cluster=cl or "_row", n_boot=n_boot, rng=rng
            )
            n = len(both)
        rows.append(
            {
                "task": task,
                "metric": m.name,
                "attribute": attribute,
                "group": a,
                "comparison": "difference",
                "reference": b,
                "value": float(value),
                "ci_low": lo,
                "ci_high": hi,
                "n": n,
                "n_stimuli": n_stim,
                "higher_is_better": None,
            }
        )
    return rows


def _n_clusters(clusters: np.ndarray | None, values: np.ndarray) -> int:
    ok = ~np.isnan(np.asarray(values, dtype=float))
    return int(ok.sum()) if clusters is None else len(set(np.asarray(clusters)[ok]))


def to_table(rows: list[dict], **cell) -> pd.DataFrame:
    """Attach the cell (bias_type, ratio, mitigation, seed) and order the columns."""
    frame = pd.DataFrame(rows)
    for k, v in cell.items():
        frame[k] = v
    for c in COLUMNS:
        if c not in frame:
            frame[c] = None
    return frame[COLUMNS]
