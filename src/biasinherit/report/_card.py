"""The bias inheritance card (card.json): what was generated, how it was mixed and trained,
what the audit found, and how much bias the tuned model took over, with intervals."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from biasinherit.files import atomic_write_json
from biasinherit.layout import load_run_config

if TYPE_CHECKING:
    from biasinherit.config import ExperimentConfig


def _clean(v):
    return None if isinstance(v, float) and math.isnan(v) else v


def _template(cfg: ExperimentConfig, bias_type: str) -> str | None:
    """The prompt template the run used for a bias type (attribute and task from its config)."""
    from biasinherit.bias import get_attribute
    from biasinherit.errors import BiasInheritError

    try:
        attr = get_attribute(cfg.attribute)
        return attr.template(attr.task(cfg.augment.task), bias_type)
    except BiasInheritError:
        return None


def _records(frame: pd.DataFrame | None, cols: list[str] | None = None) -> list[dict] | None:
    if frame is None or frame.empty:
        return None
    f = frame[[c for c in cols if c in frame]] if cols else frame
    return [{k: _clean(v) for k, v in r.items()} for r in f.to_dict(orient="records")]


ESTIMATE = [
    "value",
    "ci_low",
    "ci_high",
    "se",
    "p_value",
    "mde",
    "n_seeds",
    "n_stimuli",
    "se_seeds",
    "se_stimuli",
    "training_variance_known",
    "resamples",
]


def build_card(run_dir: str | Path, tables: dict | None = None) -> dict:
    """Collect the card from a run folder's config, generation summary, audit and analysis.

    Every bias number carries its interval, what the interval resamples and its counts."""
    from biasinherit.analysis import load_analysis
    from biasinherit.bias import BIAS_TYPES
    from biasinherit.report._inference import headline_sentences, load_calibration

    run_dir = Path(run_dir)
    tables = tables or load_analysis(run_dir)
    cfg = load_run_config(run_dir)
    gen = run_dir / "generate" / "summary.json"
    audit = run_dir / "audit.json"
    levels, trend = tables.get("levels"), tables.get("trend")
    bias = None if levels is None else levels[levels["role"] == "bias"]
    cell = ["measure", "bias_type", "ratio", "mitigation", "round"]
    cal = load_calibration(run_dir)
    return {
        "card_version": 2,
        "generator": cfg.generator_model,
        "tuned_model": cfg.model,
        "attribute": cfg.attribute,
        "prompts": {
            bt: {
                "template": _template(cfg, bt),
                "framing": BIAS_TYPES.get(bt).framing,
                "scope": BIAS_TYPES.get(bt).scope,
                "cue": BIAS_TYPES.get(bt).cue,
            }
            for bt in cfg.generate.bias_types
            if bt in BIAS_TYPES
        },
        "generation": json.loads(gen.read_text()) if gen.exists() else None,
        "ratios": cfg.ratios,
        "mix_mode": cfg.mix_mode,
        "training": cfg.train.model_dump(mode="json"),
        "seeds": cfg.seeds,
        "mitigations": cfg.mitigations,
        "audit": json.loads(audit.read_text()) if audit.exists() else None,
        "headline": None if trend is None or trend.empty else headline_sentences(trend, cal),
        "plan": tables.get("plan"),
        "trend": _records(
            trend,
            [
                "measure",
                "bias_type",
                "ratios",
                "primary",
                "family",
                "change",
                "change_ci_low",
                "change_ci_high",
                "change_mde",
                "p_holm",
                "verdict",
                *ESTIMATE,
            ],
        ),
        "calibration": cal or None,
        "downstream_bias": _records(bias, [*cell, *ESTIMATE]),
        "mitigation_recommendation": _records(tables.get("recommendation")),
        "mitigation_verdicts": _records(
            tables.get("mitigations"), [*cell, "base", "after", "p_holm", "verdict", *ESTIMATE]
        ),
    }


def write_card(run_dir: str | Path, tables: dict | None = None) -> Path:
    path = Path(run_dir) / "card.json"
    atomic_write_json(path, build_card(run_dir, tables))
    return path
