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


# A table column: a group's own value, or ``(group, reference)``: the table's comparison
# (difference or ratio) of group with reference.
Column = str | tuple[str, str]


def groups_present(rows: pd.DataFrame) -> list[str]:
    """The groups a table's rows have values of, sorted, ``all`` last; CrowS-Pairs'
    direction rows are left out (its table is by bias type)."""
    rows = rows[rows["attribute"].ne("direction") & rows["comparison"].isna()]
    found = set(rows["group"])
    return sorted(found - {"all"}) + (["all"] if "all" in found else [])


def differences_present(rows: pd.DataFrame) -> list[tuple[str, str]]:
    """The ``(group, reference)`` differences a table's rows have, sorted."""
    rows = rows[rows["comparison"] == "difference"]
    return sorted(set(zip(rows["group"], rows["reference"], strict=True)))


@dataclass(frozen=True)
class ReportTable:
    """One table: ``metric`` per cell (rows) and group (columns), under ``caption``.

    ``columns``: each a group (its own value) or a pair ``(group, reference)``
    (the ``comparison`` of the two: ``difference`` or ``ratio``). It is a tuple, or a
    function of the table's rows (its task and metric) giving one; a table whose function
    finds no column is left out. ``task=None`` is the declaring task; a name queries a
    companion task's rows (``hate`` also shows ``hate_probe``). ``pct`` shows values as
    percentages.
    """

    caption: str
    metric: str
    columns: tuple[Column, ...] | Callable[[pd.DataFrame], list[Column]]
    pct: bool = True
    task: str | None = None
    comparison: Literal["difference", "ratio"] = "difference"


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
