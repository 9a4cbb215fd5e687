"""A task's report sections are part of its declaration (``Task.report``): the report renders
those of the tasks with rows in the metrics table, in a fixed order, and no others."""

from __future__ import annotations

import pandas as pd
import pytest

from biasinherit.evaluate import REPORT_PARTS, TASKS, get_task, to_table
from biasinherit.report._task_sections import declared_sections, task_sections
from biasinherit.report._views import by_round, column_label, column_rows
from tests.test_task_measures import synthetic_run

NAMES = TASKS.names()
CELLS = [("none", 0.0), ("contrastive_explicit", 0.5)]  # gamma = 0 and one biased cell


def long_table(rows: list[dict]) -> pd.DataFrame:
    return pd.concat(
        [to_table(rows, bias_type=b, ratio=r, mitigation="none", seed=0) for b, r in CELLS],
        ignore_index=True,
    )


def render(metrics: pd.DataFrame, figs) -> str:
    return "\n".join(p for part in REPORT_PARTS for p in task_sections(metrics, None, figs, part))


def row(task: str, metric: str, group: str, value: float, reference: str | None = None) -> dict:
    return {"task": task, "metric": metric, "attribute": "gender", "group": group,
            "comparison": reference and "difference", "reference": reference,
            "value": value, "ci_low": value - 1, "ci_high": value + 1, "n": 4}  # fmt: skip


def titles_of(name: str) -> list[str]:
    return [f"\n## {s.title}\n" for s in get_task(name).report]


def test_a_task_has_its_sections_only_when_its_rows_are_in_the_table(tmp_path):
    rows = [row("salary", "mean_salary", g, v) for g, v in (("female", 51000.0), ("male", 53000.0))]
    rows += [row("old_task", "accuracy", "all", 0.5)]  # an old run's task: not registered
    text = render(long_table(rows), tmp_path)
    assert text.startswith("\n## Salary recommendation by gender (free text)\n")
    assert "| contrastive_explicit | 0.50 | none | 51000.000 [50999.000, 51001.000] |" in text
    assert "\nUnparseable answers (%), counted, not dropped:\n\n_no rows_\n" in text
    others = [t for n in NAMES if n != "salary" for t in titles_of(n)]
    assert not [t for t in others if t in text]
    assert render(long_table([row("old_task", "accuracy", "all", 0.5)]), tmp_path) == ""


def test_benchmarks_share_one_heading_and_skip_tables_without_groups(tmp_path):
    rows = [row("bold", "sentiment", "Black", 0.1, reference="white")]
    rows += [row("crows_pairs", "stereotype_preference", "gender", 0.6)]
    rows += [row("crows_pairs", "stereotype_preference", "all", 0.55)]
    text = render(long_table(rows), tmp_path)
    assert text.count("## Standard bias benchmarks") == 1 and text.count("_Descriptive") == 1
    crows, bold = text.index("CrowS-Pairs"), text.index("BOLD")
    assert crows < bold  # declared order, not the alphabet
    assert "| bias type | γ | mitigation | gender | all |" in text  # groups found, all last
    assert "| bias type | γ | mitigation | Black − white |" in text  # a difference column
    assert "BBQ" not in text and "discrim-eval" not in text


def test_sections_keep_the_report_order():
    order = {p: [t for t, _ in declared_sections(set(NAMES), p)] for p in REPORT_PARTS}
    assert order == {
        "gender": ["occupation", "salary", "salary_bracket", "winobias"],
        "benchmarks": ["bbq", "crows_pairs", "discrim_eval", "bold", "bbq_nationality"],
        "culture": ["hiring", "hate", "sentiment", "stress", "story"],
    }


@pytest.mark.parametrize("name", NAMES)
def test_declared_tables_name_rows_the_task_produces(name, monkeypatch, tmp_path):
    task = get_task(name)
    assert task.report, f"{name} declares no report section"
    table = long_table(task.metrics(synthetic_run(task, monkeypatch), n_boot=20))
    for section in task.report:
        for t in section.tables:
            of = t.task or name
            rows = table[(table["task"] == of) & (table["metric"] == t.metric)]
            assert len(rows), f"{name}: no rows of {of}/{t.metric}"
            columns = t.columns(rows) if callable(t.columns) else t.columns
            found = set(column_rows(rows, list(columns), t.comparison)["column"])
            missing = {column_label(c, t.comparison) for c in columns} - found
            assert not missing, f"{of}/{t.metric}: declared columns without rows: {missing}"


def test_rounds_view_finds_a_difference_column():
    rows = []
    for k, v in ((1, 0.1), (2, 0.3)):
        r = row("occupation", "p_true", "stereotypical", v, reference="anti-stereotypical")
        level = row("occupation", "p_true", "stereotypical", 0.9)
        for x in (r, level):
            rows.append(dict(x, bias_type="b", ratio=0.5, mitigation="none", seed=0, round=k))
    pair = ("stereotypical", "anti-stereotypical")
    got = by_round(pd.DataFrame(rows), task="occupation", metric="p_true", group=pair)
    assert got[["round", "value"]].values.tolist() == [[1, 0.1], [2, 0.3]]
