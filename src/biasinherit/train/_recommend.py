"""A recommendation drawn from the ablation: which mitigation to use, per bias type and γ.

Rule (stated in the report so that a reader can disagree with it): a mitigation *reduces*
the bias measure when its item-level change against ``none`` leaves a smaller gap, with a
Holm-corrected p below ``alpha`` (corrected over the mitigations of the cell) and no seed
moving it the other way; it *increases* it when the change is significant and leaves a larger
gap, away from zero or past it (a reversal: the other group now favoured, by more). It is
*costly* when the task-performance measure falls by more than ``max_cost`` with a 95 %
interval below zero. The recommendation is the reducing, not costly mitigation with the
largest reduction of the gap's size; with none, ``none`` (nothing earned its cost).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from biasinherit.errors import BiasInheritError
from biasinherit.train._ablation import item_level_test
from biasinherit.train._measures import Measure, get_measure, measures_for


def _per_seed_delta(metrics: pd.DataFrame, m: Measure, baseline: str) -> pd.DataFrame:
    """Per (bias type, γ, mitigation, seed): the measure minus the baseline's, same seed."""
    sel = metrics[
        (metrics["task"] == m.task)
        & (metrics["metric"] == m.metric)
        & (metrics["group"] == m.group)
        & (metrics["ratio"] > 0)
    ]
    wide = sel.pivot_table(
        index=["bias_type", "ratio", "seed"], columns="mitigation", values="value"
    )
    if baseline not in wide:
        return pd.DataFrame(columns=["bias_type", "ratio", "mitigation", "seed", "d"])
    d = wide.sub(wide[baseline], axis=0).drop(columns=baseline)
    return d.stack().rename("d").reset_index()


def load_metrics(run_dirs: list[Path]) -> pd.DataFrame:
    frames = []
    for d in run_dirs:
        if not (d / "metrics.parquet").exists():
            raise BiasInheritError(f"no metrics in {d}", "run `biasinherit run` first")
        frames.append(pd.read_parquet(d / "metrics.parquet"))
    return pd.concat(frames, ignore_index=True)


def recommend(
    run_dirs: str | Path | list[str | Path],
    *,
    bias: str | None = None,
    performance: str | None = None,
    alpha: float = 0.05,
    max_cost: float = 0.02,
    baseline: str = "none",
) -> pd.DataFrame:
    """Every mitigation's verdict per (bias type, γ), and the recommended one.

    Parameters
    ----------
    run_dirs : path or list of paths
        Run folder(s) of an ablation (mitigations including ``none``).
    bias, performance : str, optional
        Measure names (``biasinherit ablation --list-measures``); default the first of each
        role that the runs measured (the stereotype gap; accuracy).
    alpha : float
        Level of the Holm-corrected item-level test.
    max_cost : float
        Largest tolerated fall of the performance measure (0.02 = 2 points).
    """
    from biasinherit.evaluate._significance import holm

    dirs = [Path(d) for d in (run_dirs if isinstance(run_dirs, list) else [run_dirs])]
    metrics = load_metrics(dirs)
    present = measures_for(metrics)
    mb = get_measure(bias) if bias else next((m for m in present if m.role == "bias"), None)
    mp = (
        get_measure(performance)
        if performance
        else next((m for m in present if m.role == "performance"), None)
    )
    if mb is None:
        raise BiasInheritError(
            "no bias measure in these runs", "pass --measure NAME (see --list-measures)"
        )
    items = item_level_test(dirs, mb, baseline=baseline)
    if items.empty:
        raise BiasInheritError(
            f"no cells of {baseline!r} and another mitigation to compare",
            "run an ablation, e.g. --preset ablation",
        )
    perf = item_level_test(dirs, mp, baseline=baseline) if mp else pd.DataFrame()
    seeds = _per_seed_delta(metrics, mb, baseline)
    key = ["bias_type", "ratio", "mitigation"]
    perf = perf.set_index(key) if not perf.empty else perf
    rows = []
    for (bt, ratio), cell in items.groupby(["bias_type", "ratio"], sort=True):
        p_holm = holm(cell["p_items"].fillna(1.0).to_numpy(dtype=float))
        for (_, r), ph in zip(cell.iterrows(), p_holm, strict=True):
            base, delta = r["base"], r["delta"]
            after = base + delta
            s = seeds[
                (seeds["bias_type"] == bt)
                & (seeds["ratio"] == ratio)
                & (seeds["mitigation"] == r["mitigation"])
            ]["d"]
            agree = int((np.sign(s) == np.sign(delta)).sum())
            k = (bt, ratio, r["mitigation"])
            pr = perf.loc[k] if len(perf) and k in perf.index else None
            cost = pr is not None and pr["delta"] < -max_cost and pr["delta_ci_high"] < 0
            significant = ph < alpha and agree == len(s)
            verdict = "no clear effect"
            # Judged by the gap's size after: overshooting zero into a larger gap of the other
            # sign is not a reduction.
            if significant and abs(after) < abs(base):
                verdict = "reduces"
            elif significant and abs(after) > abs(base):
                verdict = "increases"
            rows.append(
                {
                    "bias_type": bt,
                    "ratio": ratio,
                    "mitigation": r["mitigation"],
                    "measure": mb.name,
                    "base": base,
                    "base_ci_low": r["base_ci_low"],
                    "base_ci_high": r["base_ci_high"],
                    "after": after,
                    "delta": delta,
                    "delta_ci_low": r["delta_ci_low"],
                    "delta_ci_high": r["delta_ci_high"],
                    "p_items": r["p_items"],
                    "p_holm": float(ph),
                    "seeds_agree": f"{agree}/{len(s)}",
                    "reduction": abs(base) - abs(after),
                    "reversed": bool(np.sign(after) == -np.sign(base) and abs(after) > abs(base)),
                    "performance_measure": mp.name if mp else None,
                    "perf_delta": pr["delta"] if pr is not None else np.nan,
                    "perf_ci_low": pr["delta_ci_low"] if pr is not None else np.nan,
                    "perf_ci_high": pr["delta_ci_high"] if pr is not None else np.nan,
                    "costly": bool(cost),
                    "verdict": verdict,
                }
            )
    out = pd.DataFrame(rows)
    out["recommended"] = False
    for _, cell in out.groupby(["bias_type", "ratio"]):
        ok = cell[(cell["verdict"] == "reduces") & ~cell["costly"]]
        if len(ok):
            out.loc[ok["reduction"].idxmax(), "recommended"] = True
    return out


