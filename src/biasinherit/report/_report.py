"""The report: Markdown tables and PNG figures from a run folder's metrics table.

Generated text is untrusted: in Markdown it is shown inside escaped code spans; nothing from
the run folder is executed or unpickled (parquet, JSON and YAML only).
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from biasinherit.errors import BiasInheritError
from biasinherit.files import atomic_write_text
from biasinherit.report._views import by_round, dose_response, select

GROUP_COLORS = {
    "stereotypical-anti-stereotypical": "#bf360c",
    "pro-anti": "#bf360c",
    "female": "#c2185b",
    "male": "#1565c0",
    "female-male": "#6a1b9a",
    "stereotypical": "#ef6c00",
    "anti-stereotypical": "#2e7d32",
    "all": "#424242",
}


def _fmt(v: float, lo: float, hi: float, pct: bool) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    f = (lambda x: f"{100 * x:.1f}") if pct else (lambda x: f"{x:.3f}")
    ci = "" if lo is None or math.isnan(lo) else f" [{f(lo)}, {f(hi)}]"
    return f"{f(v)}{ci}"


def _dose_table(
    metrics: pd.DataFrame, task: str, metric: str, groups: list[str], pct: bool = True
) -> str:
    d = dose_response(metrics, task=task, metric=metric, groups=groups)
    if d.empty:
        return "_no rows_\n"
    head = "| bias type | γ | mitigation | " + " | ".join(groups) + " |\n"
    head += "|---|---|---|" + "---|" * len(groups) + "\n"
    lines = []
    cells_by = d.groupby(["bias_type", "ratio", "mitigation"], sort=False)
    order = sorted(cells_by.groups, key=lambda k: (k[0], k[1], k[2] != "none", k[2]))
    for bt, ratio, mit in order:  # by γ, `none` first within each γ
        frame = cells_by.get_group((bt, ratio, mit))
        by = frame.set_index("group")
        cells = [
            _fmt(by.loc[g, "value"], by.loc[g, "ci_low"], by.loc[g, "ci_high"], pct)
            if g in by.index
            else "–"
            for g in groups
        ]
        lines.append(f"| {bt} | {ratio:.2f} | {mit} | " + " | ".join(cells) + " |")
    untuned = select(metrics, task=task, metric=metric, group=groups, bias_type="untuned")
    if len(untuned):
        by = untuned.set_index("group")
        cells = [
            _fmt(by.loc[g, "value"], by.loc[g, "ci_low"], by.loc[g, "ci_high"], pct)
            if g in by.index
            else "–"
            for g in groups
        ]
        lines.insert(0, "| (untuned model) | – | – | " + " | ".join(cells) + " |")
    return head + "\n".join(lines) + "\n"


def _figure(
    metrics: pd.DataFrame, path: Path, panels: list[tuple[str, str, list[str], str]]
) -> None:
    """One row of panels per bias type; each panel is metric vs gamma per group, CI bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bias_types = sorted(set(metrics["bias_type"]) - {"none", "untuned"}) or ["none"]
    fig, axes = plt.subplots(
        len(bias_types),
        len(panels),
        squeeze=False,
        figsize=(4.2 * len(panels), 3.2 * len(bias_types)),
    )
    for i, bt in enumerate(bias_types):
        for j, (task, metric, groups, title) in enumerate(panels):
            ax = axes[i][j]
            d = dose_response(metrics, task=task, metric=metric, groups=groups)
            d = d[(d["bias_type"] == bt) & (d["mitigation"] == "none")]
            for g in groups:
                s = d[d["group"] == g]
                if s.empty:
                    continue
                c = GROUP_COLORS.get(g)
                ax.plot(s["ratio"], s["value"], "o-", color=c, label=g)
                ax.fill_between(s["ratio"], s["ci_low"], s["ci_high"], color=c, alpha=0.15)
            base = select(metrics, task=task, metric=metric, group=groups, bias_type="untuned")
            for _, b in base.iterrows():  # the model before fine-tuning, for reference
                ax.axhline(
                    b["value"],
                    color=GROUP_COLORS.get(b["group"], "grey"),
                    lw=1,
                    ls=":",
                    label=f"{b['group']} (untuned)",
                )
            if metric.endswith("_difference"):  # a gap panel: mark zero
                ax.axhline(0, color="grey", lw=0.8, ls="--")
            ax.set_title(f"{title}\n{bt}", fontsize=9)
            ax.set_xlabel("bias ratio γ")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)


