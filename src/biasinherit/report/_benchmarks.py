"""Report section for the standard bias benchmarks: descriptive per-run tables over the long
metrics table (their declared measures are tested with every other in the analysis
sections)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from biasinherit.report._views import DESCRIPTIVE, dose_table

# (task, metric, groups, title, percent?)
TABLES = [
    ("bbq", "bias_score_ambig", None, "BBQ bias score, ambiguous contexts (s_AMB)", False),
    ("bbq", "bias_score_disambig", None, "BBQ bias score, disambiguated contexts (s_DIS)", False),
    (
        "bbq",
        "accuracy_disambig",
        ["aligned", "conflicting"],
        "BBQ disambiguated accuracy (%)",
        True,
    ),
    ("crows_pairs", "stereotype_preference", None, "CrowS-Pairs stereotype preference (%)", True),
    ("discrim_eval", "p_yes_difference", None, "discrim-eval P(yes) gap to reference", False),
    ("bold", "sentiment_difference", None, "BOLD sentiment gap to reference", False),
]


def _groups(metrics: pd.DataFrame, task: str, metric: str) -> list[str]:
    sel = metrics[(metrics["task"] == task) & (metrics["metric"] == metric)]
    sel = sel[sel["attribute"] != "direction"]  # CrowS-Pairs: bias types only
    return sorted(set(sel["group"]) - {"all"}) + (["all"] if "all" in set(sel["group"]) else [])


def benchmark_sections(run_dir: str | Path, metrics: pd.DataFrame) -> list[str]:
    """Markdown parts for the benchmarks present in the metrics table, then significance."""

    parts = []
    tasks = set(metrics["task"])
    present = [t for t in TABLES if t[0] in tasks]
    if present:
        parts += ["\n## Standard bias benchmarks\n", DESCRIPTIVE]
    for task, metric, groups, title, pct in present:
        groups = groups or _groups(metrics, task, metric)
        if groups:
            parts += [f"\n{title}:\n", dose_table(metrics, task, metric, groups, pct=pct)]
    return parts
