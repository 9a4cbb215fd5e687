"""The bias inheritance card (card.json): what was generated, how it was mixed and trained,
what the audit found, and how much bias the tuned model took over, with intervals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import yaml

from biasinherit.files import atomic_write_json


def _clean(v):
    return None if isinstance(v, float) and math.isnan(v) else v


def _template(cfg: dict, bias_type: str) -> str | None:
    """The prompt template the run used for a bias type (attribute and task from its config)."""
    from biasinherit.bias import get_attribute
    from biasinherit.errors import BiasInheritError

    try:
        attr = get_attribute(cfg["attribute"])
        return attr.template(attr.task((cfg.get("augment") or {}).get("task")), bias_type)
    except BiasInheritError:
        return None


def build_card(run_dir: str | Path) -> dict:
    """Collect the card from a run folder's config, generation summary, audit and metrics."""
    from biasinherit.bias import BIAS_TYPES

    run_dir = Path(run_dir)
    cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
    metrics = pd.read_parquet(run_dir / "metrics.parquet")
    gen = run_dir / "generate" / "summary.json"
    audit = run_dir / "audit.json"
    downstream = []
    for _, r in metrics[metrics["metric"].str.endswith("_difference")].iterrows():
        downstream.append(
            {
                k: _clean(r[k])
                for k in (
                    "task",
                    "metric",
                    "group",
                    "bias_type",
                    "ratio",
                    "mitigation",
                    "seed",
                    "value",
                    "ci_low",
                    "ci_high",
                    "n",
                )
            }
        )
    return {
        "card_version": 1,
        "generator": cfg.get("generator") or cfg["model"],
        "tuned_model": cfg["model"],
        "attribute": cfg["attribute"],
        "prompts": {
            bt: {
                "template": _template(cfg, bt),
                "framing": BIAS_TYPES.get(bt).framing,
                "scope": BIAS_TYPES.get(bt).scope,
                "cue": BIAS_TYPES.get(bt).cue,
            }
            for bt in cfg["generate"]["bias_types"]
            if bt in BIAS_TYPES
        },
        "generation": json.loads(gen.read_text()) if gen.exists() else None,
        "ratios": cfg["ratios"],
        "mix_mode": cfg["mix_mode"],
        "training": cfg["train"],
        "seeds": cfg["seeds"],
        "mitigations": cfg["mitigations"],
        "audit": json.loads(audit.read_text()) if audit.exists() else None,
        "downstream_bias": downstream,
        **_recommendation(run_dir),
    }


def _recommendation(run_dir: Path) -> dict:
    """The ablation's verdicts: every mitigation on the primary bias measure, and the pick
    per bias measure (empty values when the run compares no mitigations)."""
    from biasinherit.errors import BiasInheritError
    from biasinherit.train._recommend import recommend, verdict_table

    try:
        frame = recommend(run_dir)
    except BiasInheritError:
        return {"mitigation_recommendation": None, "mitigation_verdicts": None}

    def records(f: pd.DataFrame) -> list[dict]:
        return [{k: _clean(v) for k, v in r.items()} for r in f.to_dict(orient="records")]

    return {
        "mitigation_recommendation": records(frame),
        "mitigation_verdicts": records(verdict_table(run_dir)),
    }


def write_card(run_dir: str | Path) -> Path:
    path = Path(run_dir) / "card.json"
    atomic_write_json(path, build_card(run_dir))
    return path
