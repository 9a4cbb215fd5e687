"""Which mitigation to use: a rule that cannot recommend harm.

Per (bias type, γ), every mitigation X is compared with ``none`` on every declared bias
measure and on the performance measure, paired by seed and stimulus (seeds × stimuli
crossed; never items pooled across seeds). X is *recommended* only if all hold:

1. on the primary bias measure, the change is significant after Holm's correction over
   every (bias type, γ, mitigation) the rule considers, and it leaves a smaller gap of the
   same sign (a gap whose sign flips is *reversed*, never reduced);
2. on every other declared bias measure, X does not make the gap larger, or flip it, with
   an interval that excludes no change;
3. the performance cost is bounded: the lower end of the interval of the change in the
   performance measure lies above ``-max_cost`` (non-inferiority, not "no significant
   loss");
4. the seeds' training variance is known (two seeds or more).

Among the mitigations that pass, the one with the smallest remaining gap is picked. The
reduction is also stated against the γ = 0 level: the share of the inherited part
(``none`` at γ minus γ = 0) that X removes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from biasinherit.analysis._data import Key, MeasureData
from biasinherit.analysis._estimates import contrast, level
from biasinherit.analysis._tables import BASELINE
from biasinherit.errors import BiasInheritError
from biasinherit.stats import ALPHA, holm

MAX_COST = 0.02


def _worse(base: float, delta, alpha_ok: bool) -> bool:
    """A change that leaves a larger gap or flips its sign, with an interval excluding 0."""
    if delta is None or not alpha_ok:
        return False
    after = base + delta.value
    excludes = delta.ci_low > 0 or delta.ci_high < 0
    return bool(excludes and (abs(after) > abs(base) or np.sign(after) == -np.sign(base)))


def recommend(
    mds: dict[str, MeasureData],
    *,
    primary: str,
    others: list[str],
    performance: str | None,
    alpha: float = ALPHA,
    max_cost: float = MAX_COST,
    baseline: str = "none",
) -> pd.DataFrame:
    """One row per (bias type, γ, mitigation) with its verdict; ``recommended`` marks the
    pick of each (bias type, γ). Raises when there is nothing to compare."""
    md = mds[primary]
    blocks = sorted(
        {
            (c[0], c[1])
            for c in md.cells
            if c[2] != baseline and c[3] == 1 and c[0] not in ("none", "untuned")
        }
    )
    if not blocks:
        raise BiasInheritError(
            f"no mitigation besides {baseline!r} to compare",
            "run an ablation, e.g. --preset ablation",
        )
    rows = []
    for bt, ratio in blocks:
        base_key: Key = (bt, ratio, baseline, 1)
        L = level(md, base_key)
        inherited = contrast(md, base_key, BASELINE)
        for x in sorted({c[2] for c in md.cells if c[:2] == (bt, ratio)} - {baseline}):
            key: Key = (bt, ratio, x, 1)
            d = contrast(md, key, base_key)
            if d is None or L is None:
                raise BiasInheritError(
                    f"{x!r} and {baseline!r} at {bt}, γ = {ratio:g} share no seed and stimulus",
                    "run both on the same seeds (rerun the run to finish missing cells)",
                )
            row = {
                "bias_type": bt,
                "ratio": ratio,
                "mitigation": x,
                "measure": primary,
                "base": L.value,
                "base_ci_low": L.ci_low,
                "base_ci_high": L.ci_high,
                "inherited": inherited.value if inherited else np.nan,
                "inherited_ci_low": inherited.ci_low if inherited else np.nan,
                "inherited_ci_high": inherited.ci_high if inherited else np.nan,
                "after": L.value + d.value,
                "delta": d.value,
                "delta_ci_low": d.ci_low,
                "delta_ci_high": d.ci_high,
                "p_value": d.p_value,
                "n_seeds": d.n_seeds,
                "n_stimuli": d.n_stimuli,
                "resamples": d.resamples,
                "known": d.training_variance_known,
            }
            row["share_removed"] = (
                -d.value / inherited.value if inherited and abs(inherited.value) > 0 else np.nan
            )
            worse = []
            for name in others:
                o = mds.get(name)
                if o is None or o.index(key) is None:
                    continue
                lo, do = level(o, base_key), contrast(o, key, base_key)
                if lo is not None and _worse(lo.value, do, True):
                    worse.append(name)
            row["worsens"] = ", ".join(worse)
            p = mds.get(performance) if performance else None
            dp = contrast(p, key, base_key) if p is not None else None
            row |= {
                "performance_measure": performance,
                "perf_delta": dp.value if dp else np.nan,
                "perf_ci_low": dp.ci_low if dp else np.nan,
                "perf_ci_high": dp.ci_high if dp else np.nan,
            }
            row["non_inferior"] = bool(
                dp is not None and dp.training_variance_known and dp.ci_low > -max_cost
            )
            rows.append(row)
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out["p_value"].fillna(1.0).to_numpy(dtype=float))
    out["verdict"] = [_verdict(r, alpha) for _, r in out.iterrows()]
    out["reduction"] = out["base"].abs() - out["after"].abs()
    ok = (out["verdict"] == "reduces") & out["non_inferior"] & (out["worsens"] == "")
    out["eligible"] = ok
    out["recommended"] = False
    for _, block in out[ok].groupby(["bias_type", "ratio"]):
        out.loc[block["reduction"].idxmax(), "recommended"] = True
    return out


def _verdict(r: pd.Series, alpha: float) -> str:
    if not r["known"]:
        return "inconclusive"
    if not r["p_holm"] < alpha:
        return "no clear effect"
    base, after = r["base"], r["after"]
    if np.sign(after) == -np.sign(base) and base != 0:
        return "reverses"
    return "reduces" if abs(after) < abs(base) else "increases"


def why_not(r: pd.Series) -> str:
    """Why a mitigation was not picked, in a few words."""
    if r["verdict"] != "reduces":
        return r["verdict"]
    if not r["non_inferior"]:
        return "cost not excluded"
    return f"worsens {r['worsens']}"


def mitigation_effects(
    mds: dict[str, MeasureData], *, alpha: float = ALPHA, baseline: str = "none"
) -> pd.DataFrame:
    """Every mitigation against ``baseline`` on every measure, per (bias type, γ): the change,
    its crossed interval and, per measure (Holm over that measure's comparisons), whether
    it reduces, increases or reverses the gap (performance: whether it helps or costs)."""
    rows = []
    for md in mds.values():
        m = md.measure
        for bt, ratio, mit, rnd in md.cells:
            if mit == baseline or rnd != 1 or bt in ("none", "untuned"):
                continue
            base_key: Key = (bt, ratio, baseline, 1)
            lv, d = level(md, base_key), contrast(md, (bt, ratio, mit, 1), base_key)
            if lv is None or d is None:
                continue
            rows.append(
                {
                    "measure": m.name,
                    "title": m.title,
                    "role": m.role,
                    "percent": m.percent,
                    "unit_label": m.unit_label,
                    "bias_type": bt,
                    "ratio": ratio,
                    "mitigation": mit,
                    "base": lv.value,
                    "after": lv.value + d.value,
                    **d.as_row(),
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["p_holm"] = np.nan
    for _, idx in out.groupby("measure").groups.items():
        out.loc[idx, "p_holm"] = holm(out.loc[idx, "p_value"].fillna(1.0).to_numpy(dtype=float))
    out["known"] = out["training_variance_known"]
    out["verdict"] = [
        _verdict(r, alpha) if r["role"] == "bias" else _perf_verdict(r, alpha)
        for _, r in out.iterrows()
    ]
    return out


def _perf_verdict(r: pd.Series, alpha: float) -> str:
    if not r["known"]:
        return "inconclusive"
    if not r["p_holm"] < alpha:
        return "no clear effect"
    return "helps" if r["value"] > 0 else "costs"
