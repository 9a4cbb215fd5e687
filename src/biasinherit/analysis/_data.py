"""From per-item files to arrays: one value per (cell, seed, stimulus) for every measure.

``collect_units`` reads each cell's per-item outputs once and applies the tasks' declared
measures (a row per unit); ``MeasureData`` holds one measure as an array
``y[cell, seed, stimulus]`` (the mean over the stimulus's units; NaN where a run is absent),
which levels, contrasts, slopes, and the calibration's resamples index directly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from biasinherit.files import read_parquet
from biasinherit.layout import UNTUNED, Cell, RunLayout
from biasinherit.stats import Measure

CELL_KEY = ["bias_type", "ratio", "mitigation", "round"]
UNIT_COLUMNS = ["measure", *CELL_KEY, "seed", "unit", "stimulus", "stratum", "value"]

Key = tuple[str, float, str, int]  # (bias_type, ratio, mitigation, round)


def run_measures(tasks: list[str]) -> list[Measure]:
    """The declared measures of these tasks, in declaration order."""
    from biasinherit.evaluate import get_task

    return [m for t in tasks for m in get_task(t).measures]


def collect_units(run_dir: str | Path, measures: list[Measure]) -> pd.DataFrame:
    """One row per (measure, cell, seed, unit) from the per-item files of every cell.

    The untuned model is the cell ``("untuned", NaN, "none", 1)`` with seed -1.
    """
    layout = RunLayout(run_dir)
    cells: list[Cell | None] = [None, *layout.cells()]
    frames = []
    for cell in cells:
        for task in sorted({m.task for m in measures}):
            path = layout.items(cell, task)
            if not path.exists():
                continue
            per_item = read_parquet(
                path,
                what="per-item outputs",
                hint=f"delete {path.parent} and rerun `biasinherit run` on this run folder: "
                "that cell alone is evaluated again",
            )
            for m in (m for m in measures if m.task == task):
                u = m.units(per_item)
                if u.empty:
                    continue
                key = (
                    (UNTUNED, np.nan, "none", 1, -1)
                    if cell is None
                    else (cell.bias_type, cell.ratio, cell.mitigation, cell.round, cell.seed)
                )
                frames.append(
                    u.assign(measure=m.name, **dict(zip([*CELL_KEY, "seed"], key, strict=True)))
                )
    if not frames:
        return pd.DataFrame(columns=UNIT_COLUMNS)
    return pd.concat(frames, ignore_index=True)[UNIT_COLUMNS]


@dataclass
class MeasureData:
    """One measure of one run as ``y[cell, seed, stimulus]`` (stimulus means of the units)."""

    measure: Measure
    cells: list[Key]
    seeds: np.ndarray
    stimuli: np.ndarray
    y: np.ndarray
    n_units: np.ndarray  # units per stimulus (the design's; from the first cell that has it)
    strata: np.ndarray

    @classmethod
    def from_units(cls, measure: Measure, units: pd.DataFrame) -> MeasureData:
        u = units[units["measure"] == measure.name]
        key = u[CELL_KEY].astype(object).where(u[CELL_KEY].notna(), None)
        u = u.assign(_cell=list(map(tuple, key.to_numpy())))
        cells = list(dict.fromkeys(u["_cell"]))
        seeds = np.array(sorted(u["seed"].unique()))
        stimuli = np.array(sorted(u["stimulus"].unique()))
        ci = {c: i for i, c in enumerate(cells)}
        si = {s: i for i, s in enumerate(seeds)}
        ti = {t: i for i, t in enumerate(stimuli)}
        g = u.groupby(["_cell", "seed", "stimulus"], sort=False)["value"].agg(["mean", "size"])
        y = np.full((len(cells), len(seeds), len(stimuli)), np.nan)
        idx = g.index.to_frame(index=False)
        y[idx["_cell"].map(ci), idx["seed"].map(si), idx["stimulus"].map(ti)] = g["mean"]
        first = g.reset_index().drop_duplicates("stimulus").set_index("stimulus")
        n_units = first["size"].reindex(stimuli).to_numpy(dtype=float)
        strata = u.drop_duplicates("stimulus").set_index("stimulus")["stratum"]
        return cls(measure, cells, seeds, stimuli, y, n_units, strata.reindex(stimuli).to_numpy())

    def index(self, cell: Key) -> int | None:
        for i, c in enumerate(self.cells):
            if c[0] == cell[0] and c[2] == cell[2] and c[3] == cell[3] and _same(c[1], cell[1]):
                return i
        return None

    def with_y(self, y: np.ndarray) -> MeasureData:
        """The same design with other values (calibration resamples)."""
        return replace(self, y=y)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None or (isinstance(a, float) and np.isnan(a)):
        return (a is None or np.isnan(a)) and (b is None or np.isnan(b))
    return abs(float(a) - float(b)) < 1e-9
