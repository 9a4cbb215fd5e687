"""The mitigation ablation: each mitigation against ``none`` in the same (bias type, γ) cell.

Two tests, because two noises matter. Across seeds (``compare_mitigations``): the cell's
metric per seed, its mean with a t-interval over seeds, and the paired difference to
``none`` (same seed, same mix) with a paired t-test; with two seeds this has one degree of
freedom and little power, as it should. Across test items (``item_level_test``): the
per-item outcomes of both cells, paired on (seed, item), differenced and tested with a
one-sample t-test and a bootstrap interval; it captures item noise but not seed noise, so
it is read beside the first, not instead of it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from biasinherit.errors import BiasInheritError
from biasinherit.train._measures import Measure

CELL = ["bias_type", "ratio", "mitigation"]


def _t_interval(values: np.ndarray) -> tuple[float, float]:
    from scipy import stats

    if len(values) < 2:
        return float("nan"), float("nan")
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean() - half), float(values.mean() + half)


def compare_mitigations(
    metrics: pd.DataFrame,
    *,
    task: str,
    metric: str,
    group: str,
    baseline: str = "none",
) -> pd.DataFrame:
    """One row per (bias type, γ, mitigation): mean over seeds, t-interval, Δ vs baseline, p.

    The row of the metrics table is ``(task, metric, group)``, e.g. a measure's
    ``(m.task, m.metric, m.group)``.

    Examples
    --------
    >>> m = pd.DataFrame({"task": "t", "metric": "acc", "group": "all", "bias_type": "b",
    ...     "ratio": 0.5, "mitigation": ["none", "none", "x", "x"], "seed": [0, 1, 0, 1],
    ...     "value": [0.5, 0.7, 0.6, 0.9]})
    >>> r = compare_mitigations(m, task="t", metric="acc", group="all").set_index("mitigation")
    >>> round(float(r.loc["x", "delta"]), 3), round(float(r.loc["x", "p_seeds"]), 3)
    (0.15, 0.205)
    """
    from scipy import stats

    sel = metrics[
        (metrics["task"] == task)
        & (metrics["metric"] == metric)
        & (metrics["group"] == group)
        & (metrics["ratio"] > 0)
    ]
    out = []
    for (bt, ratio), frame in sel.groupby(["bias_type", "ratio"], sort=True):
        base = frame[frame["mitigation"] == baseline].set_index("seed")["value"]
        for mit, f in frame.groupby("mitigation", sort=False):
            v = f.set_index("seed")["value"]
            lo, hi = _t_interval(v.to_numpy(dtype=float))
            row = {
                "bias_type": bt,
                "ratio": ratio,
                "mitigation": mit,
                "n_seeds": len(v),
                "mean": float(v.mean()),
                "ci_low": lo,
                "ci_high": hi,
                "delta": np.nan,
                "delta_ci_low": np.nan,
                "delta_ci_high": np.nan,
                "p_seeds": np.nan,
            }
            common = sorted(set(v.index) & set(base.index))
            if mit != baseline and common:
                d = (v.loc[common] - base.loc[common]).to_numpy(dtype=float)
                row["delta"] = float(d.mean())
                row["delta_ci_low"], row["delta_ci_high"] = _t_interval(d)
                if len(d) > 1 and np.ptp(d) > 1e-9:  # identical differences: no test
                    row["p_seeds"] = float(stats.ttest_1samp(d, 0.0).pvalue)
            out.append(row)
    frame = pd.DataFrame(out)
    if frame.empty:
        return frame
    order = {m: i for i, m in enumerate([baseline, *sorted(set(frame["mitigation"]) - {baseline})])}
    return frame.sort_values(
        ["bias_type", "ratio", "mitigation"],
        key=lambda s: s.map(order) if s.name == "mitigation" else s,
    ).reset_index(drop=True)


def _per_item(run_dir: Path, cell_name: str, task: str) -> pd.DataFrame | None:
    path = run_dir / "eval" / cell_name / f"{task}.parquet"
    return pd.read_parquet(path) if path.exists() else None


def _cells(run_dirs: list[Path]) -> dict[tuple, tuple[Path, str]]:
    """(bias_type, ratio, mitigation, seed) -> (run folder, cell name), over several runs."""
    from biasinherit.config import load_config
    from biasinherit.runner import grid

    out = {}
    for d in run_dirs:
        if not (d / "config.yaml").exists():
            raise BiasInheritError(f"no config.yaml in {d}", "pass a run folder")
        for c in grid(load_config(d / "config.yaml")):
            if c.ratio > 0:
                out[(c.bias_type, c.ratio, c.mitigation, c.seed)] = (d, c.name)
    return out


def item_level_test(
    run_dirs: str | Path | list[str | Path],
    measure: Measure,
    *,
    baseline: str = "none",
    n_boot: int = 2000,
) -> pd.DataFrame:
    """Per-unit paired test of each mitigation against the baseline, seeds pooled.

    The unit is the measure's (a counterfactual pair, a base text, an item); units are
    matched on (seed, unit) between the mitigation's cell and the baseline's. Several run
    folders (e.g. one per seed) are read together. ``base`` is the baseline's mean of the
    measure over the same units, so that a reader sees how much gap there was to remove.
    """
    from scipy import stats

    dirs = [Path(d) for d in (run_dirs if isinstance(run_dirs, list) else [run_dirs])]
    cells = _cells(dirs)

    def units(where: tuple[Path, str] | None) -> pd.Series | None:
        items = None if where is None else _per_item(where[0], where[1], measure.items)
        return None if items is None else measure.units(items)

    rng = np.random.default_rng(0)
    out = []
    seeds = sorted({k[3] for k in cells})
    for bt, ratio, mit in sorted({k[:3] for k in cells if k[2] != baseline}, key=str):
        diffs, bases = [], []
        for s in seeds:
            ua = units(cells.get((bt, ratio, mit, s)))
            ub = units(cells.get((bt, ratio, baseline, s)))
            if ua is None or ub is None:
                continue
            common = ua.index.intersection(ub.index)
            diffs.append((ua.loc[common] - ub.loc[common]).to_numpy(dtype=float))
            bases.append(ub.loc[common].to_numpy(dtype=float))
        if not diffs or not sum(map(len, diffs)):
            continue
        d, b = np.concatenate(diffs), np.concatenate(bases)
        boot = d[rng.integers(0, len(d), (n_boot, len(d)))].mean(1)
        bboot = b[rng.integers(0, len(b), (n_boot, len(b)))].mean(1)
        p = float(stats.ttest_1samp(d, 0.0).pvalue) if np.ptp(d) > 1e-9 else float("nan")
        out.append(
            {
                "measure": measure.name,
                "bias_type": bt,
                "ratio": ratio,
                "mitigation": mit,
                "n_seeds": len(diffs),
                "n_units": len(d),
                "base": float(b.mean()),
                "base_ci_low": float(np.quantile(bboot, 0.025)),
                "base_ci_high": float(np.quantile(bboot, 0.975)),
                "delta": float(d.mean()),
                "delta_ci_low": float(np.quantile(boot, 0.025)),
                "delta_ci_high": float(np.quantile(boot, 0.975)),
                "p_items": p,
            }
        )
    return pd.DataFrame(out)
