"""Views over the long metrics table: every table and figure is a query on it.

A view's columns are groups (their own values) or ``(group, reference)`` pairs (a comparison
row: difference or ratio), as a task's ``ReportTable`` declares them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from biasinherit.evaluate import Column

_SIGN = {"difference": "−", "ratio": "/"}


def select(metrics: pd.DataFrame, **where) -> pd.DataFrame:
    """Rows matching every ``column=value`` (a list means any of)."""
    mask = np.ones(len(metrics), dtype=bool)
    for k, v in where.items():
        mask &= metrics[k].isin(v if isinstance(v, list | tuple | set) else [v]).to_numpy()
    return metrics[mask]


def column_label(column: Column, comparison: str = "difference") -> str:
    """A column's heading: the group, or ``group − reference`` (``group / reference``)."""
    if isinstance(column, str):
        return column
    group, reference = column
    return f"{group} {_SIGN[comparison]} {reference}"


def column_rows(
    metrics: pd.DataFrame, columns: list[Column], comparison: str = "difference"
) -> pd.DataFrame:
    """The rows of the given columns, each labelled (``column``) by ``column_label``: a group
    names its own value (no comparison), a pair its ``comparison`` row."""
    plain = [c for c in columns if isinstance(c, str)]
    pairs = [c for c in columns if not isinstance(c, str)]
    level = metrics[metrics["comparison"].isna() & metrics["group"].isin(plain)]
    out = [level.assign(column=level["group"])]
    if pairs:
        cmp = metrics[metrics["comparison"] == comparison]
        keys = list(zip(cmp["group"], cmp["reference"], strict=True))
        wanted = {tuple(p) for p in pairs}
        keep = [k in wanted for k in keys]
        labels = [column_label(k, comparison) for k, ok in zip(keys, keep, strict=True) if ok]
        out.append(cmp[keep].assign(column=labels))
    return pd.concat(out, ignore_index=True)


def dose_response(
    metrics: pd.DataFrame,
    *,
    task: str,
    metric: str,
    columns: list[Column],
    attribute: str | None = None,
    comparison: str = "difference",
) -> pd.DataFrame:
    """Metric vs ratio per bias type and column (``column_rows``), mean over seeds, with the
    gamma = 0 cell (bias type 'none') copied into every bias type's curve.

    Descriptive: with one seed, ``ci_low``/``ci_high`` are that run's interval over its
    stimuli; with several, they are NaN and ``seed_sd`` is the spread across seeds (an
    average of per-seed bounds has no defined coverage; intervals over seeds × stimuli come
    from the analysis tables)."""
    rows = column_rows(select(metrics, task=task, metric=metric), columns, comparison)
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
    agg = frame.groupby(["bias_type", "mitigation", "ratio", "column"], as_index=False).agg(
        value=("value", "mean"),
        ci_low=("ci_low", "first"),
        ci_high=("ci_high", "first"),
        seed_sd=("value", "std"),
        seeds=("seed", "nunique"),
        n=("n", "first"),
    )
    several = agg["seeds"] > 1
    agg.loc[several, ["ci_low", "ci_high"]] = np.nan
    return agg.sort_values(["bias_type", "mitigation", "column", "ratio"])


def by_round(metrics: pd.DataFrame, *, task: str, metric: str, group: Column) -> pd.DataFrame:
    """Metric per self-augmentation round at the largest ratio, mean over seeds; ``group``
    is a column as in ``column_rows``."""
    if "round" not in metrics:
        return metrics.iloc[:0]
    rows = column_rows(select(metrics, task=task, metric=metric, mitigation="none"), [group])
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
    metrics: pd.DataFrame,
    task: str,
    metric: str,
    columns: list[Column],
    pct: bool = True,
    comparison: str = "difference",
) -> str:
    """A Markdown table of one metric per cell (rows) and column (``column_rows``), untuned
    first."""
    d = dose_response(metrics, task=task, metric=metric, columns=columns, comparison=comparison)
    if d.empty:
        return "_no rows_\n"
    labels = [column_label(c, comparison) for c in columns]
    head = "| bias type | γ | mitigation | " + " | ".join(labels) + " |\n"
    head += "|---|---|---|" + "---|" * len(labels) + "\n"
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
            for g in labels
        ]

    for bt, ratio, mit in order:  # by γ, `none` first within each γ
        by = cells_by.get_group((bt, ratio, mit)).set_index("column")
        lines.append(f"| {bt} | {ratio:.2f} | {mit} | " + " | ".join(cells(by)) + " |")
    untuned = column_rows(
        select(metrics, task=task, metric=metric, bias_type="untuned"), columns, comparison
    )
    if len(untuned):
        lines.insert(
            0,
            "| (untuned model) | – | – | " + " | ".join(cells(untuned.set_index("column"))) + " |",
        )
    return head + "\n".join(lines) + "\n"
