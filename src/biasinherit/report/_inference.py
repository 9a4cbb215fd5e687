"""Report sections drawn from the analysis tables: the dose-response headline (first), the
trend table and figure, every measure per cell, and the changes against γ = 0.

Every interval is printed with what it resamples and its counts (seeds × stimuli); a
one-seed run says that training variance is unknown instead of showing a seed-free
interval as the whole uncertainty.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from biasinherit.files import save_figure
from biasinherit.stats import Measure

VERDICT_WORDS = {
    "inherited": "Inherited",
    "reversed": "Reversed",
    "not detected": "Not detected",
    "inconclusive": "Inconclusive",
}


def row_measure(r: pd.Series) -> Measure:
    """A stand-in Measure for formatting a row (percent or own unit)."""
    return Measure(
        r["measure"],
        r.get("title", ""),
        r.get("role", "bias"),
        "",
        "",
        percent=bool(r["percent"]),
        unit_label=r.get("unit_label", "points"),
    )


def _unit(r: pd.Series) -> str:
    return "points" if r["percent"] else str(r.get("unit_label", ""))


def fmt_ci(r: pd.Series, value: str = "value", lo: str = "ci_low", hi: str = "ci_high") -> str:
    m = row_measure(r)
    if not np.isfinite(r.get(value, np.nan)):
        return "–"
    ci = "" if not np.isfinite(r.get(lo, np.nan)) else f" [{m.fmt(r[lo])}, {m.fmt(r[hi])}]"
    return f"{m.fmt(r[value])}{ci}"


def _lower(title: str) -> str:
    """A title inside a sentence: first letter lower case (keeps 'P(true occupation)')."""
    return title[:1].lower() + title[1:]


def _p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def load_calibration(run_dir: Path) -> dict:
    path = run_dir / "analysis" / "calibration.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _cal_row(cal: dict, measure: str, bias_type: str) -> dict | None:
    for r in cal.get("trend", []):
        if r["measure"] == measure and r["bias_type"] == bias_type:
            return r
    return None


def headline_sentences(trend: pd.DataFrame, cal: dict | None = None) -> list[str]:
    """One sentence per bias type on the primary measure: the verdict, the change from the
    lowest to the highest γ with its interval, p, the replication, and the MDE."""
    cal = cal or {}
    rows = trend[trend["primary"]] if "primary" in trend and trend["primary"].any() else trend
    out = []
    for _, r in rows.iterrows():
        m = row_measure(r)
        word = VERDICT_WORDS.get(r["verdict"], r["verdict"])
        gammas = [float(x) for x in str(r["ratios"]).split(", ") if x]
        lo_g, hi_g = (min(gammas), max(gammas)) if gammas else (0.0, 0.0)
        if not np.isfinite(r.get("se", np.nan)):
            out.append(
                f"**{word}** ({r['bias_type']}): {r['title']} could not be estimated "
                f"({r['resamples']})."
            )
            continue
        known = bool(r["training_variance_known"])
        why = "" if known else " One seed: training variance is unknown, so no verdict; run "
        why += "" if known else "two or more seeds (`--set seeds=[0,1,2]`)."
        c = _cal_row(cal, r["measure"], r["bias_type"])
        fpr = (
            (
                " Measured false-positive rate of this test: "
                f"{100 * c['false_positive_rate']:.1f} % "
                f"[{100 * c['fpr_ci_low']:.1f}, {100 * c['fpr_ci_high']:.1f}] over "
                f"{c['n_resamples']} A/A resamples."
            )
            if c
            else ""
        )
        # the planted-slope MDE once calibrated (the analytic one is optimistic with few seeds)
        mde = (
            f"{m.fmt(c['empirical_mde'] * r['span'], signed=False)} {_unit(r)} with 80 % power "
            f"(planted in A/A data; analytic {m.fmt(r['change_mde'], signed=False)})"
            if c and np.isfinite(c.get("empirical_mde", np.nan))
            else f"{m.fmt(r['change_mde'], signed=False)} {_unit(r)} with 80 % power"
        )
        out.append(
            f"**{word}.** With `{r['bias_type']}` augmentation, {_lower(r['title'])} changes by "
            f"**{m.fmt(r['change'])} {_unit(r)}** from γ = {lo_g:g} to {hi_g:g} "
            f"(95 % CI [{m.fmt(r['change_ci_low'])}, {m.fmt(r['change_ci_high'])}], "
            f"Holm p = {_p(r['p_holm'])}; {r['resamples']}). This design detects a change of "
            f"{mde}.{fpr}{why}"
        )
    return out


def trend_figure(levels: pd.DataFrame, trend: pd.DataFrame, path: Path) -> bool:
    """The primary measure against γ per bias type: each cell's level with its crossed
    interval, and the fitted slope through the γ = 0 level."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    prim = trend[trend["primary"]] if trend["primary"].any() else trend.head(1)
    if prim.empty:
        return False
    fig, axes = plt.subplots(1, len(prim), figsize=(4.6 * len(prim), 3.4), squeeze=False)
    for ax, (_, r) in zip(axes[0], prim.iterrows(), strict=True):
        m = row_measure(r)
        lv = levels[
            (levels["measure"] == r["measure"])
            & (levels["mitigation"] == "none")
            & (levels["round"] == 1)
            & levels["bias_type"].isin(["none", r["bias_type"]])
        ].sort_values("ratio")
        x = lv["ratio"].to_numpy(dtype=float)
        y = np.array([m.scale(v) for v in lv["value"]])
        lo = np.array([m.scale(v) for v in lv["ci_low"]])
        hi = np.array([m.scale(v) for v in lv["ci_high"]])
        ax.errorbar(
            x,
            y,
            yerr=[y - lo, hi - y],
            fmt="o",
            color="#bf360c",
            capsize=3,
            label="cell mean, 95 % CI (seeds × stimuli)",
        )
        if np.isfinite(r.get("value", np.nan)) and len(x):
            b = m.scale(r["value"])
            x0 = x.mean()
            xs = np.linspace(x.min(), x.max(), 20)
            ax.plot(
                xs,
                y.mean() + b * (xs - x0),
                "-",
                color="#424242",
                label=f"fit: change {fmt_ci(r, 'change', 'change_ci_low', 'change_ci_high')} "
                f"{_unit(r)}",
            )
        un = levels[(levels["measure"] == r["measure"]) & (levels["bias_type"] == "untuned")]
        for _, u in un.iterrows():
            ax.axhline(m.scale(u["value"]), color="grey", ls=":", lw=1, label="untuned model")
            # axhline does not widen the limits: keep the untuned level inside the frame
            ax.plot([x.min() if len(x) else 0.0], [m.scale(u["value"])], alpha=0)
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_title(
            f"{VERDICT_WORDS.get(r['verdict'], r['verdict'])}: {r['bias_type']}", fontsize=9
        )
        ax.set_xlabel("bias ratio γ")
        ax.set_ylabel(f"{r['measure']} ({_unit(r)})", fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)
    return True


