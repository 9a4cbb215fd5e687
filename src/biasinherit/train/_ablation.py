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

CELL = ["bias_type", "ratio", "mitigation"]
# The occupation task's headline gap: stereotypical minus counter-stereotypical rendering.
STEREOTYPE_GAP = ("stereotypical", "anti-stereotypical")


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
    *,
    task: str = "occupation",
    outcome: str = "correct",
    gap: tuple[str, str] | None = ("female", "male"),
    cue: str | None = None,
    baseline: str = "none",
    n_boot: int = 2000,
) -> pd.DataFrame:
    """Per-item paired test of each mitigation against the baseline, seeds pooled.

    With ``gap`` the unit is a counterfactual pair (``pair_id``) and the value the group
    difference of ``outcome``; without, the unit is an item. Units are matched on
    (seed, unit) between the mitigation's cell and the baseline's. Several run folders (e.g.
    one per seed) are read together.
    """
    from scipy import stats

    dirs = [Path(d) for d in (run_dirs if isinstance(run_dirs, list) else [run_dirs])]
    cells = _cells(dirs)

    def units(where: tuple[Path, str] | None) -> pd.Series | None:
        if where is None:
            return None
        items = _per_item(where[0], where[1], task)
        if items is None:
            return None
        if cue is not None:
            items = items[items["cue"] == cue]
        if gap is None:
            return items.set_index("id")[outcome].astype(float)
        side = items["group"]
        if gap == STEREOTYPE_GAP:  # the pair's two renderings, by stereotypicality
            side = items["stereotypical"].map({True: gap[0], False: gap[1]})
        wide = items.assign(side=side).pivot_table(index="pair_id", columns="side", values=outcome)
        return (wide[gap[0]] - wide[gap[1]]).dropna()

    rng = np.random.default_rng(0)
    out = []
    seeds = sorted({k[3] for k in cells})
    for bt, ratio, mit in sorted({k[:3] for k in cells if k[2] != baseline}, key=str):
        diffs = []
        for s in seeds:
            ua = units(cells.get((bt, ratio, mit, s)))
            ub = units(cells.get((bt, ratio, baseline, s)))
            if ua is None or ub is None:
                continue
            common = ua.index.intersection(ub.index)
            diffs.append((ua.loc[common] - ub.loc[common]).to_numpy(dtype=float))
        if not diffs:
            continue
        d = np.concatenate(diffs)
        boot = d[rng.integers(0, len(d), (n_boot, len(d)))].mean(1)
        p = float(stats.ttest_1samp(d, 0.0).pvalue) if np.ptp(d) > 1e-9 else float("nan")
        out.append(
            {
                "bias_type": bt,
                "ratio": ratio,
                "mitigation": mit,
                "n_seeds": len(diffs),
                "n_units": len(d),
                "delta": float(d.mean()),
                "delta_ci_low": float(np.quantile(boot, 0.025)),
                "delta_ci_high": float(np.quantile(boot, 0.975)),
                "p_items": p,
            }
        )
    return pd.DataFrame(out)
