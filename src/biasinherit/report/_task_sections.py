"""The tasks' own report sections: each task declares them (``Task.report``), this renders
the declarations of the tasks present in the metrics table with ``dose_table``. A task name
the registry does not know (a run made by an older version) has no section."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from biasinherit.evaluate import TASKS, ReportPart, ReportSection
from biasinherit.files import save_figure
from biasinherit.report._views import DESCRIPTIVE, dose_table


def measures_figure(levels: pd.DataFrame, names: list[str], path: Path) -> bool:
    """Measures against γ, one row of panels per bias type, 95 % bands over seeds × stimuli
    (mitigation none), the untuned model dotted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lv = levels[levels["measure"].isin(names) & (levels["round"] == 1)]
    names = [n for n in names if (lv["measure"] == n).any()]
    bias_types = sorted(set(lv["bias_type"]) - {"none", "untuned"})
    if not names or not bias_types:
        return False
    fig, axes = plt.subplots(
        len(bias_types),
        len(names),
        squeeze=False,
        figsize=(4.0 * len(names), 3.1 * len(bias_types)),
    )
    for i, bt in enumerate(bias_types):
        for j, name in enumerate(names):
            ax = axes[i][j]
            d = lv[
                (lv["measure"] == name)
                & (lv["mitigation"] == "none")
                & lv["bias_type"].isin(["none", bt])
            ].sort_values("ratio")
            sc = 100 if d["percent"].any() else 1
            ax.plot(d["ratio"], d["value"] * sc, "o-", color="#bf360c")
            ax.fill_between(
                d["ratio"], d["ci_low"] * sc, d["ci_high"] * sc, color="#bf360c", alpha=0.15
            )
            u = lv[(lv["measure"] == name) & (lv["bias_type"] == "untuned")]
            if len(u):
                ax.axhline(
                    float(u["value"].iloc[0]) * sc, color="grey", ls=":", lw=1, label="untuned"
                )
                ax.legend(fontsize=7)
            ax.axhline(0, color="grey", lw=0.6)
            ax.set_title(f"{name}\n{bt}", fontsize=9)
            ax.set_xlabel("bias ratio γ")
            ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)
    return True


def declared_sections(tasks: set[str], part: ReportPart) -> list[tuple[str, ReportSection]]:
    """(task, section) for the registered tasks among ``tasks``, in one part of the report,
    by declared order, then task name, then declaration order."""
    found = [
        (s.order, name, i, s)
        for name in sorted(tasks)
        if name in TASKS
        for i, s in enumerate(TASKS.get(name).report)
        if s.part == part
    ]
    return [(name, s) for _, name, _, s in sorted(found, key=lambda k: k[:3])]


def task_sections(
    metrics: pd.DataFrame, levels: pd.DataFrame | None, figs: Path, part: ReportPart
) -> list[str]:
    """Markdown parts of the declared sections of one part of the report, for the tasks
    with rows in ``metrics``; ``levels`` (the analysis table, if any) feeds their figures."""
    parts: list[str] = []
    title = None
    for task, section in declared_sections(set(metrics["task"]), part):
        if section.title != title:  # consecutive sections of one title share the heading
            title = section.title
            parts.append(f"\n## {title}\n")
            if section.note is not None:
                note = section.note() if callable(section.note) else section.note
                parts.append(note + "\n")
            if (
                section.figure
                and levels is not None
                and measures_figure(levels, list(section.figure), figs / f"{task}.png")
            ):
                parts.append(f"![{task} measures vs bias ratio](figures/{task}.png)\n")
            if section.descriptive:
                parts.append(DESCRIPTIVE)
        for i, t in enumerate(section.tables):
            of = t.task or task
            columns = t.columns
            if callable(columns):
                columns = columns(
                    metrics[(metrics["task"] == of) & (metrics["metric"] == t.metric)]
                )
                if not columns:
                    continue
            gap = "\n" if i or section.spaced else ""
            parts += [
                f"{gap}{t.caption}:\n",
                dose_table(metrics, of, t.metric, list(columns), t.pct, t.comparison),
            ]
    return parts