def _pts(x: float, m: Measure, signed: bool = True) -> str:
    v = (100 * x if m.percent else x) + 0.0  # + 0.0: no "-0.0"
    v = 0.0 if abs(v) < (0.05 if m.percent else 0.0005) else v
    fmt = ("{:+.1f}" if signed else "{:.1f}") if m.percent else ("{:+.3f}" if signed else "{:.3f}")
    return fmt.format(v)


def recommendation_lines(frame: pd.DataFrame) -> list[str]:
    """One plain sentence per (bias type, γ), for the report and the command line."""
    from biasinherit.train._measures import get_measure

    lines = []
    for (bt, ratio), cell in frame.groupby(["bias_type", "ratio"], sort=True):
        m = get_measure(cell["measure"].iloc[0])
        r0 = cell.iloc[0]
        gap = f"{_pts(r0['base'], m)} [{_pts(r0['base_ci_low'], m)}, {_pts(r0['base_ci_high'], m)}]"
        unit = " points" * m.percent
        head = f"**{bt}, γ = {ratio:.2f}** (`{m.name}` with `none`: {gap}{unit})"
        best = cell[cell["recommended"]]
        worse = ", ".join(
            f"`{r['mitigation']}`" + (f" (reversed, to {_pts(r['after'], m)})" * r["reversed"])
            for _, r in cell[cell["verdict"] == "increases"].iterrows()
        )
        tail = f" {worse} made it significantly larger." if worse else ""
        if best.empty:
            costly = cell[(cell["verdict"] == "reduces") & cell["costly"]]
            why = (
                f"only {', '.join(f'`{x}`' for x in costly['mitigation'])} reduced it, at a "
                "task-performance cost beyond the tolerance"
                if len(costly)
                else "no mitigation reduced it significantly"
            )
            lines.append(f"- {head}: keep `none`; {why}.{tail}")
            continue
        b = best.iloc[0]
        cost = ""
        if not np.isnan(b["perf_delta"]):
            pm = get_measure(b["performance_measure"])
            cost = (
                f", {pm.name} change {_pts(b['perf_delta'], pm)} "
                f"[{_pts(b['perf_ci_low'], pm)}, {_pts(b['perf_ci_high'], pm)}]"
            )
        lines.append(
            f"- {head}: use `{b['mitigation']}`: gap {_pts(b['after'], m)} "
            f"(Δ {_pts(b['delta'], m)} [{_pts(b['delta_ci_low'], m)}, "
            f"{_pts(b['delta_ci_high'], m)}], Holm p = {b['p_holm']:.3g}, seeds "
            f"{b['seeds_agree']} the same way){cost}.{tail}"
        )
    return lines


def _names_where(cell: pd.DataFrame):  # noqa: ANN202
    return lambda mask: ", ".join(cell.loc[mask, "mitigation"]) or "–"


def verdict_table(run_dirs: str | Path | list[str | Path], **kw) -> pd.DataFrame:
    """Every bias measure the runs have, per (bias type, γ): the pick, what reduced the gap
    and what increased it (same rule as :func:`recommend`)."""
    dirs = [Path(d) for d in (run_dirs if isinstance(run_dirs, list) else [run_dirs])]
    rows = []
    for m in measures_for(load_metrics(dirs)):
        if m.role != "bias":
            continue
        try:
            frame = recommend(dirs, bias=m.name, **kw)
        except BiasInheritError:
            continue
        for (bt, ratio), cell in frame.groupby(["bias_type", "ratio"], sort=True):
            names = _names_where(cell)
            rows.append(
                {
                    "measure": m.name,
                    "bias_type": bt,
                    "ratio": ratio,
                    "gap_with_none": cell["base"].iloc[0],
                    "pick": names(cell["recommended"]) if cell["recommended"].any() else "none",
                    "reduces": names(cell["verdict"] == "reduces"),
                    "increases": names(cell["verdict"] == "increases"),
                    "percent": m.percent,
                }
            )
    return pd.DataFrame(rows)