def _heatmap(metrics: pd.DataFrame, path: Path, specs: list[tuple[str, str, str, str]]) -> bool:
    """Bias type x ratio heatmaps (mean over seeds, mitigation none); False if < 2 cells."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grids = []
    for task, metric, group, title in specs:
        d = dose_response(metrics, task=task, metric=metric, groups=[group])
        d = d[d["mitigation"] == "none"]
        if d.empty:
            continue
        pivot = d.pivot_table(index="bias_type", columns="ratio", values="value")
        grids.append((title, pivot, metric.endswith("_difference")))
    if not grids or max(g.size for _, g, _ in grids) < 2:
        return False
    fig, axes = plt.subplots(
        1,
        len(grids),
        squeeze=False,
        figsize=(4.6 * len(grids), 1.6 + 0.5 * max(len(g) for _, g, _ in grids)),
    )
    for ax, (title, g, diverging) in zip(axes[0], grids, strict=True):
        vals = g.to_numpy()
        if diverging:  # a gap: white at zero, red for female-favouring, blue for male
            lim = max(float(np.nanmax(np.abs(vals))), 1e-3)
            im = ax.imshow(vals, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
        else:
            im = ax.imshow(vals, cmap="viridis", aspect="auto")
        ax.set_xticks(range(g.shape[1]), [f"{c:g}" for c in g.columns])
        ax.set_yticks(range(g.shape[0]), g.index, fontsize=8)
        for (i, j), v in np.ndenumerate(vals):
            ax.text(
                j,
                i,
                f"{v:+.3f}" if diverging else f"{v:.3f}",
                ha="center",
                va="center",
                fontsize=7,
                color="black" if diverging else "white",
            )
        ax.set_xlabel("bias ratio γ")
        ax.set_title(title, fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return True


def _rounds_section(metrics: pd.DataFrame, figs: Path) -> list[str]:
    """Multi-round self-augmentation: how the bias measures move from round to round."""
    specs = [
        (
            "occupation",
            "p_true_difference",
            "stereotypical-anti-stereotypical",
            "stereotype gap in P(true)",
        ),
        ("occupation", "accuracy", "all", "occupation accuracy"),
    ]
    views = [(t, by_round(metrics, task=task, metric=m, group=g)) for task, m, g, t in specs]
    if all(v.empty for _, v in views):
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(views), figsize=(4.4 * len(views), 3.2), squeeze=False)
    lines = [
        "\n## Multi-round self-augmentation\n",
        "Round k+1 retrains on data written by round k's tuned model (largest ratio).\n",
        "![metrics per round](figures/rounds.png)\n",
        "| bias type | round | " + " | ".join(t for t, _ in views) + " |",
        "|---|---|" + "---|" * len(views),
    ]
    for ax, (title, v) in zip(axes[0], views, strict=True):
        for bt, d in v.groupby("bias_type"):
            ax.plot(d["round"], d["value"], "o-", label=bt)
            ax.fill_between(d["round"], d["ci_low"], d["ci_high"], alpha=0.15)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("round")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    keys = sorted(
        {(bt, r) for _, v in views for bt, r in zip(v["bias_type"], v["round"], strict=True)}
    )
    for bt, r in keys:
        cells = []
        for _, v in views:
            hit = v[(v["bias_type"] == bt) & (v["round"] == r)]
            cells.append(
                "–"
                if hit.empty
                else _fmt(hit["value"].iloc[0], hit["ci_low"].iloc[0], hit["ci_high"].iloc[0], True)
            )
        lines.append(f"| {bt} | {r} | " + " | ".join(cells) + " |")
    fig.tight_layout()
    tmp = figs / ".rounds.tmp.png"
    figs.mkdir(parents=True, exist_ok=True)
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(figs / "rounds.png")
    return lines


def _md_escape(text: str) -> str:
    return html.escape(text.replace("|", "/").replace("`", "'").replace("\n", " "))


def write_report(run_dir: str | Path) -> Path:
    """Write ``report.md``, its HTML twin ``report.html``, ``card.json`` and ``figures/*.png``
    for a run folder; returns the path of report.md."""
    run_dir = Path(run_dir)
    mpath = run_dir / "metrics.parquet"
    if not mpath.exists():
        raise BiasInheritError(
            f"no metrics in {run_dir}", "run `biasinherit run` or `biasinherit evaluate` first"
        )
    metrics = pd.read_parquet(mpath)
    figs = run_dir / "figures"
    tasks = set(metrics["task"])
    parts = [f"# Bias inheritance report: {run_dir.name}\n"]
    cfg_path = run_dir / "config.yaml"
    if cfg_path.exists():
        import yaml

        cfg = yaml.safe_load(cfg_path.read_text())
        parts.append(
            f"Model `{cfg['model']}`, generator `{cfg.get('generator') or cfg['model']}`; "
            f"bias types {', '.join(cfg['generate']['bias_types'])}; ratios "
            f"{', '.join(str(r) for r in cfg['ratios'])}; seeds {cfg['seeds']}; "
            f"LoRA r={cfg['train']['lora_r']}, lr {cfg['train']['lr']}, "
            f"{cfg['train']['epochs']} epoch(s). Values are means over seeds; brackets are "
            "95 % bootstrap intervals over test items (mean of the seeds' intervals).\n"
        )
    from biasinherit.report._mitigation_section import recommendation_summary

    parts += recommendation_summary(run_dir)
    if "occupation" in tasks:
        sg = "stereotypical-anti-stereotypical"
        panels = [
            ("occupation", "accuracy", ["female", "male"], "accuracy per gender"),
            (
                "occupation_weak",
                "accuracy",
                ["stereotypical", "anti-stereotypical"],
                "weak-cue accuracy",
            ),
            ("occupation", "p_true_difference", [sg], "stereotype gap in P(true occupation)"),
            ("occupation_weak", "p_true_difference", [sg], "stereotype gap, weak cues"),
        ]
        _figure(metrics, figs / "occupation.png", panels)
        heat = _heatmap(
            metrics,
            figs / "occupation_heatmap.png",
            [
                ("occupation", "p_true_difference", sg, "stereotype gap in P(true)"),
                ("occupation_weak", "accuracy_difference", sg, "weak-cue stereotype gap (acc.)"),
                ("occupation", "accuracy_difference", "female-male", "accuracy gap F − M"),
            ],
        )
        parts += [
            "## Occupation classification by gender\n",
            "Each test biography exists twice, once per gender (a counterfactual pair); one "
            "rendering is stereotypical for its occupation (e.g. a female nurse), the other "
            "counter-stereotypical. The **stereotype gap** (stereotypical minus "
            "counter-stereotypical, paired) is the inheritance signal: every gender holds "
            "stereotyped and counter-stereotyped occupations, so a female − male gap can "
            "average it away. Weak-cue items hint at the occupation only, where a model "
            "that leans on gender shows it most.\n",
            "![occupation metrics vs bias ratio](figures/occupation.png)\n",
            *(["![bias type x ratio heatmaps](figures/occupation_heatmap.png)\n"] if heat else []),
            "Stereotype gap in the probability of the true occupation (percentage points):\n",
            _dose_table(metrics, "occupation", "p_true_difference", [sg]),
            "\nThe same on weak-cue items, probability and accuracy (points):\n",
            _dose_table(metrics, "occupation_weak", "p_true_difference", [sg]),
            _dose_table(metrics, "occupation_weak", "accuracy_difference", [sg]),
            "\nAccuracy (%) per gender, all test items, and the paired female − male gap:\n",
            _dose_table(metrics, "occupation", "accuracy", ["female", "male"]),
            _dose_table(metrics, "occupation", "accuracy_difference", ["female-male"]),
            "\nWeak-cue accuracy (%), stereotypical vs counter-stereotypical items:\n",
            _dose_table(
                metrics, "occupation_weak", "accuracy", ["stereotypical", "anti-stereotypical"]
            ),
        ]
    if "salary" in tasks:
        _figure(
            metrics,
            figs / "salary.png",
            [
                ("salary", "log_salary_difference", ["female-male"], "log salary gap (F − M)"),
                ("salary", "unparseable", ["female", "male"], "unparseable answers"),
            ],
        )
        parts += [
            "\n## Salary recommendation by gender\n",
            "![salary gap vs bias ratio](figures/salary.png)\n",
            "Mean recommended salary (USD):\n",
            _dose_table(metrics, "salary", "mean_salary", ["female", "male"], pct=False),
            "\nFemale − male gap in log salary (0.01 ≈ 1 %), paired:\n",
            _dose_table(metrics, "salary", "log_salary_difference", ["female-male"], pct=False),
            "\nUnparseable answers (%), counted, not dropped:\n",
            _dose_table(metrics, "salary", "unparseable", ["female", "male"]),
        ]
    if "salary_bracket" in tasks:
        _figure(
            metrics,
            figs / "salary_bracket.png",
            [
                ("salary_bracket", "expected_salary", ["female", "male"], "expected salary"),
                (
                    "salary_bracket",
                    "log_expected_salary_difference",
                    ["female-male"],
                    "log expected salary gap (F − M)",
                ),
            ],
        )
        parts += [
            "\n## Salary by bracket probabilities\n",
            "![expected salary vs bias ratio](figures/salary_bracket.png)\n",
            "Expected salary (USD) under the model's probabilities over five brackets:\n",
            _dose_table(
                metrics, "salary_bracket", "expected_salary", ["female", "male"], pct=False
            ),
            "\nFemale − male gap in log expected salary, paired:\n",
            _dose_table(
                metrics,
                "salary_bracket",
                "log_expected_salary_difference",
                ["female-male"],
                pct=False,
            ),
        ]
    if "winobias" in tasks:
        parts += [
            "\n## WinoBias\n",
            "Accuracy (%) on pro- and anti-stereotypical sentences:\n",
            _dose_table(metrics, "winobias", "accuracy", ["pro", "anti", "pro-anti"]),
        ]
    # --- report sections: generate-extra ---
    # --- report sections: audit ---
    from biasinherit.report._audit_section import audit_section

    parts += audit_section(run_dir)  # nothing without RUN/audit.json
    # --- report sections: evaluate-extra ---
    from biasinherit.report._benchmarks import benchmark_sections

    parts += benchmark_sections(run_dir, metrics)
    from biasinherit.report._paper_tasks_section import paper_tasks_section

    parts += paper_tasks_section(metrics)
    # --- report sections: mitigate ---
    from biasinherit.report._mitigation_section import mitigation_section

    parts += mitigation_section(run_dir)
    # --- report sections: scale ---
    parts += _rounds_section(metrics, figs)
    parts += _generation_section(run_dir)
    timings = run_dir / "timings.json"
    if timings.exists():
        t = json.loads(timings.read_text())
        parts.append("\n## Time\n\n" + ", ".join(f"{k} {v:.0f} s" for k, v in t.items()) + "\n")
    out = run_dir / "report.md"
    md = "\n".join(parts)
    atomic_write_text(out, md)
    from biasinherit.report._html import markdown_to_html

    atomic_write_text(run_dir / "report.html", markdown_to_html(md, run_dir, run_dir.name))
    if (run_dir / "config.yaml").exists():
        from biasinherit.report._card import write_card

        write_card(run_dir)
    return out


def _md_table(frame: pd.DataFrame, fmt: dict | None = None) -> list[str]:
    """A DataFrame (index = first column) as Markdown lines; ``fmt`` formats columns."""
    fmt = fmt or {}
    cols = [frame.index.name or "", *map(str, frame.columns)]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, r in frame.astype(object).iterrows():  # keep ints
        cells = [fmt.get(c, str)(v) for c, v in r.items()]
        lines.append(f"| {idx} | " + " | ".join(cells) + " |")
    return lines


def _generation_section(run_dir: Path) -> list[str]:
    from biasinherit.generate._summary import group_make_up, load_generation, samples, summary_table

    summary, rows = load_generation(run_dir)
    if not summary:
        return []
    lines = ["\n## Augmented data\n"]
    lines += _md_table(summary_table(summary), {"filter rate": lambda v: f"{100 * v:.0f} %"})
    if rows:
        scrubbed = any(r.get("task") == "occupation" for r in rows)
        note = "; the occupation title is scrubbed to 'professional'" if scrubbed else ""
        lines.append(f"\nSamples (generated text, shown escaped{note}):\n")
        for r in samples(rows):
            lines.append(
                f"- **{r['bias_type']}**, {r['label']}, {r['group']}: {_md_escape(r['text'][:300])}"
            )
        lines.append("\nGroup found in the text of each kept row (pronouns, nouns, names):\n")
        lines += _md_table(group_make_up(rows))
    return lines
