"""Group-data misalignment: who the generator writes about, per occupation.

Each text's group is detected by ``biasinherit.data`` (pronouns and group nouns, then first
names). The make-up of a corpus per occupation is compared with parity (chi-square goodness
of fit) and with the original data (chi-square test of homogeneity).
"""

from __future__ import annotations

import numpy as np

from biasinherit.bias import Attribute
from biasinherit.data import make_up, name_group, text_group  # noqa: F401  (re-exported)


def _chi2_parity(counts: np.ndarray) -> dict:
    from scipy.stats import chisquare

    n = int(counts.sum())
    if n == 0:
        return {"chi2": float("nan"), "p_value": float("nan")}
    res = chisquare(counts)  # expected: equal counts (parity)
    return {
        "chi2": float(res.statistic),
        "p_value": float(res.pvalue),
        "small_counts": bool(n / len(counts) < 5),
    }


def _chi2_vs(counts: np.ndarray, ref: np.ndarray) -> dict:
    from scipy.stats import chi2_contingency

    table = np.vstack([counts, ref])
    keep = table.sum(0) > 0
    table = table[:, keep]
    if table.shape[1] < 2 or (table.sum(1) == 0).any():
        return {"chi2": float("nan"), "p_value": float("nan")}
    chi2, p, dof, expected = chi2_contingency(table, correction=False)
    return {
        "chi2": float(chi2),
        "p_value": float(p),
        "dof": int(dof),
        "small_counts": bool((expected < 5).any()),
    }


def compare_make_up(
    generated: list[dict], original: list[dict], attribute: Attribute, *, by: str = "label"
) -> dict:
    """Per topic: generated and original make-up (combined detection), shares among texts
    with a detected group, and chi-square tests against parity and against the original.
    """
    gen, orig = make_up(generated, attribute, by=by), make_up(original, attribute, by=by)
    groups = list(attribute.groups)
    out = {}
    for topic in sorted(gen, key=lambda t: (t == "all", t)):
        g_counts = np.array([gen[topic]["combined"][g] for g in groups], dtype=float)
        o = orig.get(topic, {}).get("combined", {})
        o_counts = np.array([o.get(g, 0) for g in groups], dtype=float)
        known = g_counts.sum()
        out[topic] = {
            "generated": gen[topic],
            "original": orig.get(topic, {}),
            "share": {
                g: (float(c / known) if known else float("nan"))
                for g, c in zip(groups, g_counts, strict=True)
            },
            "original_share": {
                g: (float(c / o_counts.sum()) if o_counts.sum() else float("nan"))
                for g, c in zip(groups, o_counts, strict=True)
            },
            "n": int(sum(gen[topic]["combined"].values())),
            "n_detected": int(known),
            "vs_parity": _chi2_parity(g_counts),
            "vs_original": _chi2_vs(g_counts, o_counts),
        }
    return out
