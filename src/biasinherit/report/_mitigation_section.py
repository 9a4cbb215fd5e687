"""Report section: the mitigation ablation (each mitigation vs ``none``, with p-values)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from biasinherit.train._measures import Measure, measures_for


def _num(x: float, pct: bool, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    v = 100 * x if pct else x
    return (f"{v:+.1f}" if signed else f"{v:.1f}") if pct else f"{v:+.3f}" if signed else f"{v:.3f}"


def _ci(lo: float, hi: float, pct: bool, signed: bool = True) -> str:
    if lo is None or (isinstance(lo, float) and math.isnan(lo)):
        return ""
    return f" [{_num(lo, pct, signed)}, {_num(hi, pct, signed)}]"


def _p(p: float) -> str:
    return "–" if p is None or (isinstance(p, float) and math.isnan(p)) else f"{p:.3g}"


def ablation_table(
    metrics: pd.DataFrame,
    run_dirs: list[Path],
    measure: Measure,
    baseline: str = "none",
    items: pd.DataFrame | None = None,
) -> str:
    """One Markdown table of the ablation for one measure (``items``: its item-level test,
    when already computed)."""
    from biasinherit.train._ablation import compare_mitigations, item_level_test

    m, pct = measure, measure.percent
    seeds = compare_mitigations(
        metrics, task=m.task, metric=m.metric, group=m.group, baseline=baseline
    )
    if seeds.empty:
        return "_no rows_\n"
    if items is None:
        items = item_level_test(run_dirs, m, baseline=baseline)
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
        mean_ci = _ci(r["ci_low"], r["ci_high"], pct, signed=False)
        lines.append(
            f"| {r['bias_type']} | {r['ratio']:.2f} | {r['mitigation']} "
            f"| {_num(r['mean'], pct)}{mean_ci} (n={r['n_seeds']}) "
            f"| {_num(r['delta'], pct, True)}{_ci(r['delta_ci_low'], r['delta_ci_high'], pct)} "
            f"| {_p(r['p_seeds'])} " + item_cells
        )
    return "\n".join(lines) + "\n"


def _cell_ratio(name: str) -> str:
    """γ from a cell folder name (``<bias_type>__r0.50__<mitigation>__s0``)."""
    part = next((p for p in name.split("__") if p.startswith("r")), "r?")
    return part[1:]


def _train_stats(dirs: list[Path]) -> list[str]:
    """What each mitigation changed in training, averaged over its seeds (train_log.json)."""
    rows: dict[tuple[str, str], list[dict]] = {}
    for d in dirs:
        for p in sorted((d / "adapters").glob("*/train_log.json")):
            log = json.loads(p.read_text())
            rows.setdefault((_cell_ratio(p.parent.name), log.get("mitigation", "?")), []).append(
                log
            )
    if not any(log.get("mitigation_stats") for logs in rows.values() for log in logs):
        return []
    out = [
        "\nWhat the mitigations changed in training (means over seeds, from the adapters' "
        "train_log.json):\n",
        "| γ | mitigation | cells | examples | steps | seconds | statistics |",
        "|---|---|---|---|---|---|---|",
    ]
    for (ratio, mit), logs in sorted(rows.items()):
        if ratio == "0.00":
            continue
        stats = {}
        for log in logs:
            for k, v in (log.get("mitigation_stats") or {}).items():
                if isinstance(v, int | float) and not isinstance(v, bool):
                    stats[k] = stats.get(k, 0) + v / len(logs)
        mean = {k: sum(log.get(k) or 0 for log in logs) / len(logs) for k in ("examples", "steps")}
        secs = sum(log.get("seconds") or 0 for log in logs) / len(logs)
        text = ", ".join(f"{k} {v:.3g}" for k, v in sorted(stats.items())) or "–"
        out.append(
            f"| {ratio} | {mit} | {len(logs)} | {mean['examples']:.0f} | {mean['steps']:.0f} "
            f"| {secs:.0f} | {text} |"
        )
    return out


def recommendation_summary(run_dir: str | Path) -> list[str]:
    """The recommendation lines for the top of the report; nothing without an ablation."""
    from biasinherit.errors import BiasInheritError
    from biasinherit.train._recommend import recommend, recommendation_lines

    try:
        frame = recommend(Path(run_dir))
    except BiasInheritError:
        return []
    return [
        "\n**Which mitigation to use** (the rule and every measure are in *Mitigations vs "
        "none* below):\n",
        *recommendation_lines(frame),
        "",
    ]


def _recommendation(dirs: list[Path]) -> list[str]:
    from biasinherit.errors import BiasInheritError
    from biasinherit.train._recommend import recommend, recommendation_lines

    try:
        frame = recommend(dirs)
    except BiasInheritError:
        return []
    m = frame["measure"].iloc[0]
    perf = frame["performance_measure"].iloc[0]
    return [
        "\n### Recommendation\n",
        f"Drawn from the measurements below: bias measure `{m}`, task performance "
        f"`{perf}`. A mitigation *reduces* the gap when its item-level change leaves a "
        "smaller gap with a Holm-corrected p < 0.05 (over the mitigations of the cell) and "
        "no seed moves it the other way (overshooting zero into a larger gap is an "
        "increase); it is *costly* when task performance falls by more than 2 points with an "
        "interval below zero; the recommendation is the reducing, not "
        "costly mitigation that shrinks the gap most (`biasinherit ablation RUN --recommend` "
        "prints every verdict).\n",
        *recommendation_lines(frame),
        *_verdicts(dirs),
    ]


def _verdicts(dirs: list[Path]) -> list[str]:
    from biasinherit.train._recommend import verdict_table

    table = verdict_table(dirs)
    if table.empty or table["measure"].nunique() < 2:
        return []
    lines = [
        "\nThe same rule on every bias measure (gap with `none` in points, or in the "
        "measure's unit):\n",
        "| measure | bias type | γ | gap with none | pick | reduces | increases |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        gap = _num(r["gap_with_none"], r["percent"], True)
        lines.append(
            f"| {r['measure']} | {r['bias_type']} | {r['ratio']:.2f} | {gap} | {r['pick']} "
            f"| {r['reduces']} | {r['increases']} |"
        )
    return lines


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
    parts += _recommendation(dirs)
    from biasinherit.report._mitigation_figure import mitigation_figure
    from biasinherit.train._ablation import item_level_test

    present = measures_for(metrics)
    items = {m.name: item_level_test(dirs, m) for m in present}
    shown = [m for m in present if m.role == "bias"][:2]
    shown += [m for m in present if m.role == "performance"][:1]
    bias_types = sorted({bt for f in items.values() if len(f) for bt in f["bias_type"]})
    for bt in bias_types:
        name = f"mitigations_{bt}.png"
        if mitigation_figure([(m, items[m.name]) for m in shown], run_dir / "figures" / name, bt):
            parts.append(f"\n![mitigations against none, {bt}](figures/{name})\n")
    for m in present:
        parts += [f"\n### {m.title}\n", ablation_table(metrics, dirs, m, items=items[m.name])]
    parts += _train_stats(dirs)
    return parts
