"""The analysis step: the run's per-item files in, ``RUN/analysis/*.parquet`` out.

It runs after the last cell and before the report; the report and ``card.json`` read what
it wrote (running it first if the tables are missing). The ``trend``, ``significance``,
``ablation`` and ``calibrate`` commands run it again with the run's config, so their tables
reflect the per-item files as they are now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from biasinherit.analysis._data import MeasureData, collect_units, run_measures
from biasinherit.analysis._recommend import mitigation_effects, recommend
from biasinherit.analysis._tables import contrasts_table, levels_table, trend_table
from biasinherit.errors import BiasInheritError
from biasinherit.files import atomic_write_bytes, atomic_write_json, read_parquet
from biasinherit.layout import RunLayout
from biasinherit.stats import Measure

TABLES = ("units", "levels", "contrasts", "trend", "recommendation", "mitigations")


@dataclass(frozen=True)
class Plan:
    """Which measures a run is judged on: the headline bias measure, the other bias measures
    of the attribute, and the task-performance measure."""

    primary: str | None
    others: list[str]
    performance: str | None
    measures: list[Measure]


def plan(run_dir: str | Path) -> Plan:
    """The run's measures, from its config: the training task's first bias and performance
    measures lead; every declared bias measure of the attribute's tasks is a guard."""
    from biasinherit.bias import get_attribute
    from biasinherit.evaluate import get_task

    cfg = RunLayout(run_dir).config()
    tasks = list(cfg.evaluate.tasks)
    measures = run_measures(tasks)
    lead = get_attribute(cfg.attribute).task(cfg.augment.task).eval_task
    order = ([lead] if lead in tasks else []) + [t for t in tasks if t != lead]
    same_attr = [t for t in order if get_task(t).attribute == cfg.attribute]
    bias = [m for t in same_attr for m in get_task(t).measures if m.role == "bias"]
    perf = [m for t in same_attr for m in get_task(t).measures if m.role == "performance"]
    primary = bias[0].name if bias else None
    return Plan(
        primary=primary,
        others=[m.name for m in bias[1:]],
        performance=perf[0].name if perf else None,
        measures=measures,
    )


def measure_data(units: pd.DataFrame, measures: list[Measure]) -> dict[str, MeasureData]:
    present = set(units["measure"])
    return {m.name: MeasureData.from_units(m, units) for m in measures if m.name in present}


def analyze_run(
    run_dir: str | Path, *, alpha: float | None = None, max_cost: float | None = None
) -> dict[str, pd.DataFrame]:
    """Compute and write every analysis table of a run folder; returns them by name.

    ``alpha`` and ``max_cost`` default to the run's config (``analysis:``), so a command
    that recomputes the tables judges them as the run did.
    """
    layout = RunLayout(run_dir)
    a = layout.config().analysis
    alpha = a.alpha if alpha is None else alpha
    max_cost = a.max_cost if max_cost is None else max_cost
    p = plan(run_dir)
    units = collect_units(run_dir, p.measures)
    if units.empty:
        raise BiasInheritError(
            f"no per-item evaluations in {layout.root}",
            "run `biasinherit run` first (it writes RUN/eval/)",
        )
    mds = measure_data(units, p.measures)
    tables = {
        "units": units,
        "levels": levels_table(mds),
        "contrasts": contrasts_table(mds),
        "trend": trend_table(mds, p.primary, alpha),
    }
    effects = mitigation_effects(mds, alpha=alpha)
    if not effects.empty:
        tables["mitigations"] = effects
    if p.primary in mds:
        try:
            tables["recommendation"] = recommend(
                mds,
                primary=p.primary,
                others=[o for o in p.others if o in mds],
                performance=p.performance if p.performance in mds else None,
                alpha=alpha,
                max_cost=max_cost,
            )
        except BiasInheritError:
            pass  # no mitigations to compare: no recommendation table
    out = layout.analysis
    for name in TABLES:
        path = out / f"{name}.parquet"
        if name in tables:
            atomic_write_bytes(path, tables[name].to_parquet(index=False))
        elif path.exists():
            path.unlink()
    atomic_write_json(
        out / "plan.json",
        {
            "primary": p.primary,
            "others": p.others,
            "performance": p.performance,
            "alpha": alpha,
            "max_cost": max_cost,
        },
    )
    return tables


def load_analysis(run_dir: str | Path) -> dict[str, pd.DataFrame | dict]:
    """The tables the analysis step wrote (and ``plan``); runs it first if they are missing."""
    out = RunLayout(run_dir).analysis
    if not (out / "plan.json").exists():
        analyze_run(run_dir)
    tables: dict[str, pd.DataFrame | dict] = {
        n: read_parquet(
            out / f"{n}.parquet",
            what="analysis table",
            hint=f"delete {out} and run `biasinherit report {run_dir}`: it is recomputed",
        )
        for n in TABLES
        if (out / f"{n}.parquet").exists()
    }
    tables["plan"] = json.loads((out / "plan.json").read_text())
    return tables


def calibrate_run(
    run_dir: str | Path,
    *,
    n_trend: int | None = None,
    n_rule: int | None = None,
    seed: int = 0,
    alpha: float | None = None,
    max_cost: float | None = None,
    log=None,
) -> dict:
    """Calibrate the run's trend test and recommendation rule on its own data; writes
    ``RUN/analysis/calibration.json`` and returns it. A setting left None is the run's
    config's (``analysis:``)."""
    from biasinherit.analysis._calibrate import rule_calibration, trend_calibration

    a = RunLayout(run_dir).config().analysis
    n_trend = a.n_trend if n_trend is None else n_trend
    n_rule = a.n_rule if n_rule is None else n_rule
    alpha = a.alpha if alpha is None else alpha
    max_cost = a.max_cost if max_cost is None else max_cost
    p = plan(run_dir)
    tables = load_analysis(run_dir)
    mds = measure_data(tables["units"], p.measures)
    if log:
        log(f"trend test: {n_trend} A/A resamples and planted slopes")
    trend = trend_calibration(mds, n=n_trend, seed=seed, alpha=alpha)
    rule: dict = {}
    if "recommendation" in tables and p.primary in mds:
        if log:
            log(f"recommendation rule: {n_rule} A/A resamples")
        rule = rule_calibration(
            mds,
            primary=p.primary,
            others=[o for o in p.others if o in mds],
            performance=p.performance if p.performance in mds else None,
            n=n_rule,
            seed=seed,
            alpha=alpha,
            max_cost=max_cost,
        )
    out = {"trend": trend.to_dict(orient="records"), "rule": rule, "alpha": alpha, "seed": seed}
    atomic_write_json(RunLayout(run_dir).analysis / "calibration.json", out)
    return out
