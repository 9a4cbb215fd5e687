"""Evaluate: tasks as declarations in a registry, scorers, and the long metrics table.

Every number ends as a row: task, metric, attribute, group (and, for a comparison between
groups, comparison and reference), cell, value, CI, n.
"""

from biasinherit.evaluate._adjectives import DIMENSIONS
from biasinherit.evaluate._evaluate import evaluate_model, task_metrics
from biasinherit.evaluate._groups import CULTURE_TERMS, CULTURES, REFERENCE_CULTURE
from biasinherit.evaluate._metrics import COLUMNS, Metric, metric_rows, to_table
from biasinherit.evaluate._report_spec import (
    REPORT_PARTS,
    Column,
    ReportPart,
    ReportSection,
    ReportTable,
)
from biasinherit.evaluate._scoring import generate_greedy, score_options
from biasinherit.evaluate._tasks import TASKS, Task, get_task

__all__ = [
    "COLUMNS",
    "CULTURES",
    "Column",
    "CULTURE_TERMS",
    "DIMENSIONS",
    "REFERENCE_CULTURE",
    "REPORT_PARTS",
    "TASKS",
    "Metric",
    "ReportPart",
    "ReportSection",
    "ReportTable",
    "Task",
    "evaluate_model",
    "generate_greedy",
    "get_task",
    "metric_rows",
    "score_options",
    "task_metrics",
    "to_table",
]
