"""Measures: what a task is judged on, declared once and computed per test unit.

A measure turns one run's per-item outputs (``eval/<cell>/<task>.parquet``) into one value
per *unit* (a counterfactual pair, a base text, an item) and names the *stimulus* each unit
belongs to (the template sentence, base text or decision it was built from): the cluster
that intervals resample. A gap is the difference between two sides of a unit (a = female
rendering, b = male rendering, ...), optionally on the logit scale; ``balance`` names a
column whose levels get equal weight (e.g. the stereotype direction of the occupation, so
that four male-stereotyped occupations do not outweigh two female-stereotyped ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

Role = Literal["bias", "performance"]
EPS = 1e-6


def logit(p: np.ndarray | pd.Series) -> np.ndarray:
    """log(p / (1 − p)), clipped at ``EPS`` so a collapsed label stays finite.

    Examples
    --------
    >>> logit(np.array([0.5, 0.75])).round(4).tolist()
    [0.0, 1.0986]
    """
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Measure:
    """One quantity a task reports, with the levels it is replicated over.

    Parameters
    ----------
    name, title : str
        Its key (``--measure NAME``) and its heading.
    role : {"bias", "performance"}
        Bias measures are better near zero; performance measures are better high.
    task : str
        The per-item file (the task's name) it is computed from.
    outcome : str
        The per-item column.
    unit, stimulus : str
        Columns: what pairs items within a run; what cluster a unit belongs to.
    side_col, sides, side_map :
        The gap ``sides[0] − sides[1]`` per unit, sides read from ``side_col`` (values
        renamed by ``side_map``, unmapped rows dropped); no ``side_col``: the outcome itself.
    where : dict
        Filters on per-item rows (column -> value or list of values).
    balance : str, optional
        Column whose levels are weighted equally (strata).
    transform : {"identity", "logit"}
        Applied to the outcome before the gap.
    direction : {1, -1, 0}
        The sign that means *more bias* (stereotype-consistent); 0: either way.
    percent : bool
        Shown in points (× 100); else in the measure's own unit (``unit_label``).
    """

    name: str
    title: str
    role: Role
    task: str
    outcome: str
    unit: str = "id"
    stimulus: str = "stimulus"
    side_col: str | None = None
    sides: tuple[str, str] = ("", "")
    side_map: dict = field(default_factory=dict)
    where: dict = field(default_factory=dict)
    balance: str | None = None
    transform: Literal["identity", "logit"] = "identity"
    direction: Literal[1, -1, 0] = 1
    percent: bool = True
    unit_label: str = "points"

    def units(self, per_item: pd.DataFrame) -> pd.DataFrame:
        """One row per unit: ``unit, stimulus, stratum, value`` (NaN values dropped).

        Examples
        --------
        >>> m = Measure("g", "gap", "bias", "t", "p", unit="pair", side_col="side",
        ...             sides=("a", "b"))
        >>> per = pd.DataFrame({"pair": [0, 0, 1, 1], "stimulus": ["s", "s", "s", "s"],
        ...                     "side": ["a", "b", "a", "b"], "p": [0.9, 0.6, 0.5, 0.5]})
        >>> m.units(per)["value"].round(2).tolist()
        [0.3, 0.0]
        """
        frame = per_item
        for col, val in self.where.items():
            if col not in frame:
                return _empty()
            vals = val if isinstance(val, list | tuple | set) else [val]
            frame = frame[frame[col].isin(vals)]
        need = [self.unit, self.outcome, *([self.side_col] if self.side_col else [])]
        if frame.empty or any(c not in frame for c in need):
            return _empty()
        y = frame[self.outcome].astype(float)
        y = pd.Series(logit(y), index=frame.index) if self.transform == "logit" else y
        stim = frame[self.stimulus] if self.stimulus in frame else frame[self.unit]
        stratum = frame[self.balance] if self.balance else pd.Series("all", index=frame.index)
        base = pd.DataFrame(
            {
                "unit": frame[self.unit].astype(str),
                "stimulus": stim.astype(str),
                "stratum": stratum.astype(str),
                "y": y,
            }
        )
        if self.side_col is None:
            out = base.dropna(subset=["y"]).rename(columns={"y": "value"})
            return out.reset_index(drop=True)[["unit", "stimulus", "stratum", "value"]]
        side = frame[self.side_col]
        if self.side_map:
            side = side.map(self.side_map)
        base = base.assign(side=side.to_numpy()).dropna(subset=["side", "y"])
        a, b = self.sides
        wide = base.pivot_table(index="unit", columns="side", values="y", aggfunc="mean")
        if a not in wide or b not in wide:
            return _empty()
        gap = (wide[a] - wide[b]).dropna()
        info = base.drop_duplicates("unit").set_index("unit")[["stimulus", "stratum"]]
        out = info.loc[gap.index].assign(value=gap.to_numpy())
        return out.reset_index()[["unit", "stimulus", "stratum", "value"]]

    def value(self, per_item: pd.DataFrame) -> float:
        """The measure of one run: the mean over stimuli (strata weighted equally), as the
        analysis weighs them; NaN when the run has no unit of it."""
        from biasinherit.stats._crossed import stimulus_weights

        u = self.units(per_item)
        if u.empty:
            return float("nan")
        g = u.groupby("stimulus").agg(
            v=("value", "mean"), n=("value", "size"), k=("stratum", "first")
        )
        w = stimulus_weights(g["n"].to_numpy(), g["k"].to_numpy() if self.balance else None)
        return float(g["v"].to_numpy() @ w)

    def scale(self, x: float) -> float:
        """The value as shown (points for percent measures)."""
        return 100 * x if self.percent else x

    def fmt(self, x: float, signed: bool = True) -> str:
        """A value as text, with no '-0.0'."""
        if x is None or not np.isfinite(x):
            return "–"
        v = self.scale(x) + 0.0
        digits = 1 if self.percent else 3
        v = 0.0 if abs(v) < 0.5 * 10**-digits else v
        return f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}"


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["unit", "stimulus", "stratum", "value"])
