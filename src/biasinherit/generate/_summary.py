"""What a generation produced, per bias type: counts, filter reasons, group make-up, samples.

One view over ``generate/summary.json`` and ``augmented.jsonl``, shared by the
``generate`` command's output and the report, so that both say the same thing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from biasinherit.files import read_json, read_jsonl


def summary_table(summary: dict[str, dict]) -> pd.DataFrame:
    """One row per bias type: generated, kept, each filter reason, filter rate.

    Examples
    --------
    >>> t = summary_table({"neutral": {"generated": 10, "kept": 6, "filtered_too_short": 4,
    ...     "filter_rate": 0.4}})
    >>> t.loc["neutral", ["generated", "kept", "too short"]].tolist()
    [10, 6, 4]
    """
    reasons = sorted({k for c in summary.values() for k in c if k.startswith("filtered_")})
    cleaned = any(c.get("cleaned_control_chars") for c in summary.values())
    rows = {}
    for bt, c in summary.items():
        row = {"generated": int(c.get("generated", 0)), "kept": int(c.get("kept", 0))}
        row |= {k.removeprefix("filtered_").replace("_", " "): int(c.get(k, 0)) for k in reasons}
        if cleaned:  # rows kept after their control or bidi characters were stripped
            row["control chars stripped"] = int(c.get("cleaned_control_chars", 0))
        row["filter rate"] = float(c.get("filter_rate", 0.0))
        rows[bt] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("bias type")


def group_make_up(rows: list[dict]) -> pd.DataFrame:
    """Rows per bias type x the group their text reveals, by the audit's detection (the
    attribute's words and pronouns, then first names); ``unknown`` when it reveals none."""
    if not rows:
        return pd.DataFrame()
    from biasinherit.bias import get_attribute
    from biasinherit.data import make_up

    by_attribute: dict[str, list[dict]] = {}
    for r in rows:
        by_attribute.setdefault(str(r.get("attribute") or "gender"), []).append(r)
    counts = []
    for name, part in by_attribute.items():
        per = make_up(part, get_attribute(name), by="bias_type")
        counts.append(pd.DataFrame({bt: c["combined"] for bt, c in per.items() if bt != "all"}).T)
    table = pd.concat(counts).fillna(0).astype(int).groupby(level=0).sum()
    return table.loc[:, table.sum() > 0].rename_axis(index="bias type", columns=None)


def samples(rows: list[dict], per_type: int = 2) -> list[dict]:
    """The first ``per_type`` rows of every bias type (spread over groups where possible)."""
    out, seen = [], {}
    by_type: dict[str, list[dict]] = {}
    for r in rows:
        by_type.setdefault(r["bias_type"], []).append(r)
    for bt, rs in by_type.items():
        groups = []
        for r in rs:  # one per group first, then the rest in order
            if r.get("group") not in groups:
                groups.append(r.get("group"))
                out.append(r)
                seen[bt] = seen.get(bt, 0) + 1
            if seen.get(bt, 0) >= per_type:
                break
    return out


def load_generation(run_dir: str | Path) -> tuple[dict, list[dict]]:
    """``(summary, kept rows)`` of a run folder; empty when it has not generated."""
    run_dir = Path(run_dir)
    path = run_dir / "generate" / "summary.json"
    if not path.exists():
        return {}, []
    aug = run_dir / "augmented.jsonl"
    summary = read_json(path, what="generation summary")
    return summary, read_jsonl(aug) if aug.exists() else []
