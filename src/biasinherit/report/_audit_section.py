"""Report section for the audit (``RUN/audit.json``): Markdown tables and the audit figures.

Nothing is shown when the run folder has no audit.json. Text from the files is escaped.
"""

from __future__ import annotations

import html
import json
from pathlib import Path


def _esc(text: object) -> str:
    return html.escape(str(text).replace("|", "/").replace("`", "'").replace("\n", " "))


def _num(v: object, fmt: str = "{:.3f}") -> str:
    return "–" if v is None else fmt.format(v)


def _p(v: object) -> str:
    return "–" if v is None else (f"{v:.2g}" if v >= 0.001 else "<0.001")


def position_bias_lines(vals: dict) -> list[str]:
    """The option-position table of the values audit (``[]`` for an audit without it)."""
    pb = vals.get("position_bias")
    if not pb:
        return []
    n_orders = vals.get("option_orders", 1)
    lines = [
        f"\nOption-position bias ({pb.get('n_questions', '?')} questions, {n_orders} option "
        f"order{'s' if n_orders > 1 else ''}): P(first shown) is the mean probability of "
        "whichever option is shown first (chance: the mean of 1/k), the position index rescales "
        "it from 0 (no preference for the first position) to 1 (always the first shown), order "
        "sensitivity is the mean total-variation distance between the answers to one question "
        "in different orders (0: the order changes nothing, 1: a different answer each time), "
        "and the last column is the probability of the first listed option as listed → after "
        "averaging the orders (what the similarities above use; with two orders a pure "
        "first-position preference becomes mass on both end options) beside real respondents'.\n",
        "| persona | P(first shown) | chance | first shown is top | position index | "
        "order sensitivity | P(option 1): as listed → averaged (real) |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = {**pb.get("per_persona", {}), "all": pb.get("all", {})}
    for persona, b in rows.items():
        if not b.get("n"):
            continue
        fl = b["first_listed_mass"]
        lines.append(
            f"| {_esc(persona)} | {_num(b['first_shown_mass'], '{:.2f}')} | "
            f"{_num(b['chance'], '{:.2f}')} | {_num(b['first_shown_top'], '{:.0%}')} | "
            f"{_num(b['position_index'], '{:.2f}')} | {_num(b['order_sensitivity'], '{:.2f}')} "
            f"| {_num(fl['as_listed'], '{:.2f}')} → {_num(fl['averaged'], '{:.2f}')} "
            f"({_num(fl.get('real'), '{:.2f}')}) |"
        )
    return lines


def audit_summary_lines(res: dict) -> list[str]:
    """The audit's key numbers as Markdown tables (also what ``biasinherit audit`` prints)."""
    lines: list[str] = []
    vals = res.get("values", {})
    if "similarity" in vals:
        asked = vals.get("n_asked", vals["n_questions"])
        lines += [
            f"\n### Values ({vals['n_questions']} World Values Survey questions, generator "
            f"`{_esc(vals.get('generator', ''))}`)\n",
            "Similarity of the generator's answer distribution (speaking as a person from the "
            "country) to the real one: 1 − Jensen–Shannon distance, mean over the "
            f"{vals['n_questions']} questions usable in every country (of {asked} asked; the "
            "same set for each country) [95 % bootstrap CI over questions]; 'no persona' and "
            "'uniform' are "
            f"references. Answers read from {vals.get('answers_from', 'option probabilities')}"
            + (
                "; share of sampled answers that named an option: "
                + ", ".join(f"{k} {v:.0%}" for k, v in vals["answer_parse_rate"].items())
                if vals.get("answer_parse_rate")
                else ""
            )
            + ".\n",
            "| country | similarity | no persona | uniform answers | questions |",
            "|---|---|---|---|---|",
        ]
        for c, s in vals["similarity"].items():
            lines.append(
                f"| {c} | {_num(s['value'])} [{_num(s['ci_low'])}, {_num(s['ci_high'])}] | "
                f"{_num(vals['matrix'][c].get('none'))} | "
                f"{_num(vals['uniform_baseline'].get(c))} | {s['n']} |"
            )
        lines += position_bias_lines(vals)
        lines.append("\nMost divergent questions (similarity, generator vs real distribution):\n")
        for c, qs in vals.get("most_divergent", {}).items():
            for q in qs[:2]:
                lines.append(
                    f"- {c} Q{_esc(q['qid'])} ({_num(q['similarity'], '{:.2f}')}): "
                    f"{_esc(q['question'])} generator {q['generator']} vs real {q['real']}"
                )
    elif vals.get("skipped"):
        lines.append(f"\n_Values: {_esc(vals['skipped'])}._")
    ref = res.get("group_data_reference")
    if ref:
        groups = res["groups"]
        gd = res["group_data"][ref]
        gender = res.get("attribute", "gender") == "gender"
        how = (
            "Gender by pronouns, then first names; share among texts with a detected gender."
            if gender
            else "Group by its words (nouns, places) and first names (names-dataset lists of "
            "the group's countries); share among texts with a detected group."
        )
        lines += [
            f"\n### Group data: who the generator writes about ({ref} prompt)\n",
            f"{how} χ² tests against parity and against the original data; an original share "
            "is shown where at least 5 original texts reveal a group.\n",
        ]
        if not gd.get("all", {}).get("n_detected"):
            lines.append(
                f"No text written under the {ref} prompt reveals a group "
                f"({gd.get('all', {}).get('n', 0)} texts): asked for nobody in particular, "
                "the generator names nobody.\n"
            )
            gd = {}
        else:
            lines += [
                f"| {'occupation' if gender else 'label'} | n (detected) | "
                + " | ".join(f"{g} generated" for g in groups)
                + " | "
                + " | ".join(f"{g} original" for g in groups)
                + " | p parity | p vs original |",
                "|---|---|" + "---|" * (2 * len(groups)) + "---|---|",
            ]
        for topic in sorted(gd, key=lambda t: (t == "all", t)):  # JSON keys come sorted
            d = gd[topic]
            known = d.get("original", {}).get("combined", {})
            enough = sum(v for k, v in known.items() if k != "unknown") >= 5
            orig = d["original_share"] if enough else {}
            lines.append(
                f"| {_esc(topic)} | {d['n']} ({d['n_detected']}) | "
                + " | ".join(_num(d["share"].get(g), "{:.2f}") for g in groups)
                + " | "
                + " | ".join(_num(orig.get(g), "{:.2f}") for g in groups)
                + f" | {_p(d['vs_parity'].get('p_value'))} | "
                f"{_p(d['vs_original'].get('p_value'))} |"
            )
    dist = res.get("distribution", {})
    if dist:
        lines += [
            "\n### Data distribution: original vs augmented (all-MiniLM-L6-v2 embeddings)\n",
            "MMD² (RBF kernel, median bandwidth; permutation p) and classifier two-sample "
            "test (5-fold logistic regression AUC; Mann–Whitney p), per bias type and group "
            "(a group's rows against the original rows of that group, or against all of them, "
            "'(all)', where the original data carry no groups).\n",
            "| bias type | group | n orig | n aug | MMD² | p (MMD) | C2ST AUC | p (C2ST) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for bt, per in dist.items():
            for g, d in per.items():
                if "mmd" not in d:
                    lines.append(
                        f"| {_esc(bt)} | {g} | {d['n_original']} | {d['n_augmented']} | "
                        f"{_esc(d.get('skipped', ''))} | | | |"
                    )
                    continue
                n_o = d["n_original"]
                if g != "all" and d.get("original_side") == "all":
                    n_o = f"{n_o} (all)"  # the original data carry no groups
                lines.append(
                    f"| {_esc(bt)} | {g} | {n_o} | {d['n_augmented']} | "
                    f"{_num(d['mmd'].get('mmd2'), '{:.4f}')} | {_p(d['mmd'].get('p_value'))} | "
                    f"{_num(d['c2st'].get('auc'))} | {_p(d['c2st'].get('p_value'))} |"
                )
    lex = res.get("lexical", {})
    if lex:
        groups = res["groups"]
        lines += [
            "\n### Lexical view (per 1,000 words, all rows of each corpus)\n",
            "| corpus | "
            + " | ".join(f"{g} terms" for g in groups)
            + " | "
            + " | ".join(f"{g}-stereotyped words" for g in groups)
            + " |",
            "|---|" + "---|" * (2 * len(groups)),
        ]
        for corpus, per in lex.items():
            a = per.get("all", {})
            lines.append(
                f"| {_esc(corpus)} | "
                + " | ".join(_num(a["identity_per_1k"].get(g), "{:.1f}") for g in groups)
                + " | "
                + " | ".join(_num(a.get("stereotype_per_1k", {}).get(g), "{:.1f}") for g in groups)
                + " |"
            )
    return lines


def audit_section(run_dir: str | Path) -> list[str]:
    """Markdown parts for the report; ``[]`` when the run has no ``audit.json``."""
    path = Path(run_dir) / "audit.json"
    if not path.exists():
        return []
    res = json.loads(path.read_text())
    parts = ["\n## Audit: misalignment before training\n"]
    for fig in res.get("figures", []):
        if (Path(run_dir) / fig).exists():
            parts.append(f"![{_esc(Path(fig).stem)}]({_esc(fig)})\n")
    parts += audit_summary_lines(res)
    return parts
