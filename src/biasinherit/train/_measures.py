"""What the mitigation ablation compares: bias measures and task-performance measures.

A measure names one row of the long metrics table (task, metric, group), used for the test
across seeds, and says how to rebuild the same quantity per test unit from the per-item
files (``eval/<cell>/<task>.parquet``), used for the test across items: the unit that pairs
items (a counterfactual pair, a base text), the outcome column, and the two sides whose
difference is the gap (none: the outcome itself). Adding a measure is one entry below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from biasinherit.registry import Registry


@dataclass(frozen=True)
class Measure:
    """One quantity of the ablation.

    Parameters
    ----------
    name : str
        Its key (``biasinherit ablation --measure NAME``).
    title : str
        Heading in the report.
    role : {"bias", "performance"}
        Bias measures are better near zero; performance measures are better high.
    task, metric, group : str
        The row of the metrics table (seed-level test).
    items, outcome, unit : str
        Per-item file (task name), its outcome column, and the column pairing items.
    side_col : str or None
        Column whose values give the two sides of a gap; None: no gap, one unit per item.
    sides : tuple of str
        ``(a, b)``: the gap is a − b per unit.
    side_map : dict
        Values of ``side_col`` renamed before pairing (several framings pooled as one side);
        rows whose value is absent are dropped.
    where : dict
        Filters on the per-item rows (column -> value).
    percent : bool
        Shown in points (× 100).
    """

    name: str
    title: str
    role: Literal["bias", "performance"]
    task: str
    metric: str
    group: str
    items: str
    outcome: str
    unit: str = "id"
    side_col: str | None = None
    sides: tuple[str, str] = ("", "")
    side_map: dict = field(default_factory=dict)
    where: dict = field(default_factory=dict)
    percent: bool = True

    def units(self, per_item: pd.DataFrame) -> pd.Series:
        """The measure per test unit of one cell (index: the unit id).

        Examples
        --------
        >>> m = MEASURES.get("stereotype_gap")
        >>> per = pd.DataFrame({"pair_id": [0, 0], "p_true": [0.9, 0.6], "cue": "strong",
        ...     "stereotype": ["stereotypical", "anti-stereotypical"]})
        >>> round(float(m.units(per).loc[0]), 2)
        0.3
        """
        for col, val in self.where.items():
            per_item = per_item[per_item[col] == val]
        if self.side_col is None:
            return per_item.set_index(self.unit)[self.outcome].astype(float)
        side = per_item[self.side_col]
        if self.side_map:
            side = side.map(self.side_map)
        frame = per_item.assign(_side=side).dropna(subset=["_side"])
        wide = frame.pivot_table(index=self.unit, columns="_side", values=self.outcome)
        a, b = self.sides
        if a not in wide or b not in wide:
            return pd.Series(dtype=float)
        return (wide[a] - wide[b]).dropna()


STEREO = ("stereotypical", "anti-stereotypical")
FM = ("female", "male")


def _gender() -> list[Measure]:
    occ = {"items": "occupation", "unit": "pair_id"}
    weak = {"task": "occupation_weak", "where": {"cue": "weak"}}
    return [
        Measure("stereotype_gap", "Occupation: stereotype gap in P(true occupation) (points)",
                "bias", "occupation", "p_true_difference", "-".join(STEREO), outcome="p_true",
                side_col="stereotype", sides=STEREO, **occ),
        Measure("stereotype_gap_weak",
                "Occupation, weak-cue items: stereotype gap in P(true occupation) (points)",
                "bias", metric="p_true_difference", group="-".join(STEREO), outcome="p_true",
                side_col="stereotype", sides=STEREO, **occ, **weak),
        Measure("accuracy", "Occupation: accuracy (%)", "performance", "occupation", "accuracy",
                "all", "occupation", "correct"),
        Measure("gender_gap", "Occupation: female − male accuracy gap (points)", "bias",
                "occupation", "accuracy_difference", "female-male", outcome="correct",
                side_col="group", sides=FM, **occ),
        Measure("gender_gap_weak",
                "Occupation, weak-cue items: female − male accuracy gap (points)", "bias",
                metric="accuracy_difference", group="female-male", outcome="correct",
                side_col="group", sides=FM, **occ, **weak),
        Measure("gender_gap_p_true",
                "Occupation: female − male probability of the true occupation (points)", "bias",
                "occupation", "p_true_difference", "female-male", outcome="p_true",
                side_col="group", sides=FM, **occ),
        Measure("salary_gap", "Salary brackets: female − male gap in log expected salary",
                "bias", "salary_bracket", "log_expected_salary_difference", "female-male",
                "salary_bracket", "log_expected_salary", "pair_id", "group", FM, percent=False),
    ]  # fmt: skip


def _culture(task: str, positive: str, label: str) -> list[Measure]:
    def swap(cue: str, what: str) -> Measure:
        return Measure(
            f"{task}_{cue}_gap" if cue == "term" else f"{task}_gap",
            f"{label}: {what} framing − 'Someone wrote', P({positive}) (points)",
            "bias", task if cue == "name" else f"{task}_term", f"p_{positive}_difference",
            "all-none", task, "p_positive", "base_id", "cue", ("all", "none"),
            side_map={cue: "all", "none": "none"},
        )  # fmt: skip

    return [
        swap("name", "culture name"),
        swap("term", "culture group-term"),
        Measure(f"{task}_accuracy", f"{label}: accuracy on unframed texts (%)", "performance",
                task, "accuracy", "all", task, "correct", where={"cue": "none"}),
    ]  # fmt: skip


# Declaration order is priority: the first bias and performance measures a run has are the
# defaults of the report and of ``recommend``.
ORDER: list[Measure] = [
    *_gender(),
    *_culture("sentiment", "positive", "Sentiment"),
    *_culture("stress", "stress", "Stress"),
]
MEASURES: Registry[Measure] = Registry("ablation measure")
for _m in ORDER:
    MEASURES.add(_m.name, _m)


def get_measure(name: str) -> Measure:
    """A measure by name; an unknown name fails with a suggestion."""
    return MEASURES.get(name)


def measures_for(metrics: pd.DataFrame) -> list[Measure]:
    """The measures whose metrics-table row exists, in priority order."""
    keys = set(zip(metrics["task"], metrics["metric"], metrics["group"], strict=True))
    return [m for m in ORDER if (m.task, m.metric, m.group) in keys]
