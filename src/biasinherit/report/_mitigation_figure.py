"""The ablation at a glance: each mitigation's change against ``none``, per γ, with the
item-level 95 % interval (a forest plot per measure)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from biasinherit.train._measures import Measure

RATIO_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]


def mitigation_figure(
    panels: list[tuple[Measure, pd.DataFrame]], path: Path, bias_type: str | None = None
) -> bool:
    """Write the forest plot of ``(measure, item_level_test frame)`` panels; False if empty."""
    panels = [(m, f) for m, f in panels if not f.empty]
    if not panels:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bias_type = bias_type or sorted(panels[0][1]["bias_type"].unique())[0]
    mits = sorted({x for _, f in panels for x in f["mitigation"]})
    ratios = sorted({r for _, f in panels for r in f["ratio"]})
    fig, axes = plt.subplots(
        1, len(panels), squeeze=False, figsize=(4.4 * len(panels), 0.45 * len(mits) + 1.6)
    )
    for ax, (m, frame) in zip(axes[0], panels, strict=True):
        scale = 100 if m.percent else 1
        f = frame[frame["bias_type"] == bias_type]
        for k, ratio in enumerate(ratios):
            s = f[f["ratio"] == ratio].set_index("mitigation").reindex(mits)
            y = [i + (k - (len(ratios) - 1) / 2) * 0.22 for i in range(len(mits))]
            lo = (s["delta"] - s["delta_ci_low"]) * scale
            hi = (s["delta_ci_high"] - s["delta"]) * scale
            base = s["base"].dropna()
            fmt = "{:+.1f}" if m.role == "bias" else "{:.1f}"
            label = f"γ = {ratio:.2f}" + (
                f" (none: {fmt.format(scale * base.iloc[0])})" if len(base) else ""
            )
            ax.errorbar(
                s["delta"] * scale, y, xerr=[lo, hi], fmt="o", color=RATIO_COLORS[k % 5],
                ms=4, capsize=2, label=label,
            )  # fmt: skip
        ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(range(len(mits)), mits, fontsize=8)
        ax.invert_yaxis()
        unit = "points" if m.percent else m.metric
        signs = set(np.sign(f["base"].dropna()))
        what = (
            "> 0 is better" if m.role != "bias"
            else "< 0 shrinks a positive gap" if signs == {1.0}
            else "> 0 shrinks a negative gap" if signs == {-1.0}
            else "towards the gap's zero shrinks it"
        )  # fmt: skip
        ax.set_xlabel(f"Δ vs none ({unit}; {what})", fontsize=8)
        ax.set_title(textwrap.fill(m.title, 52), fontsize=8.5)
        ax.grid(alpha=0.3, axis="x")
        ax.legend(fontsize=7)
    fig.suptitle(f"Mitigations against none, {bias_type}: item-level 95 % intervals", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return True
