"""The report: Markdown tables and PNG figures from a run folder's metrics table.

Generated text is untrusted: in Markdown it is shown inside escaped code spans; nothing from
the run folder is executed or unpickled (parquet, JSON and YAML only).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from biasinherit.errors import BiasInheritError
from biasinherit.files import atomic_write_text, read_parquet, save_figure
from biasinherit.report._task_sections import task_sections
from biasinherit.report._views import DESCRIPTIVE, by_round, fmt_value


def _rounds_section(metrics: pd.DataFrame, figs: Path) -> list[str]:
    """Multi-round self-augmentation: how the bias measures move from round to round."""
    specs = [
        (
            "occupation",
            "p_true",
            ("stereotypical", "anti-stereotypical"),
            "stereotype gap in P(true), unweighted",
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
        "Round k+1 retrains on data written by round k's tuned model (largest ratio). Every "
        "measure per round, with intervals over seeds × stimuli, is in *Every measure per "
        "cell* above (rows marked round k).\n",
        DESCRIPTIVE,
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
                else fmt_value(
                    hit["value"].iloc[0],
                    hit["ci_low"].iloc[0],
                    hit["ci_high"].iloc[0],
                    True,
                    hit["seed_sd"].iloc[0],
                )
            )
        lines.append(f"| {bt} | {r} | " + " | ".join(cells) + " |")
    fig.tight_layout()
    save_figure(fig, figs / "rounds.png")
    return lines


def _md_escape(text: str) -> str:
    return html.escape(text.replace("|", "/").replace("`", "'").replace("\n", " "))


def _setup(run_dir: Path) -> list[str]:
    from biasinherit.layout import load_run_config

    if not (run_dir / "config.yaml").exists():
        return []
    cfg = load_run_config(run_dir)  # the schema's defaults fill keys an older run lacks
    seeds = cfg.seeds
    return [
        f"Model `{cfg.model}`, generator `{cfg.generator_model}`; "
        f"bias types {', '.join(cfg.generate.bias_types)}; ratios "
        f"{', '.join(str(r) for r in cfg.ratios)}; {len(seeds)} seed(s) {seeds}; "
        f"LoRA r={cfg.train.lora_r}, lr {cfg.train.lr}, "
        f"{cfg.train.epochs} epoch(s). Values are means over seeds. Every interval is "
        "95 % and resamples two levels, crossed: training seeds and test stimuli (the "
        "held-out sentences or texts the test items are built from); each says how many of "
        "each it had."
        + (
            " With one seed, training variance is unknown: intervals then cover stimuli "
            "only and no verdict is drawn."
            if len(seeds) < 2
            else ""
        )
        + "\n"
    ]


def write_report(run_dir: str | Path) -> Path:
    """Write ``report.md``, its HTML twin ``report.html``, ``card.json`` and ``figures/*.png``
    for a run folder; returns the path of report.md. Inference comes from the analysis
    tables (``RUN/analysis/``), computed first if missing."""
    from biasinherit.analysis import load_analysis
    from biasinherit.report._inference import contrasts_section, levels_section, trend_section
    from biasinherit.report._mitigation_section import mitigation_section, recommendation_summary

    run_dir = Path(run_dir)
    mpath = run_dir / "metrics.parquet"
    if not mpath.exists():
        raise BiasInheritError(
            f"no metrics in {run_dir}", "run `biasinherit run` or `biasinherit evaluate` first"
        )
    metrics = read_parquet(
        mpath,
        what="metrics table",
        hint=f"delete it and rerun `biasinherit run {run_dir}`: it is rebuilt from the "
        "finished cells, none of which is recomputed",
    )
    if "comparison" not in metrics:  # tables written before comparisons became columns
        raise BiasInheritError(
            f"the metrics table of {run_dir} is from an older biasinherit (group comparisons "
            "as metric names)",
            f"rerun `biasinherit run {run_dir}`: it rebuilds the table from the stored "
            "per-item outputs without running a model",
        )
    tables = load_analysis(run_dir)
    figs = run_dir / "figures"
    parts = [f"# Bias inheritance report: {run_dir.name}\n", *_setup(run_dir)]
    parts += trend_section(run_dir, tables)
    parts += recommendation_summary(tables)
    parts += levels_section(tables)
    parts += contrasts_section(tables)
    levels = tables.get("levels")
    parts += task_sections(metrics, levels, figs, "gender")
    from biasinherit.report._audit_section import audit_section

    parts += audit_section(run_dir)  # nothing without RUN/audit.json
    parts += task_sections(metrics, levels, figs, "benchmarks")
    parts += task_sections(metrics, levels, figs, "culture")
    parts += mitigation_section(run_dir, tables)
    parts += _rounds_section(metrics, figs)
    parts += _generation_section(run_dir)
    timings = run_dir / "timings.json"
    if timings.exists():
        t = json.loads(timings.read_text())
        spent = ", ".join(f"{k} {v:.0f} s" for k, v in t.items())
        parts.append(
            "\n## Time\n\nThe last `biasinherit run` of this folder (work it reused is not "
            f"counted): {spent}\n"
        )
    out = run_dir / "report.md"
    md = "\n".join(parts)
    atomic_write_text(out, md)
    from biasinherit.report._html import markdown_to_html

    atomic_write_text(run_dir / "report.html", markdown_to_html(md, run_dir, run_dir.name))
    if (run_dir / "config.yaml").exists():
        from biasinherit.report._card import write_card

        write_card(run_dir, tables)
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
    from biasinherit.generate import group_make_up, load_generation, samples, summary_table

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
