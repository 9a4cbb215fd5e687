"""A task's report sections, declared beside its metrics: titles, captions and which rows of
the long metrics table each table shows. The report renders them; it names no task."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

# Where a section goes in report.md: ``gender`` before the audit of the augmented data,
# then ``benchmarks``, then ``culture`` (the paper's culture tasks).
ReportPart = Literal["gender", "benchmarks", "culture"]
REPORT_PARTS: tuple[ReportPart, ...] = ("gender", "benchmarks", "culture")

BENCHMARKS_TITLE = "Standard bias benchmarks"


def groups_present(rows: pd.DataFrame) -> list[str]:
    """The groups a table's rows have, sorted, ``all`` last; CrowS-Pairs' direction rows are
    left out (its table is by bias type)."""
    rows = rows[rows["attribute"] != "direction"]
    found = set(rows["group"])
    return sorted(found - {"all"}) + (["all"] if "all" in found else [])


@dataclass(frozen=True)
class ReportTable:
    """One table: ``metric`` per cell (rows) and group (columns), under ``caption``.

    ``groups`` is a list, or a function of the table's rows (its task and metric) giving
    one; a table whose function finds no group is left out. ``task=None`` is the declaring
    task; a name queries a companion task's rows (``hate`` also shows ``hate_probe``).
    ``pct`` shows values as percentages.
    """

    caption: str
    metric: str
    groups: tuple[str, ...] | Callable[[pd.DataFrame], list[str]]
    pct: bool = True
    task: str | None = None


@dataclass(frozen=True)
class ReportSection:
    """A section of report.md for a task whose rows are in the metrics table.

    ``note`` (text, or a function giving it) is printed under the title; ``figure`` names
    declared measures drawn against the bias ratio (``figures/<task>.png``); ``descriptive``
    adds the line saying the tables are per-run descriptions. ``spaced`` puts a blank line
    before the first caption too. Consecutive sections with the same title share one heading
    (the benchmarks). ``order`` sorts the sections within their ``part``, then the task name.
    """

    title: str
    tables: tuple[ReportTable, ...]
    part: ReportPart
    order: int = 0
    note: str | Callable[[], str] | None = None
    figure: tuple[str, ...] = ()
    descriptive: bool = False
    spaced: bool = False


def benchmark_section(order: int, *tables: ReportTable) -> ReportSection:
    """A standard benchmark's tables, under the benchmarks' shared heading."""
    return ReportSection(
        BENCHMARKS_TITLE, tables, "benchmarks", order, descriptive=True, spaced=True
    )
