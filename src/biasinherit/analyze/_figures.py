"""Audit figures (PNG, written atomically): 2-D projection, value similarity, group make-up."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from biasinherit.files import save_figure

PALETTE = ["#1565c0", "#c2185b", "#ef6c00", "#2e7d32", "#6a1b9a", "#00838f", "#795548", "#9e9d24"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def pca_2d(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project rows of ``z`` on their first two principal components (numpy SVD).

    Returns the (n, 2) coordinates and the share of variance of each component.
    """
    c = z - z.mean(0)
    _, s, vt = np.linalg.svd(c, full_matrices=False)
    var = s**2 / max((s**2).sum(), 1e-12)
    return c @ vt[:2].T, var[:2]


def projection_figure(
    coords: np.ndarray, labels: list[str], var: np.ndarray, path: Path, *, max_points: int = 3000
) -> None:
    """Scatter of original (grey) and augmented texts (one colour per bias type)."""
    plt = _plt()
    rng = np.random.default_rng(0)
    idx = np.arange(len(labels))
    if len(idx) > max_points:
        idx = np.sort(rng.choice(idx, max_points, replace=False))
    labels_arr = np.array(labels)
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    kinds = ["original"] + sorted(set(labels) - {"original"})
    for i, kind in enumerate(kinds):
        sel = idx[labels_arr[idx] == kind]
        color = "#9e9e9e" if kind == "original" else PALETTE[(i - 1) % len(PALETTE)]
        ax.scatter(coords[sel, 0], coords[sel, 1], s=9, alpha=0.6, color=color, label=kind)
    ax.set_xlabel(f"PC1 ({100 * var[0]:.0f} % of variance)")
    ax.set_ylabel(f"PC2 ({100 * var[1]:.0f} % of variance)")
    ax.set_title("Original vs augmented text (all-MiniLM-L6-v2, PCA)", fontsize=10)
    ax.legend(fontsize=7, markerscale=1.5)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)


def values_figure(values: dict, path: Path) -> None:
    """Similarity to each country's real answers, persona = that country, with 95 % CIs."""
    plt = _plt()
    sim = values["similarity"]
    countries = list(sim)
    v = np.array([sim[c]["value"] for c in countries])
    lo = v - np.array([sim[c]["ci_low"] for c in countries])
    hi = np.array([sim[c]["ci_high"] for c in countries]) - v
    base = [values["uniform_baseline"][c] for c in countries]
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    x = np.arange(len(countries))
    ax.bar(x, v, yerr=[lo, hi], color=PALETTE[0], alpha=0.8, capsize=4, label="generator")
    ax.scatter(x, base, color="black", marker="_", s=400, label="uniform answers", zorder=3)
    ax.set_xticks(x, countries)
    ax.set_ylim(0, 1)
    ax.set_ylabel("1 − JS distance")
    ax.set_title("Value similarity to real WVS answers (persona = country)", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    save_figure(fig, path)


def groups_figure(groups: dict, group_names: list[str], path: Path) -> None:
    """Per occupation: share of each group in the original data vs the neutral generations."""
    plt = _plt()
    topics = sorted(groups, key=lambda t: (t == "all", t))
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(topics)), 3.6))
    x = np.arange(len(topics))
    width = 0.38
    first = group_names[0]
    gen = [groups[t]["share"].get(first, np.nan) for t in topics]
    orig = [groups[t]["original_share"].get(first, np.nan) for t in topics]
    ax.bar(x - width / 2, orig, width, color="#9e9e9e", label="original")
    ax.bar(x + width / 2, gen, width, color=PALETTE[1], label="generated (neutral prompt)")
    for i, t in enumerate(topics):
        ax.text(x[i] + width / 2, 0.02, f"n={groups[t]['n_detected']}", ha="center", fontsize=6)
    ax.axhline(0.5, color="black", lw=0.8, ls="--")
    ax.set_xticks(x, topics, rotation=25, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"share {first} (of detected)")
    ax.set_title("Group make-up per occupation", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)


def _p_label(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "p<0.001" if p < 0.001 else f"p={p:.2g}"


def distribution_figure(dist: dict, path: Path) -> None:
    """MMD² and C2ST AUC per bias type (all groups), horizontal bars with their p-values."""
    plt = _plt()
    bts = list(dist)
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 1.2 + 0.36 * len(bts)), sharey=True)
    y = np.arange(len(bts))
    for ax, key, stat, label in (
        (axes[0], "mmd", "mmd2", "MMD² (RBF, median width)"),
        (axes[1], "c2st", "auc", "C2ST AUC (5-fold; 0.5 = indistinguishable)"),
    ):
        # A bias type with too few rows has no test ("not enough data"): an empty bar.
        tests = [dist[b].get("all", {}).get(key) or {} for b in bts]
        vals = np.array([t.get(stat, np.nan) for t in tests], dtype=float)
        ps = [t.get("p_value", np.nan) for t in tests]
        ax.barh(y, vals, color=PALETTE[: len(bts)] or PALETTE[0], height=0.7)
        top = np.nanmax(vals) if np.isfinite(vals).any() else 1.0
        for i, (v, p) in enumerate(zip(vals, ps, strict=True)):
            if np.isfinite(v):
                ax.text(v + 0.01 * top, i, _p_label(p), va="center", fontsize=7)
        ax.set_yticks(y, bts, fontsize=7)
        ax.set_title(label, fontsize=9)
        if key == "c2st":
            ax.axvline(0.5, color="black", lw=0.8, ls="--")
            ax.set_xlim(0, 1.2)
        else:
            ax.set_xlim(0, top * 1.3 if top > 0 else 1)
        ax.grid(alpha=0.3, axis="x")
    axes[0].invert_yaxis()  # first bias type on top (the axes share y: invert once)
    fig.suptitle("Original vs augmented, per bias type", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
