"""The ablation at a glance: each mitigation's change against ``none``, per γ, with its
95 % interval over seeds × stimuli (a forest plot per measure)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from biasinherit.files import save_figure

RATIO_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]


def mitigation_figure(
    effects: pd.DataFrame, measures: list[str], path: Path, bias_type: str
) -> bool:
    """Forest plot of ``analysis/mitigations`` rows for ``measures``; False if empty."""
    eff = effects[(effects["bias_type"] == bias_type) & effects["measure"].isin(measures)]
    panels = [m for m in measures if (eff["measure"] == m).any()]
    if not panels:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mits = sorted(set(eff["mitigation"]))
    ratios = sorted(set(eff["ratio"]))
    fig, axes = plt.subplots(
        1, len(panels), squeeze=False, figsize=(4.4 * len(panels), 0.45 * len(mits) + 1.6)
    )
    for ax, name in zip(axes[0], panels, strict=True):
        f = eff[eff["measure"] == name]
        r0 = f.iloc[0]
        scale = 100 if r0["percent"] else 1
        for k, ratio in enumerate(ratios):
            s = f[f["ratio"] == ratio].set_index("mitigation").reindex(mits)
            y = [i + (k - (len(ratios) - 1) / 2) * 0.22 for i in range(len(mits))]
            lo = (s["value"] - s["ci_low"]) * scale
            hi = (s["ci_high"] - s["value"]) * scale
            base = s["base"].dropna()
            fmt = "{:+.1f}" if r0["percent"] else "{:+.3f}"
            label = f"γ = {ratio:.2f}" + (
                f" (none: {fmt.format(scale * base.iloc[0])})" if len(base) else ""
            )
            ax.errorbar(
                s["value"] * scale,
                y,
                xerr=[lo, hi],
                fmt="o",
                color=RATIO_COLORS[k % 5],
                ms=4,
                capsize=2,
                label=label,
            )
        ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(range(len(mits)), mits, fontsize=8)
        ax.invert_yaxis()
        unit = "points" if r0["percent"] else r0["unit_label"]
        signs = set(np.sign(f["base"].dropna()))
        what = (
            "> 0 is better"
            if r0["role"] != "bias"
            else "< 0 shrinks a positive gap"
            if signs == {1.0}
            else "> 0 shrinks a negative gap"
            if signs == {-1.0}
            else "towards the gap's zero shrinks it"
        )
        ax.set_xlabel(f"Δ vs none ({unit}; {what})", fontsize=8)
        ax.set_title(textwrap.fill(str(r0["title"]), 52), fontsize=8.5)
        ax.grid(alpha=0.3, axis="x")
        ax.legend(fontsize=7)
    fig.suptitle(
        f"Mitigations against none, {bias_type}: 95 % intervals over seeds × stimuli", fontsize=9
    )
    fig.tight_layout()
    save_figure(fig, path)
    return True