def trend_section(run_dir: Path, tables: dict) -> list[str]:
    trend = tables.get("trend")
    if trend is None or trend.empty:
        return []
    cal = load_calibration(run_dir)
    parts = ["## Does the model inherit the bias? (dose-response over γ)\n"]
    parts += [s + "\n" for s in headline_sentences(trend, cal)]
    if trend_figure(tables["levels"], trend, run_dir / "figures" / "trend.png"):
        parts.append("![the headline measure against γ](figures/trend.png)\n")
    parts += [
        "Every declared bias measure: the change from the lowest to the highest γ (the "
        "least-squares slope over γ times the γ range; mitigation `none`), 95 % interval over "
        "seeds × stimuli (crossed), the smallest change this design detects with 80 % power, "
        "and Holm's correction in two families: the headline measure over its bias types, "
        "every other measure over all of theirs together.\n",
        "| measure | bias type | change [95 % CI] | p | Holm p | MDE (80 %) | seeds × stimuli "
        "| verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for _, r in trend[trend["n_seeds"] > 0].iterrows():
        m = row_measure(r)
        parts.append(
            f"| {r['measure']}{' (headline)' * bool(r['primary'])} | {r['bias_type']} | "
            f"{fmt_ci(r, 'change', 'change_ci_low', 'change_ci_high')} {_unit(r)} | "
            f"{_p(r.get('p_value'))} | {_p(r.get('p_holm'))} | "
            f"{m.fmt(r.get('change_mde', np.nan), signed=False)} | "
            f"{int(r['n_seeds'])} × {int(r['n_stimuli'])} | {r['verdict']} |"
        )
    if cal.get("trend"):
        parts.append(
            "\nCalibration (`biasinherit calibrate`): false-positive rate of the trend test on "
            "A/A resamples of this run (every effect removed, whole runs' residuals redrawn), "
            "and the planted slope detected 80 % of the time:\n"
        )
        parts += [
            "| measure | bias type | false-positive rate [MC 95 %] | empirical MDE |",
            "|---|---|---|---|",
        ]
        for c in cal["trend"]:
            row = trend[(trend["measure"] == c["measure"]) & (trend["bias_type"] == c["bias_type"])]
            span = float(row["span"].iloc[0]) if len(row) else 1.0
            m = row_measure(row.iloc[0]) if len(row) else None
            mde = m.fmt(c["empirical_mde"] * span, signed=False) if m else "–"
            parts.append(
                f"| {c['measure']} | {c['bias_type']} | {100 * c['false_positive_rate']:.1f} % "
                f"[{100 * c['fpr_ci_low']:.1f}, {100 * c['fpr_ci_high']:.1f}] "
                f"(n = {c['n_resamples']}) | {mde} |"
            )
    return parts + [""]


def levels_section(tables: dict, measures: list[str] | None = None) -> list[str]:
    """One table per measure: its level in every cell with the crossed interval."""
    levels = tables.get("levels")
    if levels is None or levels.empty:
        return []
    parts = [
        "\n## Every measure per cell\n",
        "Means over seeds; 95 % intervals over seeds × stimuli (crossed); the untuned "
        "model has no training, so its interval covers stimuli only.\n",
    ]
    names = measures or list(dict.fromkeys(levels["measure"]))
    for name in names:
        lv = levels[levels["measure"] == name]
        if lv.empty:
            continue
        r0 = lv.iloc[0]
        parts += [
            f"\n**{r0['title']}** (`{name}`, {_unit(r0)}):\n",
            "| bias type | γ | mitigation | value [95 % CI] | seeds × stimuli |",
            "|---|---|---|---|---|",
        ]
        order = lv.assign(
            _u=lv["bias_type"] != "untuned",
            _n=lv["mitigation"] != "none",
            _r=lv["ratio"].fillna(-1),
        )
        order = order.sort_values(["_u", "round", "_r", "bias_type", "_n", "mitigation"])
        for _, r in order.iterrows():
            g = "–" if not np.isfinite(r["ratio"]) else f"{r['ratio']:.2f}"
            bt = "(untuned model)" if r["bias_type"] == "untuned" else r["bias_type"]
            k = f" (round {int(r['round'])})" if r["round"] > 1 else ""
            parts.append(
                f"| {bt}{k} | {g} | {r['mitigation']} | {fmt_ci(r)} | "
                f"{int(r['n_seeds'])} × {int(r['n_stimuli'])} |"
            )
    return parts + [""]


def contrasts_section(tables: dict, alpha: float = 0.05, max_rows: int = 40) -> list[str]:
    c = tables.get("contrasts")
    if c is None or c.empty:
        return []
    hits = c[c["p_bh"] < alpha].sort_values("p_bh")
    parts = [
        "\n## Changes against γ = 0\n",
        f"{len(c)} comparisons of a cell with the γ = 0 cell of the same seed, paired by "
        "stimulus, tested over seeds × stimuli and corrected over the run "
        f"(Benjamini–Hochberg): {len(hits)} below {alpha}. All: `analysis/contrasts.parquet`.\n",
    ]
    if hits.empty:
        return parts
    parts += [
        "| measure | bias type | γ | mitigation | change [95 % CI] | p (BH) | seeds × stimuli |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in hits.head(max_rows).iterrows():
        parts.append(
            f"| {r['measure']} | {r['bias_type']} | {r['ratio']:.2f} | "
            f"{r['mitigation']} | {fmt_ci(r)} {_unit(r)} | {_p(r['p_bh'])} | "
            f"{int(r['n_seeds'])} × {int(r['n_stimuli'])} |"
        )
    return parts + [""]
