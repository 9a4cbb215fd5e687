"""The analysis tables of a run: levels per cell, contrasts with γ = 0, and the trend.

Every row carries the estimate, its interval, what the interval resamples and the counts
(``n_seeds``, ``n_stimuli``), so a report never shows an interval without its replication.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from biasinherit.analysis._data import Key, MeasureData
from biasinherit.analysis._estimates import contrast, level, slope
from biasinherit.stats import ALPHA, Estimate, Measure, benjamini_hochberg, holm

BASELINE: Key = ("none", 0.0, "none", 1)
VERDICTS = ("inherited", "reversed", "not detected", "inconclusive")


def _measure_cols(m: Measure) -> dict:
    return {
        "measure": m.name,
        "title": m.title,
        "role": m.role,
        "direction": m.direction,
        "percent": m.percent,
        "unit_label": m.unit_label,
    }


def _est_cols(e: Estimate | None) -> dict:
    if e is None:
        return {"value": np.nan, "n_seeds": 0, "n_stimuli": 0, "resamples": "not estimable"}
    return e.as_row()


def _cell_cols(key: Key) -> dict:
    bt, ratio, mit, rnd = key
    return {
        "bias_type": bt,
        "ratio": np.nan if ratio is None else float(ratio),
        "mitigation": mit,
        "round": int(rnd),
    }


def levels_table(mds: dict[str, MeasureData]) -> pd.DataFrame:
    """Every measure in every cell (mean over seeds), with its crossed interval."""
    rows = []
    for md in mds.values():
        for key in md.cells:
            e = level(md, key)
            rows.append({**_measure_cols(md.measure), **_cell_cols(key), **_est_cols(e)})
    return pd.DataFrame(rows)


def contrasts_table(mds: dict[str, MeasureData]) -> pd.DataFrame:
    """Every cell with γ > 0 minus the γ = 0 cell of the same seed, paired by stimulus;
    p-values corrected over the whole table (Holm and Benjamini–Hochberg)."""
    rows = []
    for md in mds.values():
        for key in md.cells:
            if key[0] in ("none", "untuned"):
                continue
            e = contrast(md, key, BASELINE)
            rows.append({**_measure_cols(md.measure), **_cell_cols(key), **_est_cols(e)})
    out = pd.DataFrame(rows)
    if len(out):
        p = out["p_value"].to_numpy(dtype=float)
        out["p_holm"], out["p_bh"] = holm(p), benjamini_hochberg(p)
    return out


def trend_cells(md: MeasureData, bias_type: str, mitigation: str = "none") -> list[Key]:
    """The cells of one dose-response curve: γ = 0, then the bias type's cells by γ."""
    own = sorted(
        (c for c in md.cells if c[0] == bias_type and c[2] == mitigation and c[3] == 1 and c[1]),
        key=lambda c: c[1],
    )
    return ([BASELINE] if md.index(BASELINE) is not None else []) + own


def verdict(e: Estimate | None, direction: int, p_adj: float, alpha: float = ALPHA) -> str:
    """inherited / reversed / not detected / inconclusive, for a trend or a contrast.

    ``inconclusive`` whenever training variance is unknown (one seed) or nothing could be
    estimated: a seed-free interval is never read as the whole uncertainty.
    """
    if e is None or not np.isfinite(e.se) or not e.training_variance_known:
        return "inconclusive"
    if p_adj < alpha:
        return "inherited" if direction == 0 or np.sign(e.value) == direction else "reversed"
    return "not detected"


def trend_table(
    mds: dict[str, MeasureData], primary: str | None, alpha: float = ALPHA
) -> pd.DataFrame:
    """The dose-response test per bias measure and bias type: the slope over γ of the
    measure (mitigation ``none``), its interval, p, the minimum detectable slope, and the
    verdict. ``change`` is the slope times the γ range.

    Two Holm families, as with a trial's primary and secondary endpoints: the pre-declared
    primary measure (the headline) is corrected over its bias types only, every other bias
    measure over all of theirs together. Correcting the headline for secondary measures
    would let adding a measure to ``evaluate.tasks`` withdraw a verdict on the headline."""
    rows = []
    for md in mds.values():
        m = md.measure
        if m.role != "bias":
            continue
        for bt in sorted({c[0] for c in md.cells} - {"none", "untuned"}):
            cells = trend_cells(md, bt)
            e = slope(md, cells) if len(cells) >= 2 else None
            ratios = [c[1] for c in cells]
            span = (max(ratios) - min(ratios)) if ratios else np.nan
            row = {
                **_measure_cols(m),
                "bias_type": bt,
                "mitigation": "none",
                "ratios": ", ".join(f"{r:g}" for r in ratios),
                "span": span,
                "primary": m.name == primary,
                **_est_cols(e),
            }
            for k in ("value", "ci_low", "ci_high", "mde"):
                row[f"change_{k}" if k != "value" else "change"] = row.get(k, np.nan) * span
            rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["family"] = np.where(out["primary"], "primary", "secondary")
    out["p_holm"] = np.nan
    for _, idx in out.groupby("family").groups.items():
        out.loc[idx, "p_holm"] = holm(out.loc[idx, "p_value"].to_numpy(dtype=float))
    out["verdict"] = [
        verdict(_as_estimate(r), int(r["direction"]), r["p_holm"], alpha) for _, r in out.iterrows()
    ]
    return out.sort_values(["primary", "measure", "bias_type"], ascending=[False, True, True])


def _as_estimate(r: pd.Series) -> Estimate | None:
    if not np.isfinite(r.get("se", np.nan)):
        return None
    fields = Estimate.__dataclass_fields__
    return Estimate(**{k: r[k] for k in fields})
