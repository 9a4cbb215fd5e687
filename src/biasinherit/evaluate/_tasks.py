"""The task registry. A task declares its items, how it is scored, its metrics and its
report sections.

Adding a task is one new file in ``evaluate/tasks/`` that registers itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

import pandas as pd

from biasinherit.evaluate._report_spec import ReportSection
from biasinherit.registry import Registry
from biasinherit.stats import Measure

TASKS: Registry[type] = Registry("task", plugins="biasinherit.evaluate.tasks")


class Task:
    """Base of every task: ``items`` builds the test items, ``run`` scores them per item,
    ``metrics`` turns per-item rows into rows of the long table."""

    name: ClassVar[str]
    attribute: ClassVar[str]
    kind: ClassVar[Literal["choice", "generate"]]
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    # What the task is judged on (the first bias measure is its headline); the analysis
    # step tests these across seeds and stimuli.
    measures: ClassVar[tuple[Measure, ...]] = ()
    # Its sections of report.md, rendered when its rows are in the metrics table.
    report: ClassVar[tuple[ReportSection, ...]] = ()

    def items(self, *, n_per_group: int, seed: int) -> list[dict]:
        raise NotImplementedError

    def run(
        self, model, tok, items: list[dict], progress: Callable[[int], None] | None = None
    ) -> pd.DataFrame:
        raise NotImplementedError

    def metrics(self, per_item: pd.DataFrame, *, n_boot: int = 1000) -> list[dict]:
        raise NotImplementedError


def get_task(name: str) -> Task:
    return TASKS.get(name)()
