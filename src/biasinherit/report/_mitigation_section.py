"""Report section: the mitigation ablation and its recommendation, read from the analysis
tables (``analysis/mitigations.parquet``, ``analysis/recommendation.parquet``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from biasinherit.report._inference import _p, _unit, fmt_ci
from biasinherit.stats import Measure

RULE = (
    "A mitigation is recommended only if (1) on the headline bias measure its change against "
    "`none` is significant after Holm's correction over every (bias type, γ, mitigation) the "
    "rule considers and leaves a smaller gap of the same sign (a flipped gap is *reversed*, "
    "never reduced); (2) no other declared bias measure gets a larger or flipped gap with an "
    "interval excluding no change; (3) the lower end of the interval of the change in task "
    "performance lies above −{cost} points (non-inferiority); (4) training variance is known "
    "(two seeds or more). Intervals and tests are over seeds × stimuli (crossed). Among those "
    "that pass, the one with the smallest remaining gap is picked; the share of the inherited "
    "part (`none` at γ minus γ = 0) it removes is stated."
)


def _meas(r: pd.Series, name: str) -> Measure:
    return Measure(name, "", "bias", "", "", percent=bool(r.get("percent", True)))


def recommendation_lines(rec: pd.DataFrame, effects: pd.DataFrame | None = None) -> list[str]:
    """One sentence per (bias type, γ): the pick and its evidence, or why ``none`` stays."""
    lines = []
    pct = True
    if effects is not None and not effects.empty:
        e = effects[effects["measure"] == rec["measure"].iloc[0]]
        pct = bool(e["percent"].iloc[0]) if len(e) else True
    m = Measure(rec["measure"].iloc[0], "", "bias", "", "", percent=pct)
    for (bt, ratio), block in rec.groupby(["bias_type", "ratio"], sort=True):
        r0 = block.iloc[0]
        head = (
            f"**{bt}, γ = {ratio:.2f}** (`{m.name}` with `none`: {m.fmt(r0['base'])} "
            f"[{m.fmt(r0['base_ci_low'])}, {m.fmt(r0['base_ci_high'])}]; inherited part "
            f"{m.fmt(r0['inherited'])} [{m.fmt(r0['inherited_ci_low'])}, "
            f"{m.fmt(r0['inherited_ci_high'])}]; {r0['resamples']})"
        )
        best = block[block["recommended"]]
        if best.empty:
            if not block["known"].any():
                why = (
                    "one seed: training variance is unknown, so no mitigation can be shown to help"
                )
            else:
                reasons = [
                    f"`{r['mitigation']}` {_why(r)}"
                    for _, r in block.iterrows()
                    if r["verdict"] != "no clear effect"
                ]
                why = "; ".join(reasons) if reasons else "no mitigation changed it significantly"
            lines.append(f"- {head}: keep `none` ({why}).")
            continue
        b = best.iloc[0]
        share = (
            ""
            if not np.isfinite(b["share_removed"])
            else f", {100 * b['share_removed']:.0f} % of the inherited part"
        )
        perf = ""
        if np.isfinite(b["perf_delta"]):
            pm = Measure(b["performance_measure"], "", "performance", "", "")
            perf = (
                f"; {b['performance_measure']} change {pm.fmt(b['perf_delta'])} "
                f"[{pm.fmt(b['perf_ci_low'])}, {pm.fmt(b['perf_ci_high'])}]"
            )
        lines.append(
            f"- {head}: use `{b['mitigation']}`: gap {m.fmt(b['after'])} (Δ {m.fmt(b['delta'])} "
            f"[{m.fmt(b['delta_ci_low'])}, {m.fmt(b['delta_ci_high'])}], Holm p = "
            f"{_p(b['p_holm'])}{share}){perf}; no other bias measure worsened."
        )
    return lines


def _why(r: pd.Series) -> str:
    if r["verdict"] == "reduces" and not r["non_inferior"]:
        return "reduced it, but a performance cost beyond the tolerance is not excluded"
    if r["verdict"] == "reduces" and r["worsens"]:
        return f"reduced it but worsened {r['worsens']}"
    return {"reverses": "flipped the gap's sign (reversed)", "increases": "made it larger"}.get(
        r["verdict"], r["verdict"]
    )


def recommendation_summary(tables: dict) -> list[str]:
    rec = tables.get("recommendation")
    if rec is None or rec.empty:
        return []
    return [
        "\n**Which mitigation to use** (the rule and every measure are in *Mitigations vs "
        "none* below):\n",
        *recommendation_lines(rec, tables.get("mitigations")),
        "",
    ]


def _train_stats(run_dir: Path) -> list[str]:
    """What each mitigation changed in training, averaged over its seeds (train_log.json)."""
    from biasinherit.layout import RunLayout

    layout = RunLayout(run_dir)
    rows: dict[tuple[float, str], list[dict]] = {}
    for cell in layout.cells():
        p = layout.adapter(cell) / "train_log.json"
        if cell.ratio > 0 and cell.round == 1 and p.exists():
            rows.setdefault((cell.ratio, cell.mitigation), []).append(json.loads(p.read_text()))
    if not any(log.get("mitigation_stats") for logs in rows.values() for log in logs):
        return []
    out = [
        "\nWhat the mitigations changed in training (means over seeds, from the adapters' "
        "train_log.json):\n",
        "| γ | mitigation | cells | examples | steps | seconds | statistics |",
        "|---|---|---|---|---|---|---|",
    ]
    for (ratio, mit), logs in sorted(rows.items()):
        stats: dict[str, float] = {}
        for log in logs:
            for k, v in (log.get("mitigation_stats") or {}).items():
                if isinstance(v, int | float) and not isinstance(v, bool):
                    stats[k] = stats.get(k, 0) + v / len(logs)
        mean = {k: sum(log.get(k) or 0 for log in logs) / len(logs) for k in ("examples", "steps")}
        secs = sum(log.get("seconds") or 0 for log in logs) / len(logs)
        text = ", ".join(f"{k} {v:.3g}" for k, v in sorted(stats.items())) or "–"
        out.append(
            f"| {ratio:.2f} | {mit} | {len(logs)} | {mean['examples']:.0f} | "
            f"{mean['steps']:.0f} | {secs:.0f} | {text} |"
        )
    return out


def mitigation_section(run_dir: str | Path, tables: dict) -> list[str]:
    """Markdown lines of the ablation, or nothing when the run compares no mitigations."""
    effects = tables.get("mitigations")
    if effects is None or effects.empty:
        return []
    run_dir = Path(run_dir)
    plan = tables.get("plan", {})
    if "max_cost" in plan:  # what the tables were judged with
        max_cost = plan["max_cost"]
    else:
        from biasinherit.layout import load_run_config

        max_cost = load_run_config(run_dir).analysis.max_cost
    cost = 100 * float(max_cost)
    parts = ["\n## Mitigations vs none\n", RULE.format(cost=f"{cost:g}") + "\n"]
    rec = tables.get("recommendation")
    if rec is not None and not rec.empty:
        parts += ["\n### Recommendation\n", *recommendation_lines(rec, effects), ""]
    from biasinherit.report._mitigation_figure import mitigation_figure

    shown = [plan.get("primary"), *(plan.get("others") or [])[:1], plan.get("performance")]
    shown = [s for s in shown if s]
    for bt in sorted(set(effects["bias_type"])):
        name = f"mitigations_{bt}.png"
        if mitigation_figure(effects, shown, run_dir / "figures" / name, bt):
            parts.append(f"\n![mitigations against none, {bt}](figures/{name})\n")
    for name, f in effects.groupby("measure", sort=False):
        r0 = f.iloc[0]
        parts += [
            f"\n### {r0['title']} (`{name}`, {_unit(r0)})\n",
            "| bias type | γ | mitigation | none | Δ vs none [95 % CI] | Holm p | "
            "seeds × stimuli | verdict |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for _, r in f.sort_values(["bias_type", "ratio", "mitigation"]).iterrows():
            m = _meas(r, name)
            parts.append(
                f"| {r['bias_type']} | {r['ratio']:.2f} | {r['mitigation']} | "
                f"{m.fmt(r['base'])} | {fmt_ci(r)} | {_p(r['p_holm'])} | "
                f"{int(r['n_seeds'])} × {int(r['n_stimuli'])} | {r['verdict']} |"
            )
    return parts + _train_stats(run_dir)
