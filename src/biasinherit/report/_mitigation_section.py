"""Report section: the mitigation ablation (each mitigation vs ``none``, with p-values)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from biasinherit.train._ablation import STEREOTYPE_GAP

# (task, metric, group, title, percent?, item-level test arguments)
SPECS = [
    (
        "occupation",
        "p_true_difference",
        "stereotypical-anti-stereotypical",
        "Occupation: stereotype gap in P(true occupation) (points)",
        True,
        {"task": "occupation", "outcome": "p_true", "gap": STEREOTYPE_GAP},
    ),
    (
        "occupation_weak",
        "p_true_difference",
        "stereotypical-anti-stereotypical",
        "Occupation, weak-cue items: stereotype gap in P(true occupation) (points)",
        True,
        {"task": "occupation", "outcome": "p_true", "gap": STEREOTYPE_GAP, "cue": "weak"},
    ),
    (
        "occupation",
        "accuracy_difference",
        "female-male",
        "Occupation: female − male accuracy gap (points)",
        True,
        {"task": "occupation", "outcome": "correct", "gap": ("female", "male")},
    ),
    (
        "occupation",
        "accuracy",
        "all",
        "Occupation: accuracy (%)",
        True,
        {"task": "occupation", "outcome": "correct", "gap": None},
    ),
    (
        "occupation_weak",
        "accuracy_difference",
        "female-male",
        "Occupation, weak-cue items: female − male accuracy gap (points)",
        True,
        {"task": "occupation", "outcome": "correct", "gap": ("female", "male"), "cue": "weak"},
    ),
    (
        "occupation",
        "p_true_difference",
        "female-male",
        "Occupation: female − male probability of the true occupation (points)",
        True,
        {"task": "occupation", "outcome": "p_true", "gap": ("female", "male")},
    ),
    (
        "salary_bracket",
        "log_expected_salary_difference",
        "female-male",
        "Salary brackets: female − male gap in log expected salary",
        False,
        {"task": "salary_bracket", "outcome": "log_expected_salary", "gap": ("female", "male")},
    ),
]


def _num(x: float, pct: bool, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    v = 100 * x if pct else x
    return (f"{v:+.1f}" if signed else f"{v:.1f}") if pct else f"{v:+.3f}" if signed else f"{v:.3f}"


def _ci(lo: float, hi: float, pct: bool) -> str:
    if lo is None or (isinstance(lo, float) and math.isnan(lo)):
        return ""
    return f" [{_num(lo, pct, True)}, {_num(hi, pct, True)}]"


def _p(p: float) -> str:
    return "–" if p is None or (isinstance(p, float) and math.isnan(p)) else f"{p:.3g}"


def ablation_table(
    metrics: pd.DataFrame, run_dirs: list[Path], spec: tuple, baseline: str = "none"
) -> str:
    """One Markdown table of the ablation for one (task, metric, group)."""
    from biasinherit.train._ablation import compare_mitigations, item_level_test

    task, metric, group, _title, pct, item_args = spec
    seeds = compare_mitigations(metrics, task=task, metric=metric, group=group, baseline=baseline)
    if seeds.empty:
        return "_no rows_\n"
    items = item_level_test(run_dirs, baseline=baseline, **item_args)
    key = ["bias_type", "ratio", "mitigation"]
    if not items.empty:
        items = items.set_index(key)
    lines = [
        "| bias type | γ | mitigation | mean over seeds [95 % CI] | Δ vs none, seeds [CI] "
        "| p (seeds) | Δ vs none, items [CI] | p (items) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for _, r in seeds.iterrows():
        k = (r["bias_type"], r["ratio"], r["mitigation"])
        it = items.loc[k] if not items.empty and k in items.index else None
        item_cells = "| – | – |"
        if it is not None:
            ci = _ci(it["delta_ci_low"], it["delta_ci_high"], pct)
            item_cells = f"| {_num(it['delta'], pct, True)}{ci} | {_p(it['p_items'])} |"
        lines.append(
            f"| {r['bias_type']} | {r['ratio']:.2f} | {r['mitigation']} "
            f"| {_num(r['mean'], pct)}{_ci(r['ci_low'], r['ci_high'], pct)} (n={r['n_seeds']}) "
            f"| {_num(r['delta'], pct, True)}{_ci(r['delta_ci_low'], r['delta_ci_high'], pct)} "
            f"| {_p(r['p_seeds'])} " + item_cells
        )
    return "\n".join(lines) + "\n"


def _train_stats(run_dir: Path) -> list[str]:
    rows = []
    for log in sorted((run_dir / "adapters").glob("*/train_log.json")):
        d = json.loads(log.read_text())
        st = d.get("mitigation_stats") or {}
        if st:
            rows.append((log.parent.name, d.get("steps"), d.get("seconds"), st))
    if not rows:
        return []
    out = ["\nWhat the mitigations changed in training (from each adapter's train_log.json):\n"]
    out += ["| cell | steps | seconds | statistics |", "|---|---|---|---|"]
    for name, steps, secs, st in rows:
        stats = ", ".join(f"{k} {v}" for k, v in st.items())
        out.append(f"| {name} | {steps} | {secs} | {stats} |")
    return out


def mitigation_section(run_dir: str | Path, extra_runs: list[str | Path] = ()) -> list[str]:
    """Markdown lines of the ablation, or nothing when the run compares no mitigations."""
    run_dir = Path(run_dir)
    dirs = [run_dir, *(Path(d) for d in extra_runs)]
    frames = [
        pd.read_parquet(d / "metrics.parquet") for d in dirs if (d / "metrics.parquet").exists()
    ]
    if not frames:
        return []
    metrics = pd.concat(frames, ignore_index=True)
    mits = set(metrics.loc[metrics["ratio"] > 0, "mitigation"])
    if "none" not in mits or len(mits) < 2:
        return []
    parts = [
        "\n## Mitigations vs none\n",
        "Each mitigation against `none` in the same bias type and γ. *Seeds*: mean over seeds "
        "with a t-interval, Δ paired on the seed (same mix), p from a paired t-test over "
        "seeds (two seeds = one degree of freedom). *Items*: Δ paired on (seed, test item or "
        "counterfactual pair), seeds pooled, bootstrap interval and one-sample t-test; it "
        "reflects test-item noise, not seed-to-seed training noise.\n",
    ]
    tasks = set(metrics["task"])
    for spec in SPECS:
        if spec[0] in tasks:
            parts += [f"\n### {spec[3]}\n", ablation_table(metrics, dirs, spec)]
    for d in dirs:
        parts += _train_stats(d)
    return parts
