"""Views over the long metrics table: every table and figure is a query on it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def select(metrics: pd.DataFrame, **where) -> pd.DataFrame:
    """Rows matching every ``column=value`` (a list means any of)."""
    mask = np.ones(len(metrics), dtype=bool)
    for k, v in where.items():
        mask &= metrics[k].isin(v if isinstance(v, list | tuple | set) else [v]).to_numpy()
    return metrics[mask]


def dose_response(
    metrics: pd.DataFrame,
    *,
    task: str,
    metric: str,
    groups: list[str],
    attribute: str | None = None,
) -> pd.DataFrame:
    """Metric vs ratio per bias type and group, mean over seeds, with the gamma = 0 cell
    (bias type 'none') copied into every bias type's curve.

    Descriptive: with one seed, ``ci_low``/``ci_high`` are that run's interval over its
    stimuli; with several, they are NaN and ``seed_sd`` is the spread across seeds (an
    average of per-seed bounds has no defined coverage; intervals over seeds × stimuli come
    from the analysis tables)."""
    rows = select(metrics, task=task, metric=metric, group=groups)
    if attribute:
        rows = rows[rows["attribute"] == attribute]
    rows = rows[rows["bias_type"] != "untuned"]
    if "round" in rows:  # later self-augmentation rounds have their own view
        rows = rows[rows["round"].fillna(1) == 1]
    base = rows[rows["bias_type"] == "none"]
    out = [rows[rows["bias_type"] != "none"]]
    for bt in rows.loc[rows["bias_type"] != "none", "bias_type"].unique():
        out.append(base.assign(bias_type=bt))
    frame = pd.concat(out, ignore_index=True)
    agg = frame.groupby(["bias_type", "mitigation", "ratio", "group"], as_index=False).agg(
        value=("value", "mean"),
        ci_low=("ci_low", "first"),
        ci_high=("ci_high", "first"),
        seed_sd=("value", "std"),
        seeds=("seed", "nunique"),
        n=("n", "first"),
    )
    several = agg["seeds"] > 1
    agg.loc[several, ["ci_low", "ci_high"]] = np.nan
    return agg.sort_values(["bias_type", "mitigation", "group", "ratio"])


def by_round(metrics: pd.DataFrame, *, task: str, metric: str, group: str) -> pd.DataFrame:
    """Metric per self-augmentation round at the largest ratio, mean over seeds."""
    if "round" not in metrics:
        return metrics.iloc[:0]
    rows = select(metrics, task=task, metric=metric, group=group, mitigation="none")
    rows = rows[rows["bias_type"].ne("untuned") & rows["bias_type"].ne("none")]
    rows = rows.assign(round=rows["round"].fillna(1).astype(int))
    later = rows[rows["round"] > 1]
    if later.empty:
        return later
    rows = rows[rows["ratio"] == later["ratio"].max()]
    agg = rows.groupby(["bias_type", "round"], as_index=False).agg(
        value=("value", "mean"),
        ci_low=("ci_low", "first"),
        ci_high=("ci_high", "first"),
        seed_sd=("value", "std"),
        seeds=("seed", "nunique"),
    )
    agg.loc[agg["seeds"] > 1, ["ci_low", "ci_high"]] = np.nan  # see dose_response
    return agg


def fmt_value(v: float, lo: float, hi: float, pct: bool, sd: float = float("nan")) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    f = (lambda x: f"{100 * x:.1f}") if pct else (lambda x: f"{x:.3f}")
    if sd is not None and not math.isnan(sd):
        return f"{f(v)} ± {f(sd)}"
    ci = "" if lo is None or math.isnan(lo) else f" [{f(lo)}, {f(hi)}]"
    return f"{f(v)}{ci}"


DESCRIPTIVE = (
    "_Descriptive, per run: with one seed the bracket resamples that run's stimuli; with "
    "several seeds a value is the mean ± SD across seeds. Tests and intervals over seeds × "
    "stimuli are in the sections above._\n"
)


def dose_table(
    metrics: pd.DataFrame, task: str, metric: str, groups: list[str], pct: bool = True
) -> str:
    """A Markdown table of one metric per cell (rows) and group (columns), untuned first."""
    d = dose_response(metrics, task=task, metric=metric, groups=groups)
    if d.empty:
        return "_no rows_\n"
    head = "| bias type | γ | mitigation | " + " | ".join(groups) + " |\n"
    head += "|---|---|---|" + "---|" * len(groups) + "\n"
    lines = []
    cells_by = d.groupby(["bias_type", "ratio", "mitigation"], sort=False)
    order = sorted(cells_by.groups, key=lambda k: (k[0], k[1], k[2] != "none", k[2]))

    def cells(by: pd.DataFrame) -> list[str]:
        return [
            fmt_value(
                by.loc[g, "value"],
                by.loc[g, "ci_low"],
                by.loc[g, "ci_high"],
                pct,
                by.loc[g, "seed_sd"] if "seed_sd" in by else float("nan"),
            )
            if g in by.index
            else "–"
            for g in groups
        ]

    for bt, ratio, mit in order:  # by γ, `none` first within each γ
        by = cells_by.get_group((bt, ratio, mit)).set_index("group")
        lines.append(f"| {bt} | {ratio:.2f} | {mit} | " + " | ".join(cells(by)) + " |")
    untuned = select(metrics, task=task, metric=metric, group=groups, bias_type="untuned")
    if len(untuned):
        lines.insert(
            0, "| (untuned model) | – | – | " + " | ".join(cells(untuned.set_index("group"))) + " |"
        )
    return head + "\n".join(lines) + "\n"
